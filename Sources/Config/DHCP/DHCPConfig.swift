import Packet

/// One VLAN's DHCP responder (`dhcp:` list, one entry per VLAN): what it tells the ports of that VLAN that
/// have a `dhcp:` sub-mapping. See docs/dhcp.md.
public struct DHCPNetworkConfig: Equatable, Sendable {
    public var vlan: UInt16
    /// The subnet's network address and prefix length ("10.0.100.0/24").
    public var subnet: IPv4Address
    public var prefixLength: Int
    /// The responder's own address (option 54, the replies' source) and MAC.
    public var server: IPv4Address
    public var serverMAC: EthernetAddress
    /// Option 3.
    public var router: IPv4Address?
    /// Option 6.
    public var dns: [IPv4Address]
    /// Option 15.
    public var domain: String?
    /// Option 51.
    public var leaseSeconds: Int
    /// Option 26; nil: not sent (the guest keeps its default).
    public var mtu: Int?
    /// Option 121.
    public var routes: [DHCPRouteConfig]
    /// Where `auto` addresses come from; nil: only static addresses.
    public var pool: DHCPPoolConfig?

    public static let defaultLeaseSeconds = 86400

    public init(
        vlan: UInt16, subnet: IPv4Address, prefixLength: Int, server: IPv4Address, serverMAC: EthernetAddress,
        router: IPv4Address? = nil, dns: [IPv4Address] = [], domain: String? = nil,
        leaseSeconds: Int = defaultLeaseSeconds, mtu: Int? = nil, routes: [DHCPRouteConfig] = [],
        pool: DHCPPoolConfig? = nil
    ) {
        self.vlan = vlan
        self.subnet = subnet
        self.prefixLength = prefixLength
        self.server = server
        self.serverMAC = serverMAC
        self.router = router
        self.dns = dns
        self.domain = domain
        self.leaseSeconds = leaseSeconds
        self.mtu = mtu
        self.routes = routes
        self.pool = pool
    }

    /// The subnet mask as a 32-bit value (0 for /0).
    public static func mask(_ prefixLength: Int) -> UInt32 {
        prefixLength <= 0 ? 0 : UInt32.max << UInt32(32 - min(prefixLength, 32))
    }

    /// Whether `address` is in the subnet.
    public func contains(_ address: IPv4Address) -> Bool {
        address.rawValue & Self.mask(prefixLength) == subnet.rawValue
    }

    /// Whether `address` is the subnet's network or broadcast address, which no host may have.
    public func isNetworkOrBroadcast(_ address: IPv4Address) -> Bool {
        let mask = Self.mask(prefixLength)
        return address.rawValue == subnet.rawValue || address.rawValue == subnet.rawValue | ~mask
    }
}

/// One classless static route (option 121): `destination/prefixLength` through `via`.
public struct DHCPRouteConfig: Equatable, Hashable, Sendable {
    public var destination: IPv4Address
    public var prefixLength: Int
    public var via: IPv4Address

    public init(destination: IPv4Address, prefixLength: Int, via: IPv4Address) {
        self.destination = destination
        self.prefixLength = prefixLength
        self.via = via
    }
}

/// The addresses `first ... last` (both included) that `auto` ports get theirs from.
public struct DHCPPoolConfig: Equatable, Sendable {
    public var first: IPv4Address
    public var last: IPv4Address

    public init(first: IPv4Address, last: IPv4Address) {
        self.first = first
        self.last = last
    }

    public func contains(_ address: IPv4Address) -> Bool {
        first.rawValue <= address.rawValue && address.rawValue <= last.rawValue
    }

    /// How many addresses the pool holds (0 when `first` is after `last`).
    public var count: Int {
        last.rawValue >= first.rawValue ? Int(last.rawValue - first.rawValue) + 1 : 0
    }

    public var description: String { "\(first)-\(last)" }
}

/// A port's `dhcp:` sub-mapping: the address the VLAN's responder gives it.
public struct DHCPPortConfig: Equatable, Sendable {
    public enum Address: Equatable, Sendable {
        /// This address, always.
        case fixed(IPv4Address)
        /// One from the VLAN's pool.
        case auto
    }

    public var address: Address

    public init(address: Address) {
        self.address = address
    }
}
