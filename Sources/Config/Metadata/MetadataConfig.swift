import Packet

/// The metadata intercept's `metadata:` section (docs/metadata.md): which requests are intercepted, where the
/// service is, the pool of link-local addresses that identify the VM ports to it, and the defaults of the
/// ports it serves. Nil (no section): the intercept is off.
public struct MetadataConfig: Equatable, Sendable {
    public static let defaultAddress = IPv4Address(169, 254, 169, 254)
    public static let defaultMAC = EthernetAddress(rawValue: 0x0200_a9fe_a9fe)

    /// The intercepted address and TCP port (EC2's 169.254.169.254:80).
    public var address: IPv4Address
    public var tcpPort: Int
    /// Where the service listens, behind `servicePort`, and the service host's MAC on that port.
    public var serviceAddress: IPv4Address
    public var serviceTCPPort: Int
    public var servicePort: String
    public var serviceMAC: EthernetAddress
    /// Sluice's own MAC on both sides: the source of rewritten requests, the ARP answer for the intercepted
    /// address (to guests) and for pool addresses (to the host).
    public var mac: EthernetAddress
    /// The pool the VM ports' addresses come from (network address and prefix length).
    public var pool: IPv4Address
    public var poolPrefixLength: Int
    /// The largest IP TTL of replies towards a guest.
    public var hopLimit: Int
    /// NAT entries go after this long without a packet, or `natLingerSeconds` after a FIN or RST.
    public var natIdleSeconds: Int
    public var natLingerSeconds: Int
    /// The request rate limit of ports that do not set their own.
    public var rateLimit: MetadataRateLimit
    /// Every access port of these VLANs is served (unless its own `metadata: {enabled: false}`).
    public var vlans: [UInt16]
    /// Pool addresses by port name: given ones are kept; sluiced writes the address it picked for every other
    /// served port here, so that it is persisted and stays the port's while the port is served.
    public var addresses: [MetadataAddressConfig]

    public init(
        address: IPv4Address = defaultAddress, tcpPort: Int = 80, serviceAddress: IPv4Address,
        serviceTCPPort: Int = 80, servicePort: String, serviceMAC: EthernetAddress, mac: EthernetAddress = defaultMAC,
        pool: IPv4Address, poolPrefixLength: Int, hopLimit: Int = 1, natIdleSeconds: Int = 300,
        natLingerSeconds: Int = 2, rateLimit: MetadataRateLimit = MetadataRateLimit(),
        vlans: [UInt16] = [], addresses: [MetadataAddressConfig] = []
    ) {
        self.address = address
        self.tcpPort = tcpPort
        self.serviceAddress = serviceAddress
        self.serviceTCPPort = serviceTCPPort
        self.servicePort = servicePort
        self.serviceMAC = serviceMAC
        self.mac = mac
        self.pool = pool
        self.poolPrefixLength = poolPrefixLength
        self.hopLimit = hopLimit
        self.natIdleSeconds = natIdleSeconds
        self.natLingerSeconds = natLingerSeconds
        self.rateLimit = rateLimit
        self.vlans = vlans
        self.addresses = addresses
    }

    var poolMask: UInt32 { poolPrefixLength <= 0 ? 0 : UInt32.max << UInt32(32 - min(poolPrefixLength, 32)) }

    /// Whether `address` is in the pool.
    public func poolContains(_ address: IPv4Address) -> Bool {
        address.rawValue & poolMask == pool.rawValue & poolMask
    }

    /// Why `address` cannot be a port's pool address; nil if it can.
    func poolAddressProblem(_ address: IPv4Address) -> String? {
        if !poolContains(address) { return "\(address) is not in the pool \(pool)/\(poolPrefixLength)" }
        if address.rawValue & ~poolMask == 0 || address.rawValue | poolMask == UInt32.max {
            return "\(address) is the pool's network or broadcast address"
        }
        if address == serviceAddress { return "\(address) is the service's address" }
        if address == self.address { return "\(address) is the intercepted address" }
        return nil
    }

    /// How many addresses of the pool ports can have (not the network, broadcast, service or intercepted one).
    var usableAddresses: Int {
        let size = poolPrefixLength >= 32 ? 1 : 1 << (32 - max(poolPrefixLength, 0))
        var usable = max(size - 2, 0)
        if poolContains(serviceAddress) { usable -= 1 }
        if poolContains(address) { usable -= 1 }
        return max(usable, 0)
    }
}

/// A request rate limit: new TCP connections per second and the bucket's size.
public struct MetadataRateLimit: Equatable, Sendable {
    public var requestsPerSecond: Int
    public var burst: Int

    public init(requestsPerSecond: Int = 10, burst: Int = 20) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }
}

/// One entry of `metadata.addresses`: a port's pool address.
public struct MetadataAddressConfig: Equatable, Sendable {
    public var port: String
    public var address: IPv4Address

    public init(port: String, address: IPv4Address) {
        self.port = port
        self.address = address
    }
}

/// A port's `metadata:` sub-mapping: served or not (overriding `metadata.vlans`), its instance id and rate limit.
public struct MetadataPortConfig: Equatable, Sendable {
    public var enabled: Bool
    /// The instance id the service reports; nil: the port's name.
    public var instanceID: String?
    /// Nil: the section's `rate-limit`.
    public var rateLimit: MetadataRateLimit?

    public init(enabled: Bool = true, instanceID: String? = nil, rateLimit: MetadataRateLimit? = nil) {
        self.enabled = enabled
        self.instanceID = instanceID
        self.rateLimit = rateLimit
    }
}

/// A served VM port as the configuration decides it: its pool address, instance id and rate limit.
public struct MetadataClientConfig: Equatable, Sendable {
    public var port: String
    public var address: IPv4Address
    public var instanceID: String
    public var rateLimit: MetadataRateLimit
}

extension SluiceConfig {
    /// The ports the intercept serves, in port order: access ports with `metadata.enabled` or in one of
    /// `metadata.vlans` (not turned off on the port), never the service port.
    public var metadataServedPorts: [PortConfig] {
        guard let metadata else { return [] }
        return ports.filter { port in
            guard port.name != metadata.servicePort else { return false }
            if let own = port.metadata { return own.enabled }
            guard case .access(let vlan) = port.vlan ?? .access(vlan: VLANMode.defaultVLAN) else { return false }
            return metadata.vlans.contains(vlan)
        }
    }

    /// Every served port's pool address: the one `metadata.addresses` gives (when usable and not taken
    /// by an earlier entry), else the one `previous` had, else the lowest free address, in port order. So an
    /// address is a function of the document and the previous assignment: stable while the port is served.
    public func metadataAddresses(previous: [MetadataAddressConfig] = []) -> [MetadataAddressConfig] {
        guard let metadata else { return [] }
        let served = metadataServedPorts.map(\.name)
        var taken: Set<UInt32> = []
        var result: [String: IPv4Address] = [:]
        for source in [metadata.addresses, previous] {
            for entry in source where served.contains(entry.port) && result[entry.port] == nil {
                guard metadata.poolAddressProblem(entry.address) == nil, !taken.contains(entry.address.rawValue)
                else { continue }
                result[entry.port] = entry.address
                taken.insert(entry.address.rawValue)
            }
        }
        var candidate = UInt64(metadata.pool.rawValue & metadata.poolMask) + 1
        let last = UInt64(metadata.pool.rawValue | ~metadata.poolMask)
        for name in served where result[name] == nil {
            while candidate < last {
                let address = IPv4Address(rawValue: UInt32(candidate))
                candidate += 1
                if !taken.contains(address.rawValue) && metadata.poolAddressProblem(address) == nil {
                    result[name] = address
                    taken.insert(address.rawValue)
                    break
                }
            }
        }
        return served.compactMap { name in result[name].map { MetadataAddressConfig(port: name, address: $0) } }
    }

    /// This configuration with every served port's pool address written into `metadata.addresses` (and
    /// entries of ports no longer served removed), keeping the addresses `previous` gave: what sluiced runs
    /// and persists.
    public func withMetadataAddresses(previous: SluiceConfig?) -> SluiceConfig {
        guard metadata != nil else { return self }
        var config = self
        config.metadata!.addresses = metadataAddresses(previous: previous?.metadata?.addresses ?? [])
        return config
    }

    /// The served ports with their pool address, instance id and rate limit.
    public var metadataClients: [MetadataClientConfig] {
        guard let metadata else { return [] }
        let addresses = Dictionary(metadataAddresses().map { ($0.port, $0.address) }, uniquingKeysWith: { a, _ in a })
        return metadataServedPorts.compactMap { port in
            guard let address = addresses[port.name] else { return nil }
            return MetadataClientConfig(
                port: port.name, address: address, instanceID: port.metadata?.instanceID ?? port.name,
                rateLimit: port.metadata?.rateLimit ?? metadata.rateLimit)
        }
    }
}
