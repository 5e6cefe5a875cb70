import Packet

/// The L2 bridge shared by every port that is not in a patch: MAC learning, its table and its limits.
public struct L2Config: Equatable, Sendable {
    /// Seconds after which a learnt MAC that has not been seen as a source is forgotten; 0 disables aging.
    public var macAgingSeconds: Int
    /// Default limit on the MACs learnt on one port (`PortConfig.maxMACs` overrides it), so that one port
    /// cannot fill the shared table.
    public var maxMACsPerPort: Int
    /// Slots in the MAC table all ports share: a power of two.
    public var macTableSize: Int

    public init(macAgingSeconds: Int = 300, maxMACsPerPort: Int = 4096, macTableSize: Int = 262144) {
        self.macAgingSeconds = macAgingSeconds
        self.maxMACsPerPort = maxMACsPerPort
        self.macTableSize = macTableSize
    }
}

/// Port security: what a port may send into the bridge.
public struct PortSecurityConfig: Equatable, Sendable {
    /// The only source MAC accepted from the port.
    public var mac: EthernetAddress
    /// The source addresses the port may use. When both lists are empty any source IP is accepted; otherwise
    /// only the listed ones are, in either family (listing only IPv4 addresses blocks IPv6, and vice versa).
    public var ipv4: [IPv4Address]
    public var ipv6: [IPv6Address]

    public init(mac: EthernetAddress, ipv4: [IPv4Address] = [], ipv6: [IPv6Address] = []) {
        self.mac = mac
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// Whether source IP addresses are unrestricted (no `ips` given).
    public var allowsAnyIP: Bool { ipv4.isEmpty && ipv6.isEmpty }
}

/// A MAC table entry configured on a port: it never ages and never moves to another port.
public struct StaticMACConfig: Equatable, Sendable {
    /// A unicast address.
    public var mac: EthernetAddress
    /// Nil on an access port means the port's VLAN; trunk ports must give one (see `resolvedStaticMACs`).
    public var vlan: UInt16?

    public init(mac: EthernetAddress, vlan: UInt16? = nil) {
        self.mac = mac
        self.vlan = vlan
    }
}

extension PortConfig {
    /// The port's VLAN mode, with the default (access on VLAN 1) filled in.
    public var vlanMode: VLANMode { vlan ?? .access(vlan: VLANMode.defaultVLAN) }

    /// The limit on MACs learnt on this port: its own `maxMACs`, or the bridge-wide default.
    public func effectiveMaxMACs(_ l2: L2Config) -> Int {
        maxMACs ?? l2.maxMACsPerPort
    }

    /// Static MACs with their VLAN resolved (access VLAN filled in). In a valid configuration every entry
    /// resolves; in an unvalidated one, an entry without a VLAN on a trunk port takes the native VLAN, and is
    /// left out if the trunk has none.
    public var resolvedStaticMACs: [(mac: EthernetAddress, vlan: UInt16)] {
        let mode = vlanMode
        return staticMACs.compactMap { entry in
            let vlan: UInt16?
            switch mode {
            case .access(let access): vlan = entry.vlan ?? access
            case .trunk(_, let native): vlan = entry.vlan ?? native
            }
            return vlan.map { (mac: entry.mac, vlan: $0) }
        }
    }
}
