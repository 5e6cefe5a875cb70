/// The bridge's part of the document: the `l2` section and each port's bridge keys.
extension PortConfig {
    var bridgeEntries: [ConfigDocument.Entry] {
        ConfigDocument.entries([
            "vlan": vlan?.document,
            "max-macs": maxMACs.map(ConfigDocument.int),
            "port-security": portSecurity?.document,
            "static-macs": .list(staticMACs.map(\.document)),
        ])
    }
}

extension L2Config {
    var document: ConfigDocument {
        .map([
            "mac-aging-seconds": .int(macAgingSeconds),
            "max-macs-per-port": .int(maxMACsPerPort),
            "mac-table-size": .int(macTableSize),
        ])
    }
}

extension VLANMode {
    var document: ConfigDocument {
        switch self {
        case .access(let vlan):
            return .map([
                "mode": .string(keyword),
                "id": .int(Int(vlan)),
            ])
        case .trunk(let allowed, let native):
            return .map([
                "mode": .string(keyword),
                "allowed": allowed.document,
                "native": native.map { .int(Int($0)) },
            ])
        }
    }
}

extension VLANSet {
    /// The compact notation of the configuration file: single VLANs as integers, runs of consecutive VLANs
    /// as "a-b" strings, ascending: `[1, 100, "200-210"]`. Decoding rebuilds the same set from it.
    var document: ConfigDocument {
        .list(
            description.split(separator: ",").map { part in
                Int(part).map(ConfigDocument.int) ?? .string(String(part))
            })
    }
}

extension PortSecurityConfig {
    var document: ConfigDocument {
        // Decoding sorts a mixed list into the two families, keeping each family's order; writing IPv4
        // first, then IPv6, gives back the same two arrays.
        let ips = ipv4.map { ConfigDocument.string($0.description) } + ipv6.map { .string($0.description) }
        return .map([
            "mac": .string(mac.description),
            // An empty list is rejected by decoding: no ips means any source address.
            "ips": ips.isEmpty ? nil : .list(ips),
        ])
    }
}

extension StaticMACConfig {
    var document: ConfigDocument {
        .map([
            "mac": .string(mac.description),
            "vlan": vlan.map { .int(Int($0)) },
        ])
    }
}
