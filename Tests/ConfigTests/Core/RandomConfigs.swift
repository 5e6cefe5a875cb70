import Packet

@testable import Config

/// A small seeded generator (SplitMix64), so that a failing property test can be reproduced from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Random configurations meant to be valid, covering every key with its optional parts set and unset, and
/// strings that YAML would misread when written plain.
struct RandomConfigs {
    var random: SeededGenerator

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
    }

    /// Port names that YAML 1.1 reads as something other than a string when plain (all valid port names).
    static let hostileNames = [
        "yes", "no", "on", "off", "y", "n", "true", "False", "null", "Null", "NULL", "0x1f", "0o17", "1e3",
        "1.5", "123", "0", "1_000", "2001-01-01", "nan", "NaN", "inf", "0b101", "0777", "12.30", "1.0", "Yes",
    ]

    /// Free-form text for the keys that accept it (extra-args, the socket path, devargs values): YAML and
    /// JSON syntax, escapes, line breaks, characters libyaml does not accept literally, and other scripts.
    /// U+FEFF only appears inside a string: at its start, parsing drops it (see RenderingTests).
    static let hostileText = [
        "yes", "null", "~", "0x1f", "1e3", "a: b", "#x", "x #y", "- z", "[1, 2]", "{a: 1}", "'single'",
        "\"double\"", "back\\slash", "tab\there", "new\nline", "cr\rlf", "crlf\r\n", "é", "日本語", "emoji 🚀",
        "\u{85}nel", "ls\u{2028}ps\u{2029}", "in\u{feff}bom", "  leading", "trailing  ", "", " ", "*alias",
        "&anchor", "!tag", "%percent", "@at", "`tick", "|", ">", "?", ":", "---", "...", "\u{7f}del",
        "\u{1}\u{1b}[0m", "nul\0byte", "\\u0041", "\\n", "combining e\u{301}", "\u{fffd}", "\u{10ffff}", ",",
        "=", "key=value", "%YAML 1.2", "<<", "\u{a0}nbsp",
    ]

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }
    mutating func powerOfTwo(_ range: ClosedRange<Int>) -> Int {
        let exponents = (0..<63).filter { range.contains(1 << $0) }
        return 1 << pick(exponents)
    }

    mutating func text(maxLength: Int = 3) -> String {
        (0..<int(1...maxLength)).map { _ in pick(Self.hostileText) }.joined()
    }

    mutating func portName(index: Int) -> String {
        switch int(0...2) {
        case 0: return pick(Self.hostileNames)
        case 1: return "p\(index)"
        default:
            let characters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
            let first = pick(Array(characters.prefix(62)))
            return String([first] + (0..<int(0...31)).map { _ in pick(characters) })
        }
    }

    mutating func unicastMAC() -> EthernetAddress {
        let raw = UInt64.random(in: 1...0xffff_ffff_ffff, using: &random) & ~0x0100_0000_0000
        return EthernetAddress(rawValue: raw == 0 ? 2 : raw)
    }

    mutating func vlanID() -> UInt16 { UInt16(int(1...4094)) }

    mutating func vlanMode() -> VLANMode {
        if chance(0.5) { return .access(vlan: vlanID()) }
        var ids: [UInt16] = []
        for _ in 0..<int(1...4) {
            let start = int(1...4094)
            let length = chance(0.5) ? 0 : int(1...20)
            ids += (start...min(4094, start + length)).map(UInt16.init)
        }
        return .trunk(allowed: VLANSet(ids), native: chance(0.5) ? vlanID() : nil)
    }

    mutating func ipv4() -> IPv4Address {
        // Unicast, below the multicast range.
        IPv4Address(rawValue: UInt32.random(in: 1...0xdfff_ffff, using: &random))
    }

    mutating func ipv6() -> IPv6Address {
        // fd00::/8 keeps clear of multicast and IPv4-mapped addresses; short groups exercise "::".
        let high =
            0xfd00_0000_0000_0000 | (chance(0.5) ? 0 : UInt64.random(in: 0...0xff_ffff_ffff_ffff, using: &random))
        let low = chance(0.5) ? UInt64(int(0...0xffff)) : UInt64.random(in: 0...UInt64.max, using: &random)
        return IPv6Address(high: high, low: low)
    }

    mutating func portSecurity() -> PortSecurityConfig {
        var v4: [IPv4Address] = []
        var v6: [IPv6Address] = []
        if chance(0.6) {
            for _ in 0..<int(0...3) {
                let address = ipv4()
                if !v4.contains(address) { v4.append(address) }
            }
            for _ in 0..<int(0...3) {
                let address = ipv6()
                if !v6.contains(address) { v6.append(address) }
            }
        }
        return PortSecurityConfig(mac: unicastMAC(), ipv4: v4, ipv6: v6)
    }

    mutating func eal() -> EALConfig {
        let mainLcore = int(0...63)
        var mask = UInt64.random(in: 1...UInt64.max, using: &random)
        if chance(0.5) { mask &= 0xff }
        mask &= ~(UInt64(1) << UInt64(mainLcore))
        if mask == 0 { mask = UInt64(1) << UInt64((mainLcore + 1) % 64) }
        let memory: MemoryMode = pick([.hugeUnlink, .inMemory, .noHuge(megabytes: int(64...65536))])
        var socketMem: String?
        // DPDK rejects --socket-mem with --no-huge, and so does validation.
        if case .noHuge = memory {
        } else if chance(0.4) {
            socketMem = (0..<int(1...3)).map { _ in String(int(1...4096)) }.joined(separator: ",")
        }
        let prefixCharacters = Array("abcXYZ019_-")
        let filePrefix = String((0..<int(1...32)).map { _ in pick(prefixCharacters) })
        let extraArgs = (0..<int(0...4)).map { _ in chance(0.3) ? "--log-level" : text() }
        var lcoreCPUs: [Int: Int] = [:]
        if chance(0.3) {
            for lcore in [mainLcore] + EALConfig(pmdCPUMask: mask).pmdLcores where chance(0.5) {
                lcoreCPUs[lcore] = int(0...63)
            }
        }
        return EALConfig(
            mainLcore: mainLcore, pmdCPUMask: mask, socketMem: socketMem, filePrefix: filePrefix, memory: memory,
            extraArgs: extraArgs, lcoreCPUs: lcoreCPUs)
    }

    mutating func control() -> ControlConfig {
        var path = "/run/" + text(maxLength: 2).replacingOccurrences(of: "\0", with: "")
        while path.utf8.count > 107 { path.removeLast() }
        if path.hasSuffix("/") { path += "s" }
        let groupCharacters = Array("abcXYZ019_-.é#'\"!yes")
        let group = chance(0.5) ? nil : String((0..<int(1...12)).map { _ in pick(groupCharacters) })
        return ControlConfig(socketPath: path, socketGroup: group, socketMode: UInt32(int(0...0o777)))
    }

    mutating func config() -> SluiceConfig {
        var eal = eal()
        let pmdCount = eal.pmdCPUMask.nonzeroBitCount
        let mbufDataSize = int(1024...16384)
        // A pool that fits the largest memory validation accepts (64 GiB), and memory sizes that hold it, as
        // the MTUs below fit the mbufs.
        let perMbuf = mbufDataSize + MempoolConfig.headroom + Validator.mbufOverheadBytes
        let mbufs = int(1024...min(4_194_304, Limits.noHugeMegabytes.upperBound * 1_048_576 / perMbuf))
        let mempool = MempoolConfig(mbufs: mbufs, cacheSize: int(0...512), mbufDataSize: mbufDataSize)
        let poolMegabytes = Validator.poolMegabytes(mempool)
        if case .noHuge(let megabytes) = eal.memory { eal.memory = .noHuge(megabytes: max(megabytes, poolMegabytes)) }
        if let socketMem = eal.socketMem {
            eal.socketMem = socketMem + "," + String(poolMegabytes + int(0...64))
        }
        let l2 = L2Config(
            macAgingSeconds: chance(0.2) ? 0 : int(10...1_000_000), maxMACsPerPort: int(1...1_048_576),
            macTableSize: powerOfTwo(1024...16_777_216))

        var names: [String] = []
        let portCount = int(1...8)
        while names.count < portCount {
            let name = portName(index: names.count)
            if !names.contains(name) { names.append(name) }
        }
        // Disjoint pairs, each written either way round.
        var patches: [PatchPair] = []
        var patched: Set<String> = []
        let shuffled = names.shuffled(using: &random)
        var index = 0
        while index + 1 < shuffled.count, chance(0.4) {
            let (a, b) = (shuffled[index], shuffled[index + 1])
            patches.append(chance(0.5) ? PatchPair(a, b) : PatchPair(b, a))
            patched.formUnion([a, b])
            index += 2
        }

        var claimedStaticMACs: Set<String> = []
        let lcores = eal.pmdLcores
        let ports = names.enumerated().map { index, name in
            let rxQueues = int(1...4)
            var devargs = "net_null\(index)"
            if chance(0.5) {
                // Anything but whitespace and stray commas goes after the device name.
                let value = text().filter { !$0.isWhitespace && $0 != "," }
                devargs += ",arg=" + (value.isEmpty ? "x" : value)
            }
            var port = PortConfig(
                name: name, devargs: devargs, rxQueues: rxQueues,
                txQueues: chance(0.3) ? int(pmdCount...max(pmdCount, 64)) : nil,
                rxDescriptors: powerOfTwo(64...32768), txDescriptors: powerOfTwo(64...32768),
                mtu: int(68...min(9600, mempool.mbufDataSize - Limits.frameOverhead)), admin: pick(AdminState.allCases),
                rxQueueAffinity: chance(0.3) ? (0..<rxQueues).map { _ in pick(lcores) } : nil)
            guard !patched.contains(name) else { return port }
            port.vlan = chance(0.7) ? vlanMode() : nil
            port.maxMACs = chance(0.3) ? int(1...1_048_576) : nil
            port.portSecurity = chance(0.4) ? portSecurity() : nil
            for _ in 0..<int(0...3) {
                let mac = unicastMAC()
                var entryVLAN: UInt16?
                var resolved: UInt16
                switch port.vlanMode {
                case .access(let access):
                    entryVLAN = chance(0.5) ? access : nil
                    resolved = access
                case .trunk(let allowed, let native):
                    let carried = allowed.ids + (native.map { [$0] } ?? [])
                    resolved = pick(carried)
                    entryVLAN = resolved
                }
                if claimedStaticMACs.insert("\(resolved) \(mac)").inserted {
                    port.staticMACs.append(StaticMACConfig(mac: mac, vlan: entryVLAN))
                }
            }
            return port
        }
        return SluiceConfig(
            eal: eal, mempool: mempool, control: control(), l2: l2, ports: ports, patches: patches)
    }
}
