import Yams

/// `eal.lcore-cpus`: which CPU each lcore runs on, a testing option.
///
/// Without it lcore N runs on CPU N, so a machine with two CPUs runs one PMD thread beside the main lcore.
/// Mapping several PMD lcores onto one CPU (EAL's `--lcores 1@1,2@1`) lets tests exercise what only
/// several PMDs do — per-PMD tx queues, rx queues placed on different PMDs, grace periods that wait for
/// every PMD, counters summed over PMDs — on such a machine. The threads share the CPU, so throughput
/// drops: it is for correctness, not for production.
///
/// Written as a mapping from lcore to CPU (`{1: 1, 2: 1}`). Keys may be quoted (`"1": 1`), which is how
/// JSON and the rendered document write them.
extension EALConfig {
    /// EAL's options naming the lcores `lcores` (main lcore first): `-l 0,1,2` as always, or
    /// `--lcores 0@0,1@1,2@1` when `lcoreCPUs` places some lcore on another CPU than its own number.
    func lcoreArguments(_ lcores: [Int]) -> [String] {
        guard !lcoreCPUs.isEmpty else { return ["-l", lcores.map(String.init).joined(separator: ",")] }
        // Every lcore with an explicit CPU, mapped or not, so the log shows the whole placement.
        return ["--lcores", lcores.map { "\($0)@\(lcoreCPUs[$0] ?? $0)" }.joined(separator: ",")]
    }

    /// The key as written back: lcores ascending, as strings (JSON keys are strings); absent when unset.
    var lcoreCPUsDocument: ConfigDocument? {
        guard !lcoreCPUs.isEmpty else { return nil }
        return .mapping(lcoreCPUs.sorted { $0.key < $1.key }.map { .init(String($0.key), .int($0.value)) })
    }
}

extension ConfigDecoder {
    /// Reads `eal.lcore-cpus`; empty when absent or null. Each entry is reported at `eal.lcore-cpus.<lcore>`.
    func decodeLcoreCPUs(in section: YAMLWalker.Mapping) -> [Int: Int] {
        guard let node = section.optional("lcore-cpus") else { return [:] }
        let path = section.path(of: "lcore-cpus")
        log.locate(path, line: node.mark?.line)
        guard case .mapping(let mapping) = node else {
            log.reject(
                path, "expected a mapping from lcore to CPU, e.g. {1: 1, 2: 1}, got \(YAMLWalker.describe(node))")
            return [:]
        }
        var cpus: [Int: Int] = [:]
        for (keyNode, value) in mapping {
            guard let lcore = Self.lcoreNumber(keyNode) else {
                log.report(
                    path,
                    "\(YAMLWalker.describe(keyNode)) is not an lcore: keys are lcore numbers in decimal, "
                        + "each mapped to the CPU it runs on, e.g. {1: 1, 2: 1}")
                continue
            }
            let entryPath = KeyPath.child(path, String(lcore))
            log.locate(entryPath, line: keyNode.mark?.line)
            // Yams tells `1` and `"1"` apart by their tags, so it lets both through.
            guard cpus[lcore] == nil else {
                log.report(entryPath, "maps lcore \(lcore) a second time; each lcore may appear only once")
                continue
            }
            if let cpu = walker.integer(value, at: entryPath) { cpus[lcore] = cpu }
        }
        return cpus
    }

    /// A key written as a decimal number, plain or quoted, without sign or leading zeros; nil otherwise.
    private static func lcoreNumber(_ node: Node) -> Int? {
        guard case .scalar(let scalar) = node, node.tagName == .int || node.tagName == .str else { return nil }
        let text = scalar.string
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), text == "0" || !text.hasPrefix("0")
        else { return nil }
        return Int(text)
    }
}

extension Validator {
    /// Every mapped lcore is one Sluice runs (the main lcore or a PMD lcore) and every CPU is in range.
    /// Whether the CPUs exist on this machine is for EAL to find out when it starts.
    func validateLcoreCPUs(mainLcore: Int?, mask: UInt64?) {
        for (lcore, cpu) in config.eal.lcoreCPUs.sorted(by: { $0.key < $1.key }) {
            let path = KeyPath.child("eal.lcore-cpus", String(lcore))
            guard isKnown(path) else { continue }
            if !Limits.lcore.contains(lcore) {
                report(path, "lcore \(lcore) is out of range \(Limits.lcore.lowerBound)...\(Limits.lcore.upperBound)")
            } else if let mainLcore, let mask, lcore != mainLcore, !Self.mask(mask, contains: lcore) {
                report(
                    path,
                    "lcore \(lcore) is neither eal.main-lcore (\(mainLcore)) nor a PMD lcore (eal.pmd-cpu-mask "
                        + "\(hex(mask)) selects \(Self.lcoreList(mask))): map only lcores that Sluice runs")
            }
            if !Limits.cpu.contains(cpu) {
                report(path, "CPU \(cpu) is out of range \(Limits.cpu.lowerBound)...\(Limits.cpu.upperBound)")
            }
        }
    }
}

extension Limits {
    /// CPU numbers: like lcores, limited to what a 64-bit mask can name.
    static let cpu = 0...63
}
