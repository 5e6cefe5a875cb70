/// The bridge as the control API reports it: MAC learning per port, the MAC table, the VLANs.

/// A port's share of the MAC table.
public struct PortMACLearning: Codable, Sendable, Equatable {
    /// MACs currently learned on the port (static entries not included).
    public var learned: Int
    /// The most it may learn (`max-macs`).
    public var limit: Int
    /// Source MACs not learned because the port was at its limit.
    public var limitReached: UInt64
    /// Source MACs not learned because the table had no room near their slot.
    public var tableFull: UInt64

    public init(learned: Int, limit: Int, limitReached: UInt64, tableFull: UInt64) {
        self.learned = learned
        self.limit = limit
        self.limitReached = limitReached
        self.tableFull = tableFull
    }
}

/// One entry of the MAC table.
public struct MACEntry: Codable, Sendable, Equatable {
    public var vlan: Int
    public var mac: String
    public var port: String
    /// Seconds since a frame from this MAC was last seen (0 for static entries).
    public var ageSeconds: Int
    public var isStatic: Bool

    public init(vlan: Int, mac: String, port: String, ageSeconds: Int, isStatic: Bool) {
        self.vlan = vlan
        self.mac = mac
        self.port = port
        self.ageSeconds = ageSeconds
        self.isStatic = isStatic
    }
}

/// Parameters of `mac.flush` (both absent: every learned entry).
public struct MACFlushParams: Codable, Sendable, Equatable {
    public var port: String?
    public var vlan: Int?

    public init(port: String? = nil, vlan: Int? = nil) {
        self.port = port
        self.vlan = vlan
    }
}

public struct MACFlushResult: Codable, Sendable, Equatable {
    public var flushed: Int
    public init(flushed: Int) { self.flushed = flushed }
}

/// `vlan.list`: one bridge VLAN and its members.
public struct VLANStatus: Codable, Sendable, Equatable {
    public var vlan: Int
    /// Ports carrying the VLAN untagged (access ports, trunks whose native VLAN it is).
    public var untaggedPorts: [String]
    /// Trunk ports carrying it tagged.
    public var taggedPorts: [String]
    /// MAC table entries in the VLAN (learned and static).
    public var macs: Int

    public init(vlan: Int, untaggedPorts: [String], taggedPorts: [String], macs: Int) {
        self.vlan = vlan
        self.untaggedPorts = untaggedPorts
        self.taggedPorts = taggedPorts
        self.macs = macs
    }
}
