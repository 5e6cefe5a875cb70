/// The configuration written back as a document, e.g. for the control socket's `config.get` and for the
/// persisted configuration that a restart reads.
///
/// The document is the desired state, so it must read back to exactly the same value: settings that are
/// unset (nil) are left out, while every other value is written even when it equals the default, because
/// "unset" and "set to the default" are different states (an unset `tx-queues` follows the PMD thread
/// count; an explicit one does not) and a document that relied on today's defaults would change meaning if
/// a default changed.
extension SluiceConfig {
    /// The configuration as a YAML document that `parse(yaml:)` reads back to an equal value.
    public func renderYAML() -> String {
        document.yaml
    }

    /// The same document as JSON (one object; keys in the same order as the YAML), also accepted by
    /// `parse(yaml:)`.
    public func renderJSON(pretty: Bool = false) -> String {
        document.json(pretty: pretty)
    }

    /// Every key of the configuration file, in the order of `ConfigKeys` and the reference configuration.
    /// Adding a key to the schema means adding one line to the matching mapping below.
    var document: ConfigDocument {
        .map([
            "eal": eal.document,
            "mempool": mempool.document,
            "control": control.document,
            "l2": l2.document,
            "ports": .list(ports.map(\.document)),
            "patches": .list(patches.map(\.document)),
        ])
    }
}

extension EALConfig {
    var document: ConfigDocument {
        var noHugeMegabytes: Int?
        if case .noHuge(let megabytes) = memory { noHugeMegabytes = megabytes }
        return .map([
            "main-lcore": .int(mainLcore),
            // Quoted hex, the only form decoding accepts (see ConfigDecoder.decodeCPUMask).
            "pmd-cpu-mask": .string("0x" + String(pmdCPUMask, radix: 16)),
            "lcore-cpus": lcoreCPUsDocument,
            "socket-mem": socketMem.map(ConfigDocument.string),
            "file-prefix": .string(filePrefix),
            "memory": .string(memory.keyword),
            // Only no-huge has a size; decoding rejects the key with any other mode.
            "no-huge-mb": noHugeMegabytes.map(ConfigDocument.int),
            "extra-args": .list(extraArgs.map(ConfigDocument.string)),
        ])
    }
}

extension MempoolConfig {
    var document: ConfigDocument {
        .map([
            "mbufs": .int(mbufs),
            "cache-size": .int(cacheSize),
            "mbuf-data-size": .int(mbufDataSize),
        ])
    }
}

extension ControlConfig {
    var document: ConfigDocument {
        .map([
            "socket": .string(socketPath),
            "socket-group": socketGroup.map(ConfigDocument.string),
            "socket-mode": .string(Self.octal(socketMode)),
        ])
    }

    /// A permission mode as the quoted octal string decoding accepts: "0660", "0000".
    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(1, 4 - digits.count)) + digits
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

extension PortConfig {
    var document: ConfigDocument {
        // vhost-user ports have no devargs or queue counts of their own: Sluice derives them from these keys.
        let vhost = vhostUser
        return .map([
            "name": .string(name),
            "type": vhost.map { _ in .string(PortType.vhostUser.rawValue) },
            "path": vhost.map { .string($0.path) },
            "mode": vhost.map { .string($0.mode.rawValue) },
            "queues": vhost.map { .int($0.queues) },
            "devargs": vhost == nil ? .string(devargs) : nil,
            "rx-queues": vhost == nil ? .int(rxQueues) : nil,
            "tx-queues": vhost == nil ? txQueues.map(ConfigDocument.int) : nil,
            "rx-descriptors": .int(rxDescriptors),
            "tx-descriptors": .int(txDescriptors),
            "mtu": .int(mtu),
            "admin": .string(admin.rawValue),
            "pmd-rxq-affinity": rxQueueAffinity.map { .list($0.map(ConfigDocument.int)) },
            "vlan": vlan?.document,
            "max-macs": maxMACs.map(ConfigDocument.int),
            "port-security": portSecurity?.document,
            "static-macs": .list(staticMACs.map(\.document)),
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

extension PatchPair {
    var document: ConfigDocument {
        .list([.string(a), .string(b)])
    }
}
