/// The DHCP responder's methods (docs/dhcp.md).
public enum DHCPMethods {
    /// Every VLAN's responder (subnet, pool use) and every port with DHCP (address, mode, its client's last
    /// lease and identity), and the responder's counters.
    public static let show = RPCMethod<NoParams, DHCPStatus>("dhcp.show")
}

/// `dhcp.show`'s result.
public struct DHCPStatus: Codable, Sendable, Equatable {
    public var networks: [DHCPNetworkStatus]
    public var ports: [DHCPPortStatus]
    /// The responder's counters by name (replies by type, refusals by reason), only those not 0.
    public var counters: [String: UInt64]

    public init(networks: [DHCPNetworkStatus], ports: [DHCPPortStatus], counters: [String: UInt64]) {
        self.networks = networks
        self.ports = ports
        self.counters = counters
    }
}

/// One VLAN's responder.
public struct DHCPNetworkStatus: Codable, Sendable, Equatable {
    public var vlan: UInt16
    /// "10.0.100.0/24".
    public var subnet: String
    public var server: String
    public var serverMAC: String
    /// "first-last", or nil without a pool.
    public var pool: String?
    /// Addresses of the pool: in all, given to `auto` ports, quarantined (given up within a lease time).
    public var poolSize: Int
    public var poolAllocated: Int
    public var poolQuarantined: Int
    /// Ports with DHCP in the VLAN.
    public var ports: Int

    public init(
        vlan: UInt16, subnet: String, server: String, serverMAC: String, pool: String?, poolSize: Int,
        poolAllocated: Int, poolQuarantined: Int, ports: Int
    ) {
        self.vlan = vlan
        self.subnet = subnet
        self.server = server
        self.serverMAC = serverMAC
        self.pool = pool
        self.poolSize = poolSize
        self.poolAllocated = poolAllocated
        self.poolQuarantined = poolQuarantined
        self.ports = ports
    }
}

/// One port with DHCP.
public struct DHCPPortStatus: Codable, Sendable, Equatable {
    public var port: String
    public var vlan: UInt16
    /// "static" or "auto".
    public var mode: String
    /// Nil for an `auto` port the pool has no address for yet (quarantines fill it).
    public var address: String?
    /// What its client last did: "new" (nothing heard), "offered", "bound", "nak", "released", "declined".
    public var state: String
    public var clientMAC: String?
    /// Option 61 (hex) and option 12, as the client last sent them.
    public var clientID: String?
    public var hostname: String?
    /// Seconds since the last ACK with a lease, and the lease time it gave; nil before any.
    public var lastLeaseAgeSeconds: Double?
    public var leaseSeconds: Int?

    public init(
        port: String, vlan: UInt16, mode: String, address: String?, state: String, clientMAC: String?,
        clientID: String?, hostname: String?, lastLeaseAgeSeconds: Double?, leaseSeconds: Int?
    ) {
        self.port = port
        self.vlan = vlan
        self.mode = mode
        self.address = address
        self.state = state
        self.clientMAC = clientMAC
        self.clientID = clientID
        self.hostname = hostname
        self.lastLeaseAgeSeconds = lastLeaseAgeSeconds
        self.leaseSeconds = leaseSeconds
    }
}
