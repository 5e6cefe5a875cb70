import Packet
import Yams

/// Decoding of the `dhcp` list and of a port's `dhcp:` sub-mapping: types and syntax, problems at key paths.
/// Ranges and relations (subnet, pool, ports) are validation's.
extension ConfigDecoder {
    func decodeDHCP(_ node: Node?) -> [DHCPNetworkConfig] {
        guard let node, !YAMLWalker.isNull(node) else { return [] }
        let example = "{vlan: 100, subnet: 10.0.100.0/24, server: 10.0.100.2, server-mac: \"02:00:00:00:01:00\"}"
        guard let elements = walker.list(node, at: "dhcp", expected: "a list of VLAN responders like \(example)")
        else { return [] }
        // Undecodable entries stay as placeholders so that later entries keep their index in paths.
        return elements.enumerated().map { index, element in
            let path = KeyPath.element("dhcp", index)
            var network = DHCPNetworkConfig(
                vlan: 0, subnet: IPv4Address(rawValue: 0), prefixLength: 0, server: IPv4Address(rawValue: 0),
                serverMAC: .zero)
            guard
                let section = walker.mapping(
                    element, at: path, allowedKeys: ConfigKeys.dhcpNetwork,
                    expected: "a VLAN responder mapping like \(example)")
            else { return network }
            if let node = section.required("vlan", hint: "the bridge VLAN the responder serves, 1...4094") {
                let vlanPath = section.path(of: "vlan")
                if let value = walker.integer(node, at: vlanPath) {
                    if let vlan = UInt16(exactly: value) {
                        network.vlan = vlan
                    } else {
                        log.reject(vlanPath, "\(value) is \(L2Rules.vlanIDProblem(value) ?? "")")
                    }
                }
            }
            if let node = section.required("subnet", hint: "the VLAN's IPv4 subnet, e.g. 10.0.100.0/24") {
                let subnetPath = section.path(of: "subnet")
                if let (address, length) = decodeDHCPPrefix(node, at: subnetPath, example: "10.0.100.0/24") {
                    network.subnet = address
                    network.prefixLength = length
                }
            }
            if let node = section.required("server", hint: "the responder's own address in the subnet") {
                network.server = decodeDHCPAddress(node, at: section.path(of: "server")) ?? network.server
            }
            if let node = section.required("server-mac", hint: "the responder's MAC, e.g. \"02:00:00:00:01:00\"") {
                let macPath = section.path(of: "server-mac")
                log.locate(macPath, line: node.mark?.line)
                if case .scalar(let scalar) = node, let mac = EthernetAddress(scalar.string) {
                    network.serverMAC = mac
                } else {
                    log.reject(
                        macPath,
                        "expected a MAC address (six two-digit hex bytes separated by colons, e.g. \"02:00:00:00:01:00\"), got \(YAMLWalker.describe(node))"
                    )
                }
            }
            if let node = section.optional("router") {
                network.router = decodeDHCPAddress(node, at: section.path(of: "router"))
            }
            if let node = section.optional("dns") {
                let dnsPath = section.path(of: "dns")
                if let elements = walker.list(node, at: dnsPath, expected: "a list of DNS server addresses") {
                    let decoded = elements.enumerated().map { decodeDHCPAddress($1, at: KeyPath.element(dnsPath, $0)) }
                    network.dns = decoded.compactMap { $0 }
                    if network.dns.count != decoded.count { log.markUndecodable(dnsPath) }
                }
            }
            if let node = section.optional("domain") {
                network.domain = walker.string(node, at: section.path(of: "domain"))
            }
            readInteger("lease-seconds", of: section, into: &network.leaseSeconds)
            if let node = section.optional("mtu") {
                network.mtu = walker.integer(node, at: section.path(of: "mtu"))
            }
            if let node = section.optional("routes") {
                network.routes = decodeDHCPRoutes(node, at: section.path(of: "routes"))
            }
            if let node = section.optional("pool") {
                network.pool = decodeDHCPPool(node, at: section.path(of: "pool"))
            }
            return network
        }
    }

    private func decodeDHCPRoutes(_ node: Node, at path: String) -> [DHCPRouteConfig] {
        let example = "{destination: 169.254.169.254/32, via: 10.0.100.1}"
        guard let elements = walker.list(node, at: path, expected: "a list of routes like \(example)") else {
            return []
        }
        return elements.enumerated().map { index, element in
            var route = DHCPRouteConfig(
                destination: IPv4Address(rawValue: 0), prefixLength: 0, via: IPv4Address(rawValue: 0))
            guard
                let section = walker.mapping(
                    element, at: KeyPath.element(path, index), allowedKeys: ConfigKeys.dhcpRoute,
                    expected: "a route mapping like \(example)")
            else { return route }
            if let node = section.required("destination", hint: "the destination prefix, e.g. 169.254.169.254/32") {
                if let (address, length) = decodeDHCPPrefix(
                    node, at: section.path(of: "destination"), example: "169.254.169.254/32")
                {
                    route.destination = address
                    route.prefixLength = length
                }
            }
            if let node = section.required("via", hint: "the gateway's address in the subnet") {
                route.via = decodeDHCPAddress(node, at: section.path(of: "via")) ?? route.via
            }
            return route
        }
    }

    /// "first-last".
    private func decodeDHCPPool(_ node: Node, at path: String) -> DHCPPoolConfig? {
        guard let text = walker.string(node, at: path) else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let first = IPv4Address(parts[0]), let last = IPv4Address(parts[1]) else {
            log.reject(
                path,
                "\(quoted(text)) is not an address range; write the first and last address, e.g. 10.0.100.100-10.0.100.199"
            )
            return nil
        }
        return DHCPPoolConfig(first: first, last: last)
    }

    /// "a.b.c.d/n".
    private func decodeDHCPPrefix(_ node: Node, at path: String, example: String) -> (IPv4Address, Int)? {
        guard let text = walker.string(node, at: path) else { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])),
            !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(parts[1]),
            length <= 32
        else {
            log.reject(path, "\(quoted(text)) is not an IPv4 prefix like \(example)")
            return nil
        }
        return (address, length)
    }

    /// A single IPv4 address.
    private func decodeDHCPAddress(_ node: Node, at path: String) -> IPv4Address? {
        log.locate(path, line: node.mark?.line)
        guard case .scalar(let scalar) = node, !YAMLWalker.isNull(node), let address = IPv4Address(scalar.string)
        else {
            log.reject(path, "expected an IPv4 address like 10.0.100.1, got \(YAMLWalker.describe(node))")
            return nil
        }
        return address
    }

    /// A port's `dhcp: {address: A.B.C.D | auto}`.
    func decodeDHCPKeys(of section: YAMLWalker.Mapping, into port: inout PortConfig) {
        guard let node = section.optional("dhcp") else { return }
        let path = section.path(of: "dhcp")
        let hint = "{address: 10.0.100.5} or {address: auto}"
        port.dhcp = DHCPPortConfig(address: .auto)
        guard
            let dhcp = walker.mapping(node, at: path, allowedKeys: ConfigKeys.dhcp, expected: "a mapping like \(hint)")
        else {
            log.markUndecodable(path)
            return
        }
        guard let node = dhcp.required("address", hint: "the port's address in its VLAN's subnet, or auto") else {
            log.markUndecodable(path)
            return
        }
        let addressPath = dhcp.path(of: "address")
        log.locate(addressPath, line: node.mark?.line)
        if case .scalar(let scalar) = node, scalar.string == "auto" {
            port.dhcp = DHCPPortConfig(address: .auto)
        } else if case .scalar(let scalar) = node, let address = IPv4Address(scalar.string) {
            port.dhcp = DHCPPortConfig(address: .fixed(address))
        } else {
            log.reject(
                addressPath, "expected an IPv4 address like 10.0.100.5 or auto, got \(YAMLWalker.describe(node))")
        }
    }
}
