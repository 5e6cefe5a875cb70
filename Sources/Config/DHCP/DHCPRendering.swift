/// The `dhcp` list as a document (absent when empty).
extension SluiceConfig {
    var dhcpDocument: ConfigDocument? {
        dhcp.isEmpty ? nil : .list(dhcp.map(\.document))
    }
}

extension DHCPNetworkConfig {
    var document: ConfigDocument {
        .map([
            "vlan": .int(Int(vlan)),
            "subnet": .string("\(subnet)/\(prefixLength)"),
            "server": .string(server.description),
            "server-mac": .string(serverMAC.description),
            "router": router.map { .string($0.description) },
            "dns": dns.isEmpty ? nil : .list(dns.map { .string($0.description) }),
            "domain": domain.map(ConfigDocument.string),
            "lease-seconds": .int(leaseSeconds),
            "mtu": mtu.map(ConfigDocument.int),
            "routes": routes.isEmpty
                ? nil
                : .list(
                    routes.map {
                        .map([
                            "destination": .string("\($0.destination)/\($0.prefixLength)"),
                            "via": .string($0.via.description),
                        ])
                    }),
            "pool": pool.map { .string($0.description) },
        ])
    }
}

/// DHCP's part of a port's document: its `dhcp:` sub-mapping.
extension PortConfig {
    var dhcpEntries: [ConfigDocument.Entry] {
        ConfigDocument.entries(["dhcp": dhcp?.document])
    }
}

extension DHCPPortConfig {
    var document: ConfigDocument {
        switch address {
        case .fixed(let address): .map(["address": .string(address.description)])
        case .auto: .map(["address": .string("auto")])
        }
    }
}
