import Yams

/// The keys of each section, in the order the documentation lists them (also the order shown in
/// "allowed keys" messages).
enum ConfigKeys {
    static let root = [
        "eal", "mempool", "control", "l2", "ports", "patches", "security-groups", "conntrack", "vxlan",
        "dhcp",
        "metadata",
    ]
    static let eal = [
        "main-lcore", "pmd-cpu-mask", "lcore-cpus", "socket-mem", "file-prefix", "memory", "no-huge-mb",
        "extra-args", "rxq-rebalance-interval", "rxq-rebalance-improvement",
    ]
    static let mempool = ["mbufs", "cache-size", "mbuf-data-size"]
    static let control = ["socket", "socket-group", "socket-mode", "pmd-stall-timeout-seconds"]
    /// A port's own keys, then each feature's: one term per feature, defined in the feature's folder (a new
    /// feature appends its sub-mapping key, see `PortConfig`).
    static let port =
        ["name", "type", "devargs"]
        + vhostUserPort  // VhostUser/VhostUserKeys.swift: path, mode, queues (instead of devargs)
        + ["rx-queues", "tx-queues", "rx-descriptors", "tx-descriptors", "mtu", "admin", "pmd-rxq-affinity"]
        + bridgePort  // Bridge/BridgeKeys.swift: vlan, max-macs, port-security, static-macs
        + securityGroupsPort  // SecurityGroups/SecurityGroupsKeys.swift: security-groups
        + qosPort  // QoS/QoSKeys.swift: qos
        + dhcpPort  // DHCP/DHCPKeys.swift: dhcp
        + metadataPort  // Metadata/MetadataKeys.swift: metadata
    static let memoryModes = ["huge-unlink", "in-memory", "no-huge"]
}

/// Turns the YAML tree into a `SluiceConfig`, reporting type and syntax problems.
///
/// Range and cross-field rules are left to validation, which also runs on configs built in code. Anything
/// that cannot be decoded keeps its default (or a placeholder) and is marked undecodable, so the result is
/// only used when no problem at all was reported.
struct ConfigDecoder {
    let walker: YAMLWalker
    var log: ProblemLog { walker.log }

    init(log: ProblemLog) {
        walker = YAMLWalker(log: log)
    }

    func decode(root: YAMLWalker.Mapping) -> SluiceConfig {
        let eal = decodeEAL(root.optional("eal"))
        let mempool = decodeMempool(root.optional("mempool"))
        let control = decodeControl(root.optional("control"))
        let l2 = decodeL2(root.optional("l2"))
        let portCount = "\(Limits.ports.lowerBound) to \(Limits.ports.upperBound)"
        let portsHint = "a list of \(portCount) ports, each with a name and devargs"
        let ports = decodePorts(root.required("ports", hint: portsHint))
        let patches = decodePatches(root.optional("patches"))
        let vxlan = decodeVXLAN(root.optional("vxlan"))  // VXLAN/VXLANDecoding.swift
        var config = SluiceConfig(
            eal: eal, mempool: mempool, control: control, l2: l2, ports: ports, patches: patches, vxlan: vxlan)
        config.securityGroups = decodeSecurityGroups(root.optional("security-groups"))
        config.conntrack = decodeConntrack(root.optional("conntrack"))
        config.dhcp = decodeDHCP(root.optional("dhcp"))  // DHCP/DHCPDecoding.swift
        config.metadata = decodeMetadata(root.optional("metadata"))  // Metadata/MetadataDecoding.swift
        return config
    }

    // MARK: eal

    private func decodeEAL(_ node: Node?) -> EALConfig {
        var eal = EALConfig()
        guard let section = walker.section(node, at: "eal", allowedKeys: ConfigKeys.eal) else { return eal }

        if let node = section.defaulted("main-lcore", default: "0"),
            let value = walker.integer(node, at: section.path(of: "main-lcore"))
        {
            eal.mainLcore = value
        }

        if let node = section.required(
            "pmd-cpu-mask", hint: "a quoted hex mask of the lcores that run PMD threads, e.g. \"0x2\"")
        {
            eal.pmdCPUMask = decodeCPUMask(node, at: section.path(of: "pmd-cpu-mask")) ?? 0
        }
        eal.lcoreCPUs = decodeLcoreCPUs(in: section)

        if let node = section.optional("socket-mem") {
            eal.socketMem = decodeSocketMem(node, at: section.path(of: "socket-mem"))
        }

        if let node = section.defaulted("file-prefix", default: "sluice"),
            let value = walker.string(node, at: section.path(of: "file-prefix"))
        {
            eal.filePrefix = value
        }

        let memoryPath = section.path(of: "memory")
        var memoryWord = MemoryMode.hugeUnlink.keyword
        if let node = section.defaulted("memory", default: memoryWord),
            let value = walker.keyword(node, at: memoryPath, allowed: ConfigKeys.memoryModes)
        {
            memoryWord = value
        }

        let noHugePath = section.path(of: "no-huge-mb")
        var noHugeMegabytes = MemoryMode.defaultNoHugeMegabytes
        let noHugeNode = section.defaulted("no-huge-mb", default: String(noHugeMegabytes))
        if let noHugeNode, let value = walker.integer(noHugeNode, at: noHugePath) {
            noHugeMegabytes = value
        }
        // The model cannot hold a size for a mode that has none, so the combination is caught here.
        if noHugeNode != nil, memoryWord != MemoryMode.noHuge(megabytes: 0).keyword,
            !log.isUndecodable(memoryPath)
        {
            let origin = section.contains("memory") ? "" : " (the default)"
            log.reject(
                noHugePath,
                "only applies with eal.memory: no-huge, but eal.memory is \(memoryWord)\(origin); remove it or set eal.memory: no-huge"
            )
        }
        switch memoryWord {
        case "in-memory": eal.memory = .inMemory
        case "no-huge": eal.memory = .noHuge(megabytes: noHugeMegabytes)
        default: eal.memory = .hugeUnlink
        }

        if let node = section.optional("extra-args") {
            let path = section.path(of: "extra-args")
            if let elements = walker.list(node, at: path, expected: "a list of strings") {
                let strings = elements.enumerated().map { walker.string($1, at: KeyPath.element(path, $0)) }
                eal.extraArgs = strings.compactMap { $0 }
            }
        }
        readInteger("rxq-rebalance-interval", of: section, into: &eal.rxqRebalanceInterval)
        readInteger("rxq-rebalance-improvement", of: section, into: &eal.rxqRebalanceImprovement)
        return eal
    }

    /// Accepts only a quoted string: unquoted, `10` would be read as ten although OVS users mean 0x10.
    private func decodeCPUMask(_ node: Node, at path: String) -> UInt64? {
        if case .scalar(let scalar) = node, node.tagName == .int || node.tagName == .float {
            log.reject(
                path,
                "must be a quoted hex string: write \"\(scalar.string)\" (unquoted, YAML reads a number, so 10 would mean ten rather than 0x10)"
            )
            return nil
        }
        guard let text = walker.string(node, at: path) else { return nil }
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
            log.reject(
                path, "\(quoted(text)) is not a hex mask: use hex digits, optionally prefixed by 0x, e.g. \"0x6\"")
            return nil
        }
        let significant = digits.drop { $0 == "0" }
        guard significant.count <= 16, let mask = UInt64(significant.isEmpty ? "0" : significant, radix: 16)
        else {
            log.reject(path, "\(quoted(text)) does not fit in 64 bits: only lcores 0...63 are supported")
            return nil
        }
        return mask
    }

    /// A string, but an unquoted single number (`socket-mem: 512`) is unambiguous and accepted as written.
    private func decodeSocketMem(_ node: Node, at path: String) -> String? {
        if case .scalar(let scalar) = node, node.tagName == .int {
            log.locate(path, line: node.mark?.line)
            return scalar.string
        }
        guard case .scalar = node, node.tagName == .str else {
            log.reject(
                path,
                "expected megabytes per NUMA socket as a string like \"512\" or \"512,512\", got \(YAMLWalker.describe(node))"
            )
            return nil
        }
        return walker.string(node, at: path)
    }

    // MARK: mempool

    private func decodeMempool(_ node: Node?) -> MempoolConfig {
        var mempool = MempoolConfig()
        guard let section = walker.section(node, at: "mempool", allowedKeys: ConfigKeys.mempool) else {
            return mempool
        }
        readInteger("mbufs", of: section, into: &mempool.mbufs)
        readInteger("cache-size", of: section, into: &mempool.cacheSize)
        readInteger("mbuf-data-size", of: section, into: &mempool.mbufDataSize)
        return mempool
    }

    // MARK: control

    private func decodeControl(_ node: Node?) -> ControlConfig {
        var control = ControlConfig()
        guard let section = walker.section(node, at: "control", allowedKeys: ConfigKeys.control) else {
            return control
        }
        if let node = section.defaulted("socket", default: control.socketPath),
            let value = walker.string(node, at: section.path(of: "socket"))
        {
            control.socketPath = value
        }
        if let node = section.optional("socket-group") {
            control.socketGroup = walker.string(node, at: section.path(of: "socket-group"))
        }
        if let node = section.defaulted("socket-mode", default: "\"0660\"") {
            control.socketMode = decodeMode(node, at: section.path(of: "socket-mode")) ?? control.socketMode
        }
        readInteger("pmd-stall-timeout-seconds", of: section, into: &control.pmdStallTimeoutSeconds)
        return control
    }

    /// Accepts only a quoted string: unquoted, YAML reads 0660 as octal but 660 as decimal.
    private func decodeMode(_ node: Node, at path: String) -> UInt32? {
        if case .scalar(let scalar) = node, node.tagName == .int || node.tagName == .float {
            let digits = scalar.string.hasPrefix("0") ? scalar.string : "0" + scalar.string
            log.reject(
                path,
                "must be a quoted octal string: write \"\(digits)\" (unquoted, YAML reads 0660 as octal but 660 as decimal)"
            )
            return nil
        }
        guard let text = walker.string(node, at: path) else { return nil }
        guard !text.isEmpty, text.allSatisfy({ ("0"..."7").contains($0) }),
            let mode = UInt32(text, radix: 8)
        else {
            log.reject(path, "\(quoted(text)) is not an octal permission mode like \"0660\"")
            return nil
        }
        return mode
    }

    // MARK: ports

    private func decodePorts(_ node: Node?) -> [PortConfig] {
        guard let node else { return [] }
        guard let elements = walker.list(node, at: "ports", expected: "a list of ports") else { return [] }
        return elements.enumerated().map { index, element in
            decodePort(element, at: KeyPath.element("ports", index))
        }
    }

    func decodePort(_ node: Node, at path: String) -> PortConfig {
        // Undecodable ports stay in the list as placeholders so that later ports keep their index in paths.
        var port = PortConfig(name: "", devargs: "")
        guard
            let section = walker.mapping(
                node, at: path, allowedKeys: ConfigKeys.port, expected: "a port mapping with name and devargs")
        else { return port }

        if let node = section.required("name", hint: "the port's name, e.g. tap0") {
            port.name = walker.string(node, at: section.path(of: "name")) ?? ""
        }
        var type: PortType? = .dpdk
        if let node = section.defaulted("type", default: PortType.dpdk.rawValue) {
            type = walker.keyword(node, at: section.path(of: "type"), allowed: PortType.allCases.map(\.rawValue))
                .flatMap(PortType.init(rawValue:))
        }
        switch type {
        case .dpdk?:
            rejectVhostUserKeys(of: section)
            if let node = section.required(
                "devargs",
                hint:
                    "DPDK device arguments, e.g. \"net_tap0,iface=sl0\" or \"0000:01:00.0\" (or type: vhost-user with a path)"
            ) {
                port.devargs = walker.string(node, at: section.path(of: "devargs")) ?? ""
            }
            readInteger("rx-queues", of: section, into: &port.rxQueues)
            if let node = section.optional("tx-queues") {
                port.txQueues = walker.integer(node, at: section.path(of: "tx-queues"))
            }
        case .vhostUser?:
            port.vhostUser = decodeVhostUser(section, port: &port)
        case nil:
            // Without a known type it is unclear which keys apply: the port's other keys are not checked.
            log.markUndecodable(path)
        }
        readInteger("rx-descriptors", of: section, into: &port.rxDescriptors)
        readInteger("tx-descriptors", of: section, into: &port.txDescriptors)
        readInteger("mtu", of: section, into: &port.mtu)
        if let node = section.defaulted("admin", default: port.admin.rawValue),
            let word = walker.keyword(
                node, at: section.path(of: "admin"), allowed: AdminState.allCases.map(\.rawValue)),
            let admin = AdminState(rawValue: word)
        {
            port.admin = admin
        }
        if let node = section.optional("pmd-rxq-affinity") {
            let affinityPath = section.path(of: "pmd-rxq-affinity")
            if let elements = walker.list(node, at: affinityPath, expected: "a list of lcores, one per rx queue") {
                let lcores = elements.enumerated().map { walker.integer($1, at: KeyPath.element(affinityPath, $0)) }
                let decoded = lcores.compactMap { $0 }
                if decoded.count == lcores.count {
                    port.rxQueueAffinity = decoded
                } else {
                    // A partial list would make the per-queue count check misleading.
                    log.markUndecodable(affinityPath)
                }
            }
        }
        // Each feature's keys, one line per feature (its decoder lives in the feature's folder).
        decodeBridgeKeys(of: section, into: &port)
        decodeSecurityGroupsKeys(of: section, into: &port)
        decodeQoSKeys(of: section, into: &port)
        decodeDHCPKeys(of: section, into: &port)
        decodeMetadataKeys(of: section, into: &port)
        return port
    }

    // MARK: patches

    private func decodePatches(_ node: Node?) -> [PatchPair] {
        guard let node else { return [] }
        let expected = "a list of port pairs like [tap0, tap1]"
        guard let elements = walker.list(node, at: "patches", expected: expected) else { return [] }
        return elements.enumerated().map { index, element in
            let path = KeyPath.element("patches", index)
            var pair = PatchPair(a: "", b: "")
            guard let ends = walker.list(element, at: path, expected: "a pair of port names like [tap0, tap1]") else {
                return pair
            }
            guard ends.count == 2 else {
                let count = ends.count == 1 ? "1 name" : "\(ends.count) names"
                log.reject(path, "has \(count); a patch connects exactly two ports, like [tap0, tap1]")
                return pair
            }
            pair.a = walker.string(ends[0], at: KeyPath.element(path, 0)) ?? ""
            pair.b = walker.string(ends[1], at: KeyPath.element(path, 1)) ?? ""
            return pair
        }
    }

    // MARK: Helpers

    func readInteger(_ key: String, of section: YAMLWalker.Mapping, into target: inout Int) {
        if let node = section.defaulted(key, default: String(target)),
            let value = walker.integer(node, at: section.path(of: key))
        {
            target = value
        }
    }
}
