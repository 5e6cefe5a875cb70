extension SluiceConfig {
    /// Runs every semantic rule on a config (parsed or built in code) and throws all problems found.
    public func validate(host: HostFacts = .unknown) throws(ConfigError) {
        let log = ProblemLog()
        validate(into: log, host: host)
        if !log.isEmpty { throw ConfigError(problems: log.problems) }
    }

    /// Rules whose inputs `log` marks as undecodable are skipped: their values are defaults or placeholders.
    func validate(into log: ProblemLog, host: HostFacts = .unknown) {
        Validator(config: self, log: log, host: host).run()
    }
}

/// The semantic rules: ranges and relations between keys. Each rule reports against the key path the
/// operator has to edit, and cross-key rules only run when every key they read holds a usable value, so
/// one mistake produces one problem.
struct Validator {
    let config: SluiceConfig
    let log: ProblemLog
    let host: HostFacts

    func run() {
        let mask = validateEAL()
        let dataSize = validateMempool()
        validateControl()
        validateL2()
        validatePorts(mask: mask, mbufDataSize: dataSize)
        validatePatches()
        validateSecurityGroups()
        validateVXLAN()  // VXLAN/VXLANValidation.swift
        validateDHCP()  // DHCP/DHCPValidation.swift: the dhcp list and the ports' dhcp
        validateMetadata()  // Metadata/MetadataValidation.swift: the metadata section and the ports' metadata
        // Rules across sections and against the machine, each in its feature's folder.
        validateLcoresOnHost(mask: mask)
        validateFilePrefixOnHost()
        validatePoolSize(mask: mask)
        validateSharedDevices()
    }

    // MARK: eal

    /// Returns the PMD mask if it is usable for cross-checks.
    private func validateEAL() -> UInt64? {
        let eal = config.eal
        let mainLcore = checkRange(eal.mainLcore, Limits.lcore, at: "eal.main-lcore")

        let maskPath = "eal.pmd-cpu-mask"
        var mask: UInt64? = isKnown(maskPath) ? eal.pmdCPUMask : nil
        if mask == 0 {
            report(maskPath, "0x0 selects no lcore: set one bit per PMD thread, e.g. \"0x2\" for lcore 1")
            mask = nil
        }
        if let mask, let mainLcore, mask & (UInt64(1) << UInt64(mainLcore)) != 0 {
            report(
                maskPath,
                "\(hex(mask)) includes lcore \(mainLcore), which is eal.main-lcore: the main lcore runs the control thread and cannot also run a PMD thread"
            )
        }

        checkRange(eal.rxqRebalanceInterval, EALConfig.rxqRebalanceIntervalRange, at: "eal.rxq-rebalance-interval")
        checkRange(
            eal.rxqRebalanceImprovement, EALConfig.rxqRebalanceImprovementRange, at: "eal.rxq-rebalance-improvement")

        let socketMemPath = "eal.socket-mem"
        if let socketMem = eal.socketMem, isKnown(socketMemPath) {
            if !Self.isSocketMemList(socketMem) {
                report(
                    socketMemPath,
                    "\(quoted(socketMem)) is not a list of megabytes per NUMA socket: use positive integers separated by commas, e.g. \"512\" or \"512,512\""
                )
            }
            if case .noHuge = eal.memory, isKnown("eal.memory") {
                report(
                    socketMemPath,
                    "cannot be combined with eal.memory: no-huge (DPDK rejects --socket-mem with --no-huge); remove it, eal.no-huge-mb sizes no-huge memory"
                )
            }
        }

        let prefixPath = "eal.file-prefix"
        if isKnown(prefixPath), !Self.isFilePrefix(eal.filePrefix) {
            report(
                prefixPath,
                "\(quoted(eal.filePrefix)) is not a valid file prefix: use 1 to 32 characters from A-Z, a-z, 0-9, _ and -"
            )
        }

        if case .noHuge(let megabytes) = eal.memory {
            checkRange(megabytes, Limits.noHugeMegabytes, at: "eal.no-huge-mb")
        }

        for (index, argument) in eal.extraArgs.enumerated() {
            let path = KeyPath.element("eal.extra-args", index)
            guard isKnown(path), let option = EALOptions.reservedOption(in: argument) else { continue }
            if let configKey = option.configKey {
                report(
                    path,
                    "\(quoted(argument)) is an EAL option Sluice sets itself (\(option.spelling)); use \(configKey) instead"
                )
            } else if let refusal = option.refusal {
                report(path, "\(quoted(argument)) cannot be passed to EAL (\(option.spelling)): \(refusal)")
            }
        }
        validateLcoreCPUs(mainLcore: mainLcore, mask: mask)
        return mask
    }

    // MARK: mempool

    /// Returns the mbuf data size if it is usable for cross-checks.
    private func validateMempool() -> Int? {
        let mempool = config.mempool
        checkRange(mempool.mbufs, Limits.mbufs, at: "mempool.mbufs")
        // Checked even when mbufs is out of range: the two problems have different fixes.
        if let cacheSize = checkRange(mempool.cacheSize, Limits.cacheSize, at: "mempool.cache-size"),
            isKnown("mempool.mbufs"), cacheSize * 3 / 2 > mempool.mbufs
        {
            report(
                "mempool.cache-size",
                "\(cacheSize) needs a pool of at least \(cacheSize * 3 / 2) mbufs (DPDK requires cache-size × 1.5 <= mbufs), but mempool.mbufs is \(mempool.mbufs)"
            )
        }
        return checkRange(mempool.mbufDataSize, Limits.mbufDataSize, at: "mempool.mbuf-data-size")
    }

    // MARK: control

    private func validateControl() {
        let control = config.control
        let socketPath = "control.socket"
        if isKnown(socketPath) {
            let path = control.socketPath
            let bytes = path.utf8.count
            if !path.hasPrefix("/") {
                report(socketPath, "\(quoted(path)) is not an absolute path")
            } else if path.hasSuffix("/") {
                report(
                    socketPath,
                    "\(quoted(path)) names a directory; give the socket file's path, e.g. /run/sluice/sluice.sock")
            }
            if bytes > Limits.socketPathBytes {
                report(
                    socketPath,
                    "\(quoted(path)) is \(bytes) bytes long; a Unix socket path can have at most \(Limits.socketPathBytes) bytes"
                )
            }
            if path.contains("\0") {
                report(socketPath, "\(quoted(path)) contains a NUL character")
            }
        }

        let groupPath = "control.socket-group"
        if let group = control.socketGroup, isKnown(groupPath), !Self.isGroupName(group) {
            report(groupPath, "\(quoted(group)) is not a valid group name")
        }

        checkRange(
            control.pmdStallTimeoutSeconds, ControlConfig.pmdStallTimeoutRange, at: "control.pmd-stall-timeout-seconds")

        let modePath = "control.socket-mode"
        if isKnown(modePath), control.socketMode & ~UInt32(0o777) != 0 {
            report(
                modePath,
                "\(quoted("0" + String(control.socketMode, radix: 8))) has bits outside 0777: only permission bits are allowed"
            )
        }
    }

    // MARK: ports

    private func validatePorts(mask: UInt64?, mbufDataSize: Int?) {
        let ports = config.ports
        if isKnown("ports"), !Limits.ports.contains(ports.count) {
            report(
                "ports",
                ports.isEmpty
                    ? "has no entries; list 1 to \(Limits.ports.upperBound) ports"
                    : "has \(ports.count) entries; at most \(Limits.ports.upperBound) ports are supported")
        }
        validateEthdevLimit()  // Ports/EthdevLimitValidation.swift

        var portByName: [String: Int] = [:]
        var portByDevice: [String: Int] = [:]
        let patchOfPort = patchOfPorts()
        var staticMACs = StaticMACRegistry()
        var vhostSocketPaths: [String: Int] = [:]
        for (index, port) in ports.enumerated() {
            let path = KeyPath.element("ports", index)
            guard isKnown(path) else { continue }
            let key = { (name: String) in KeyPath.child(path, name) }

            if isKnown(key("name")) {
                if !Self.isPortName(port.name) {
                    report(
                        key("name"),
                        "\(quoted(port.name)) is not a valid port name: use 1 to 32 characters from A-Z, a-z, 0-9, _, . and -, starting with a letter or digit"
                    )
                }
                if let first = portByName[port.name] {
                    report(
                        key("name"),
                        "\(quoted(port.name)) is already the name of ports[\(first)]; port names must be unique")
                } else {
                    portByName[port.name] = index
                }
            }

            let rxQueues: Int?
            if let vhost = port.vhostUser {
                rxQueues = validateVhostUser(
                    vhost, of: port, at: path, mask: mask, portByDevice: &portByDevice, socketPaths: &vhostSocketPaths,
                    index: index)
            } else {
                if isKnown(key("devargs")), let device = validateDevargs(port.devargs, at: key("devargs")) {
                    if let first = portByDevice[device] {
                        report(
                            key("devargs"),
                            "device \(quoted(port.deviceName)) is already used by ports[\(first)]; each device can back only one port"
                        )
                    } else {
                        portByDevice[device] = index
                    }
                }
                rxQueues = checkRange(port.rxQueues, Limits.queues, at: key("rx-queues"))
            }
            if port.vhostUser == nil, let txQueues = port.txQueues,
                checkRange(txQueues, Limits.queues, at: key("tx-queues")) != nil, let mask,
                txQueues < mask.nonzeroBitCount
            {
                let threads = mask.nonzeroBitCount
                report(
                    key("tx-queues"),
                    "\(txQueues) is fewer than the \(threads) PMD threads of eal.pmd-cpu-mask \(hex(mask)): each PMD thread needs its own tx queue on every port because DPDK tx queues are not thread-safe; use at least \(threads), or omit tx-queues for one per PMD thread"
                )
            }
            validateDriverLimits(of: port, at: path, mask: mask)
            checkDescriptors(port.rxDescriptors, at: key("rx-descriptors"))
            checkDescriptors(port.txDescriptors, at: key("tx-descriptors"))

            if let mtu = checkRange(port.mtu, Limits.mtu, at: key("mtu")), let mbufDataSize,
                mtu + Limits.frameOverhead > mbufDataSize
            {
                let frame = mtu + Limits.frameOverhead
                report(
                    key("mtu"),
                    "\(mtu) needs \(frame)-byte mbufs (MTU + \(Limits.frameOverhead) for the Ethernet header, two VLAN tags and the FCS) but mempool.mbuf-data-size is \(mbufDataSize); raise mempool.mbuf-data-size to at least \(frame) or lower \(key("mtu")) (Sluice does not receive into chained mbufs)"
                )
            }

            let affinityPath = key("pmd-rxq-affinity")
            if let affinity = port.rxQueueAffinity, isKnown(affinityPath) {
                if let rxQueues, affinity.count != rxQueues {
                    let queuesKey = port.vhostUser == nil ? key("rx-queues") : key("queues")
                    report(
                        affinityPath,
                        "has \(affinity.count) \(affinity.count == 1 ? "entry" : "entries") but \(queuesKey) is \(rxQueues): give exactly one lcore per rx queue"
                    )
                }
                if let mask {
                    for (queue, lcore) in affinity.enumerated() {
                        let lcorePath = KeyPath.element(affinityPath, queue)
                        guard isKnown(lcorePath), !Self.mask(mask, contains: lcore) else { continue }
                        report(
                            lcorePath,
                            "\(lcore) is not a PMD lcore: eal.pmd-cpu-mask \(hex(mask)) selects \(Self.lcoreList(mask))"
                        )
                    }
                }
            }

            // Each feature's rules on its keys, one line per feature (in the feature's folder).
            validateBridgeKeys(of: port, at: path, patch: patchOfPort[index], staticMACs: &staticMACs)
            validateSecurityGroupsKeys(of: port, at: path, patched: patchOfPort[index] != nil)
            validateQoSKeys(of: port, at: path)
        }
    }

    /// Reports what is wrong with `devargs`; returns the device's identity for the uniqueness check if the
    /// device name is well-formed.
    private func validateDevargs(_ devargs: String, at path: String) -> String? {
        let example = "e.g. \"0000:01:00.0\" for a PCI device or \"net_tap0,iface=sl0\" for a virtual one"
        guard !devargs.isEmpty else {
            report(path, "is empty; give DPDK device arguments, \(example)")
            return nil
        }
        if devargs.contains(where: { $0.isWhitespace }) {
            report(path, "\(quoted(devargs)) contains whitespace, which DPDK device arguments cannot contain")
            return nil
        }
        let name = Devargs.deviceName(of: devargs)
        let arguments = devargs.dropFirst(name.count).dropFirst()
        var identity: String?
        if Devargs.pciAddress(name) != nil {
            identity = Devargs.identity(ofDeviceName: name)
        } else if Devargs.isVirtualDeviceName(name) {
            identity = name
        } else if name.contains(":") {
            report(
                path,
                "\(quoted(name)) is not a valid PCI address: expected domain:bus:device.function or bus:device.function in hex, e.g. \"0000:01:00.0\""
            )
        } else if name.hasPrefix(Devargs.virtualPrefix) {
            report(
                path,
                "\(quoted(name)) is not a valid virtual device name: \"net_\" must be followed by the driver name and instance, e.g. \"net_tap0\" (letters, digits and _ only)"
            )
        } else {
            report(
                path,
                "\(quoted(name)) is neither a PCI address nor a virtual device: virtual device names must start with \"net_\", \(example)"
            )
        }
        if devargs.contains(","),
            arguments.split(separator: ",", omittingEmptySubsequences: false).contains(where: \.isEmpty)
        {
            report(
                path,
                "\(quoted(devargs)) has an empty argument (a stray comma); arguments are key=value separated by commas")
        }
        return identity
    }

    private func checkDescriptors(_ count: Int, at path: String) {
        guard let count = checkRange(count, Limits.descriptors, at: path) else { return }
        if count & (count - 1) != 0 {
            report(path, "\(count) is not a power of two; use one of 64, 128, 256, ..., 32768")
        }
    }

    // MARK: patches

    private func validatePatches() {
        let ports = config.ports
        // A patch naming a port whose own name could not be read is not necessarily wrong. (Only read when
        // there are patches: a thousand key paths are not built for nothing.)
        let portNamesKnown =
            config.patches.isEmpty
            || isKnown("ports")
                && ports.indices.allSatisfy { isKnown(KeyPath.child(KeyPath.element("ports", $0), "name")) }
        let portNames = Set(ports.map(\.name))
        var patchOfPort: [String: Int] = [:]
        for (index, pair) in config.patches.enumerated() {
            let path = KeyPath.element("patches", index)
            guard isKnown(path) else { continue }
            let ends = [(pair.a, KeyPath.element(path, 0)), (pair.b, KeyPath.element(path, 1))]
            if ends.allSatisfy({ isKnown($0.1) }), pair.a == pair.b {
                report(path, "connects \(quoted(pair.a)) to itself; a patch needs two different ports")
            }
            for (name, endPath) in ends where isKnown(endPath) {
                if portNamesKnown, !portNames.contains(name) {
                    var listed: Set<String> = []
                    let listedNames = ports.map(\.name).filter { listed.insert($0).inserted }
                    let known =
                        portNames.isEmpty ? "there are no ports" : "ports are: " + listedNames.joined(separator: ", ")
                    report(endPath, "\(quoted(name)) is not the name of a port; \(known)")
                } else if let other = patchOfPort[name], other != index {
                    report(
                        endPath,
                        "\(quoted(name)) is already patched by patches[\(other)]; a port can be in at most one patch")
                } else {
                    patchOfPort[name] = index
                }
            }
        }
    }

    // MARK: Helpers

    func report(_ path: String, _ message: String) {
        log.report(path, message)
    }

    func isKnown(_ path: String) -> Bool {
        !log.isUndecodable(path)
    }

    /// Reports an out-of-range value; returns the value when it is known and in range, i.e. usable by the
    /// cross-key rules.
    @discardableResult
    func checkRange(_ value: Int, _ range: ClosedRange<Int>, at path: String) -> Int? {
        guard isKnown(path) else { return nil }
        guard range.contains(value) else {
            report(path, "\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return value
    }

    func hex(_ mask: UInt64) -> String {
        "0x" + String(mask, radix: 16)
    }

    static func mask(_ mask: UInt64, contains lcore: Int) -> Bool {
        Limits.lcore.contains(lcore) && mask & (UInt64(1) << UInt64(lcore)) != 0
    }

    static func lcoreList(_ mask: UInt64) -> String {
        let lcores = EALConfig(pmdCPUMask: mask).pmdLcores.map(String.init)
        return (lcores.count == 1 ? "lcore " : "lcores ") + lcores.joined(separator: ", ")
    }

    // MARK: Syntax of individual values

    private static func isASCIIAlphanumeric(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber)
    }

    static func isSocketMemList(_ text: String) -> Bool {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        return parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0.isASCII && $0.isNumber } && (Int(part) ?? 0) > 0
        }
    }

    static func isFilePrefix(_ text: String) -> Bool {
        Limits.filePrefixLength.contains(text.count)
            && text.allSatisfy { isASCIIAlphanumeric($0) || $0 == "_" || $0 == "-" }
    }

    static func isPortName(_ text: String) -> Bool {
        guard let first = text.first, isASCIIAlphanumeric(first), Limits.portNameLength.contains(text.count) else {
            return false
        }
        return text.allSatisfy { isASCIIAlphanumeric($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }

    /// Loose on purpose (group names are the system's business), but rejects what can never be one.
    static func isGroupName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 32 && !text.contains { $0.isWhitespace || $0 == ":" || $0 == "/" || $0 == "," }
    }
}
