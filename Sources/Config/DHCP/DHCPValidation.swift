import Packet

/// Limits of single DHCP values.
enum DHCPRules {
    /// A subnet with room for the server and at least one client: /30 at the smallest.
    static let prefixLength = 8...30
    /// Option 51: a minute to a year.
    static let leaseSeconds = 60...31_536_000
    /// Option 26: IPv4's minimum datagram every host accepts, up to a jumbo frame.
    static let mtu = 576...9600
    /// Option 6 servers.
    static let dnsServers = 0...8
    /// Option 15 and 121 hold at most 255 bytes each.
    static let optionBytes = 255

    /// The bytes of option 121 for `routes` (with the default route through `router` that the responder
    /// appends when no route is 0.0.0.0/0, see `DHCPMessage.options`).
    static func classlessRouteBytes(_ routes: [DHCPRouteConfig], router: IPv4Address?) -> Int {
        guard !routes.isEmpty else { return 0 }
        let hasDefault = routes.contains { $0.prefixLength == 0 }
        let extra = router != nil && !hasDefault ? 5 : 0
        return routes.reduce(extra) { $0 + 1 + ($1.prefixLength + 7) / 8 + 4 }
    }

    /// A domain name: dot-separated labels of letters, digits and hyphens, 1...253 characters.
    static func isDomain(_ text: String) -> Bool {
        guard (1...253).contains(text.utf8.count) else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}

/// The `dhcp` list's rules and the ports' `dhcp:` sub-mappings against it.
extension Validator {
    func validateDHCP() {
        guard isKnown("dhcp") else { return }
        var networkOfVLAN: [UInt16: Int] = [:]
        // Entries whose subnet is usable for the ports' rules; whether every entry's VLAN is (if not, a port
        // whose VLAN has no responder may have been meant for that entry: no follow-up problem).
        var usable: Set<Int> = []
        var vlansKnown = true
        for (index, network) in config.dhcp.enumerated() {
            let path = KeyPath.element("dhcp", index)
            guard isKnown(path) else {
                vlansKnown = false
                continue
            }
            let vlanPath = KeyPath.child(path, "vlan")
            if !isKnown(vlanPath) { vlansKnown = false }
            if isKnown(vlanPath) {
                if let problem = L2Rules.vlanIDProblem(network.vlan) {
                    vlansKnown = false
                    report(vlanPath, "\(network.vlan) is \(problem)")
                } else if let earlier = networkOfVLAN[network.vlan] {
                    report(
                        vlanPath,
                        "VLAN \(network.vlan) already has a responder (dhcp[\(earlier)]); each VLAN may appear only once"
                    )
                } else {
                    networkOfVLAN[network.vlan] = index
                }
            }
            if validateDHCPNetwork(network, at: path) { usable.insert(index) }
        }
        validateDHCPPorts(networkOfVLAN: networkOfVLAN, usable: usable, vlansKnown: vlansKnown)
    }

    /// Whether the subnet is usable for the relations of the other keys.
    private func validateDHCPSubnet(_ network: DHCPNetworkConfig, at path: String) -> Bool {
        let subnetPath = KeyPath.child(path, "subnet")
        guard isKnown(subnetPath) else { return false }
        let text = "\(network.subnet)/\(network.prefixLength)"
        guard DHCPRules.prefixLength.contains(network.prefixLength) else {
            report(
                subnetPath,
                "\(text): the prefix length must be \(DHCPRules.prefixLength.lowerBound)...\(DHCPRules.prefixLength.upperBound)"
            )
            return false
        }
        let network32 = network.subnet.rawValue & DHCPNetworkConfig.mask(network.prefixLength)
        guard network32 == network.subnet.rawValue else {
            report(
                subnetPath,
                "\(text) has host bits set; the subnet is \(IPv4Address(rawValue: network32))/\(network.prefixLength)")
            return false
        }
        return true
    }

    /// Why `address` cannot be a host of `network` (the server, the router, a port, a gateway); nil if it can.
    private func dhcpHostProblem(_ address: IPv4Address, in network: DHCPNetworkConfig) -> String? {
        let subnet = "\(network.subnet)/\(network.prefixLength)"
        if !network.contains(address) { return "\(address) is outside the subnet \(subnet)" }
        if network.isNetworkOrBroadcast(address) {
            return "\(address) is the network or broadcast address of \(subnet), which no host may have"
        }
        return nil
    }

    /// Returns whether the subnet is usable for the ports' rules.
    private func validateDHCPNetwork(_ network: DHCPNetworkConfig, at path: String) -> Bool {
        let subnetKnown = validateDHCPSubnet(network, at: path)
        let serverPath = KeyPath.child(path, "server")
        if subnetKnown, isKnown(serverPath), let problem = dhcpHostProblem(network.server, in: network) {
            report(serverPath, problem)
        }
        let macPath = KeyPath.child(path, "server-mac")
        if isKnown(macPath), network.serverMAC.isMulticast || network.serverMAC.isZero {
            report(macPath, "\(network.serverMAC) is not a unicast MAC; the replies' source must be one")
        }
        let routerPath = KeyPath.child(path, "router")
        if let router = network.router, subnetKnown, isKnown(routerPath) {
            if let problem = dhcpHostProblem(router, in: network) { report(routerPath, problem) }
        }
        let dnsPath = KeyPath.child(path, "dns")
        if isKnown(dnsPath) {
            if network.dns.count > DHCPRules.dnsServers.upperBound {
                report(dnsPath, "lists \(network.dns.count) servers; at most \(DHCPRules.dnsServers.upperBound)")
            }
            for (index, server) in network.dns.enumerated() where network.dns[..<index].contains(server) {
                report(KeyPath.element(dnsPath, index), "\(server) is listed twice; each server may appear only once")
            }
        }
        let domainPath = KeyPath.child(path, "domain")
        if let domain = network.domain, isKnown(domainPath), !DHCPRules.isDomain(domain) {
            report(
                domainPath,
                "\(quoted(domain)) is not a domain name (dot-separated labels of letters, digits and hyphens, at most 253 characters)"
            )
        }
        checkRange(network.leaseSeconds, DHCPRules.leaseSeconds, at: KeyPath.child(path, "lease-seconds"))
        if let mtu = network.mtu { checkRange(mtu, DHCPRules.mtu, at: KeyPath.child(path, "mtu")) }
        validateDHCPRoutes(network, at: path, subnetKnown: subnetKnown)
        if subnetKnown { validateDHCPPool(network, at: path) }
        return subnetKnown
    }

    private func validateDHCPRoutes(_ network: DHCPNetworkConfig, at path: String, subnetKnown: Bool) {
        let routesPath = KeyPath.child(path, "routes")
        guard isKnown(routesPath) else { return }
        var seen: [String: Int] = [:]
        for (index, route) in network.routes.enumerated() {
            let routePath = KeyPath.element(routesPath, index)
            let destinationPath = KeyPath.child(routePath, "destination")
            if isKnown(destinationPath) {
                let text = "\(route.destination)/\(route.prefixLength)"
                let masked = route.destination.rawValue & DHCPNetworkConfig.mask(route.prefixLength)
                if masked != route.destination.rawValue {
                    report(
                        destinationPath,
                        "\(text) has host bits set; the prefix is \(IPv4Address(rawValue: masked))/\(route.prefixLength)"
                    )
                } else if let earlier = seen[text] {
                    report(destinationPath, "\(text) repeats routes[\(earlier)]; each destination may appear only once")
                } else {
                    seen[text] = index
                }
            }
            let viaPath = KeyPath.child(routePath, "via")
            if subnetKnown, isKnown(viaPath), let problem = dhcpHostProblem(route.via, in: network) {
                report(viaPath, "\(problem); a route's gateway must be reachable directly")
            }
        }
        let bytes = DHCPRules.classlessRouteBytes(network.routes, router: network.router)
        if bytes > DHCPRules.optionBytes {
            report(
                routesPath,
                "take \(bytes) bytes in option 121 (with the default route through the router), more than its \(DHCPRules.optionBytes); list fewer routes"
            )
        }
    }

    private func validateDHCPPool(_ network: DHCPNetworkConfig, at path: String) {
        let poolPath = KeyPath.child(path, "pool")
        guard let pool = network.pool, isKnown(poolPath) else { return }
        if pool.first.rawValue > pool.last.rawValue {
            report(poolPath, "\(pool.description) starts after it ends; write the lower address first")
            return
        }
        for address in [pool.first, pool.last] {
            if let problem = dhcpHostProblem(address, in: network) {
                report(poolPath, "\(pool.description): \(problem)")
                return
            }
        }
        let serverPath = KeyPath.child(path, "server")
        if isKnown(serverPath), pool.contains(network.server) {
            report(poolPath, "\(pool.description) contains the server's address \(network.server); keep it out")
        }
        if let router = network.router, isKnown(KeyPath.child(path, "router")), pool.contains(router) {
            report(poolPath, "\(pool.description) contains the router's address \(router); keep it out")
        }
    }

    /// Each port's `dhcp:` against its VLAN's responder: an access port of a VLAN that has one, an address
    /// in the subnet that no other port of the VLAN has and that is not the server's or router's, `auto`
    /// only with a pool that has room for every `auto` port.
    private func validateDHCPPorts(networkOfVLAN: [UInt16: Int], usable: Set<Int>, vlansKnown: Bool) {
        guard isKnown("ports") else { return }
        let patched = patchOfPorts()
        var owners: [UInt16: [IPv4Address: Int]] = [:]
        var autoPorts: [UInt16: [Int]] = [:]
        for (index, port) in config.ports.enumerated() {
            guard let dhcp = port.dhcp else { continue }
            let path = KeyPath.child(KeyPath.element("ports", index), "dhcp")
            guard isKnown(path), isKnown(KeyPath.child(KeyPath.element("ports", index), "vlan")) else { continue }
            if let patch = patched[index] {
                report(path, "the port is in patches[\(patch)]: patched ports bypass the bridge and its responder")
                continue
            }
            guard case .access(let vlan) = port.vlanMode else {
                report(
                    path,
                    "the port is a trunk; DHCP addresses are given on access ports (the VLAN of a request must be the port's)"
                )
                continue
            }
            guard let networkIndex = networkOfVLAN[vlan], isKnown(KeyPath.element("dhcp", networkIndex)) else {
                if networkOfVLAN[vlan] == nil, vlansKnown {
                    report(path, "VLAN \(vlan) has no responder; add an entry for it to dhcp")
                }
                continue
            }
            let network = config.dhcp[networkIndex]
            let networkPath = KeyPath.element("dhcp", networkIndex)
            if let mtu = network.mtu, isKnown(KeyPath.child(networkPath, "mtu")),
                isKnown(KeyPath.child(KeyPath.element("ports", index), "mtu")), mtu > port.mtu
            {
                report(
                    path,
                    "\(networkPath).mtu (\(mtu)) is more than the port's mtu (\(port.mtu)); the guest would send frames the port drops"
                )
            }
            guard usable.contains(networkIndex) else { continue }
            let addressPath = KeyPath.child(path, "address")
            switch dhcp.address {
            case .auto:
                guard isKnown(addressPath) else { continue }
                autoPorts[vlan, default: []].append(index)
            case .fixed(let address):
                guard isKnown(addressPath) else { continue }
                if let problem = dhcpHostProblem(address, in: network) {
                    report(addressPath, "\(problem) (\(networkPath).subnet)")
                } else if address == network.server {
                    report(addressPath, "\(address) is the responder's own address (\(networkPath).server)")
                } else if address == network.router {
                    report(addressPath, "\(address) is the router's address (\(networkPath).router)")
                } else if let other = owners[vlan]?[address] {
                    report(
                        addressPath,
                        "\(address) is already ports[\(other)]'s (\(quoted(config.ports[other].name))) in VLAN \(vlan); each address may be given to one port"
                    )
                } else {
                    owners[vlan, default: [:]][address] = index
                }
            }
        }
        for (vlan, ports) in autoPorts.sorted(by: { $0.key < $1.key }) {
            guard let networkIndex = networkOfVLAN[vlan] else { continue }
            let network = config.dhcp[networkIndex]
            let poolPath = KeyPath.child(KeyPath.element("dhcp", networkIndex), "pool")
            guard isKnown(poolPath) else { continue }
            guard let pool = network.pool else {
                for index in ports {
                    report(
                        KeyPath.child(KeyPath.element("ports", index), "dhcp.address"),
                        "auto needs a pool: VLAN \(vlan)'s responder (dhcp[\(networkIndex)]) has none; add \(poolPath) or give an address"
                    )
                }
                continue
            }
            // An unusable pool is reported at its own path; counting against it would only add noise.
            guard pool.first.rawValue <= pool.last.rawValue,
                dhcpHostProblem(pool.first, in: network) == nil, dhcpHostProblem(pool.last, in: network) == nil
            else { continue }
            let taken = (owners[vlan] ?? [:]).keys.filter { pool.contains($0) }.count
            let free = max(pool.count - taken, 0)
            for index in ports.dropFirst(free) {
                report(
                    KeyPath.child(KeyPath.element("ports", index), "dhcp.address"),
                    "auto: the pool \(pool.description) of dhcp[\(networkIndex)] is exhausted (\(pool.count) addresses, \(taken) given to ports as static addresses, \(ports.count) ports want one); widen the pool or give addresses"
                )
            }
        }
    }
}
