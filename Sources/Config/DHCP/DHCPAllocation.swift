import Packet

/// The addresses `auto` ports have, and those of removed ports that may not be handed out yet: the state
/// the responder keeps across changes and restarts (docs/dhcp.md, "Allocation").
public struct DHCPAllocations: Equatable, Sendable {
    public struct Allocation: Equatable, Hashable, Sendable {
        public var vlan: UInt16
        public var address: IPv4Address

        public init(vlan: UInt16, address: IPv4Address) {
            self.vlan = vlan
            self.address = address
        }
    }

    /// Each `auto` port's address, by port name.
    public var addresses: [String: Allocation]
    /// Addresses given up (the port removed, made static or moved to another VLAN), with the time (seconds,
    /// any epoch the caller keeps) until which they stay out of their pool: the release plus the VLAN's lease
    /// time, so that a guest that still holds the lease never sees its address given to another.
    public var quarantined: [Allocation: UInt64]

    public init(addresses: [String: Allocation] = [:], quarantined: [Allocation: UInt64] = [:]) {
        self.addresses = addresses
        self.quarantined = quarantined
    }
}

extension SluiceConfig {
    /// The `auto` ports' addresses under this configuration, given the previous state, at time `now`:
    ///
    /// - a port keeps its previous address while it stays `auto` in the same VLAN and the address stays in
    ///   the pool and is no port's static address (an address is never reused while its port exists);
    /// - a port without one gets the lowest free address of its VLAN's pool, ports taken in configuration
    ///   order (deterministic: the same configuration and state give the same addresses);
    /// - an address given up is quarantined until `now` + its VLAN's lease time; ended quarantines are
    ///   dropped, and quarantined addresses are not free.
    ///
    /// Validation has checked that every pool has room for its `auto` ports besides static addresses; while
    /// quarantines fill a pool, a port may get no address (it is left out of `addresses`) until they end.
    public func dhcpAllocations(previous: DHCPAllocations, now: UInt64) -> DHCPAllocations {
        let networks = Dictionary(dhcp.map { ($0.vlan, $0) }, uniquingKeysWith: { first, _ in first })
        var result = DHCPAllocations(quarantined: previous.quarantined.filter { $0.value > now })
        var taken: [UInt16: Set<IPv4Address>] = [:]
        var autoPorts: [(name: String, vlan: UInt16)] = []
        for port in ports {
            guard let address = port.dhcp?.address, case .access(let vlan) = port.vlanMode, networks[vlan] != nil
            else { continue }
            switch address {
            case .fixed(let address): taken[vlan, default: []].insert(address)
            case .auto: autoPorts.append((port.name, vlan))
            }
        }
        let autoVLAN = Dictionary(autoPorts.map { ($0.name, $0.vlan) }, uniquingKeysWith: { first, _ in first })
        for (name, old) in previous.addresses.sorted(by: { $0.key < $1.key }) {
            let keeps =
                autoVLAN[name] == old.vlan && networks[old.vlan]?.pool?.contains(old.address) == true
                && !(taken[old.vlan]?.contains(old.address) ?? false)
            if keeps {
                result.addresses[name] = old
                taken[old.vlan, default: []].insert(old.address)
            } else {
                let lease = networks[old.vlan]?.leaseSeconds ?? DHCPNetworkConfig.defaultLeaseSeconds
                result.quarantined[old] = now + UInt64(max(lease, 0))
            }
        }
        for port in autoPorts where result.addresses[port.name] == nil {
            guard let pool = networks[port.vlan]?.pool else { continue }
            let blocked = taken[port.vlan] ?? []
            // 64 bits: a pool ending at 255.255.255.255 (not valid, but a config built in code) cannot overflow.
            var candidate = UInt64(pool.first.rawValue)
            while candidate <= UInt64(pool.last.rawValue) {
                let address = IPv4Address(rawValue: UInt32(candidate))
                let allocation = DHCPAllocations.Allocation(vlan: port.vlan, address: address)
                if !blocked.contains(address) && result.quarantined[allocation] == nil { break }
                candidate += 1
            }
            guard candidate <= UInt64(pool.last.rawValue) else { continue }
            let address = IPv4Address(rawValue: UInt32(candidate))
            result.addresses[port.name] = DHCPAllocations.Allocation(vlan: port.vlan, address: address)
            taken[port.vlan, default: []].insert(address)
        }
        return result
    }
}

extension DHCPNetworkConfig {
    /// What the responder tells this VLAN's clients besides their address (the codec's form).
    public var serverOptions: DHCPServerOptions {
        DHCPServerOptions(
            serverAddress: server, serverMAC: serverMAC, prefixLength: prefixLength, router: router,
            dnsServers: dns, domain: domain, leaseSeconds: UInt32(clamping: leaseSeconds),
            mtu: mtu.map { UInt16(clamping: $0) },
            routes: routes.map {
                DHCPRoute(destination: $0.destination, prefixLength: $0.prefixLength, gateway: $0.via)
            })
    }
}
