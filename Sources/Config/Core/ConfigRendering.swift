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
    /// Adding a key to the schema means adding one line to the matching mapping (below, or in the feature's
    /// folder for a feature's keys, e.g. Bridge/BridgeRendering.swift).
    var document: ConfigDocument {
        .map([
            "eal": eal.document,
            "mempool": mempool.document,
            "control": control.document,
            "l2": l2.document,
            "ports": .list(ports.map(\.document)),
            "patches": .list(patches.map(\.document)),
            "security-groups": .list(securityGroups.map(\.document)),
            "conntrack": conntrack.document,
            "vxlan": vxlan?.document,  // VXLAN/VXLANRendering.swift
            "dhcp": dhcpDocument,  // DHCP/DHCPRendering.swift
            "metadata": metadata?.document,  // Metadata/MetadataRendering.swift
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
            "rxq-rebalance-interval": .int(rxqRebalanceInterval),
            "rxq-rebalance-improvement": .int(rxqRebalanceImprovement),
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
            "pmd-stall-timeout-seconds": .int(pmdStallTimeoutSeconds),
        ])
    }

    /// A permission mode as the quoted octal string decoding accepts: "0660", "0000".
    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(1, 4 - digits.count)) + digits
    }
}

extension PortConfig {
    /// The port's own keys, then each feature's entries: one line per feature, rendered in the feature's
    /// folder (a new feature adds its sub-mapping, e.g. `+ qosEntries` for `qos: {...}`).
    var document: ConfigDocument {
        // vhost-user ports have no devargs or queue counts of their own: Sluice derives them from its keys.
        let isVhostUser = vhostUser != nil
        return .mapping(
            ConfigDocument.entries(["name": .string(name)])
                + vhostUserEntries  // VhostUser/VhostUserRendering.swift: type, path, mode, queues
                + ConfigDocument.entries([
                    "devargs": isVhostUser ? nil : .string(devargs),
                    "rx-queues": isVhostUser ? nil : .int(rxQueues),
                    "tx-queues": isVhostUser ? nil : txQueues.map(ConfigDocument.int),
                    "rx-descriptors": .int(rxDescriptors),
                    "tx-descriptors": .int(txDescriptors),
                    "mtu": .int(mtu),
                    "admin": .string(admin.rawValue),
                    "pmd-rxq-affinity": rxQueueAffinity.map { .list($0.map(ConfigDocument.int)) },
                ])
                + bridgeEntries  // Bridge/BridgeRendering.swift: vlan, max-macs, port-security, static-macs
                + securityGroupsEntries  // SecurityGroups/SecurityGroupsRendering.swift: security-groups
                + qosEntries  // QoS/QoSRendering.swift: qos
                + dhcpEntries  // DHCP/DHCPRendering.swift: dhcp
                + metadataEntries  // Metadata/MetadataRendering.swift: metadata
        )
    }
}
