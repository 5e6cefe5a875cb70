import Foundation

/// Lcores and the file prefix against the machine (`HostFacts`): EAL pins every lcore to a CPU and refuses
/// to start when one does not exist or is outside the process's affinity, and a second primary process of
/// one file prefix fails on the runtime directory's lock. Found here, before DPDK is touched, and reported
/// at the key that chose the CPU.
extension Validator {
    func validateLcoresOnHost(mask: UInt64?) {
        guard host.cpuCount != nil || host.allowedCPUs != nil else { return }
        let eal = config.eal
        var lcores: [(lcore: Int, key: String)] = []
        if isKnown("eal.main-lcore"), Limits.lcore.contains(eal.mainLcore) {
            lcores.append((eal.mainLcore, "eal.main-lcore"))
        }
        if let mask {
            for lcore in EALConfig(pmdCPUMask: mask).pmdLcores where lcore != eal.mainLcore {
                lcores.append((lcore, "eal.pmd-cpu-mask"))
            }
        }
        for (lcore, lcoreKey) in lcores {
            let mappedKey = KeyPath.child("eal.lcore-cpus", String(lcore))
            let mapped = eal.lcoreCPUs[lcore]
            if mapped != nil, !isKnown(mappedKey) { continue }
            let cpu = mapped ?? lcore
            guard Limits.cpu.contains(cpu) else { continue }
            let key = mapped == nil ? lcoreKey : mappedKey
            let runs =
                if mapped != nil {
                    "maps lcore \(lcore) to CPU \(cpu)"
                } else if key == "eal.pmd-cpu-mask" {
                    "\(hex(eal.pmdCPUMask)) selects lcore \(lcore), which runs on CPU \(cpu)"
                } else {
                    "lcore \(lcore) runs on CPU \(cpu)"
                }
            if let count = host.cpuCount, cpu >= count {
                report(
                    key,
                    "\(runs), but this machine has \(Self.cpuCountText(count)) (\(Self.rangeText(0..<count))); "
                        + "choose lcores of CPUs that exist, or map them with eal.lcore-cpus")
            } else if let allowed = host.allowedCPUs, !allowed.contains(cpu) {
                report(
                    key,
                    "\(runs); this process may not run there: its CPU affinity allows "
                        + "\(Self.listText(allowed)) (set by taskset, cgroups cpusets or systemd's CPUAffinity=); "
                        + "choose allowed CPUs, or map the lcores to them with eal.lcore-cpus")
            }
        }
    }

    func validateFilePrefixOnHost() {
        let path = "eal.file-prefix"
        // in-memory processes share no runtime state, so they never contend for the prefix's lock.
        guard isKnown(path), config.eal.memory != .inMemory, let inUse = host.filePrefixesInUse,
            let pid = inUse[config.eal.filePrefix]
        else { return }
        report(
            path,
            "\(quoted(config.eal.filePrefix)) is in use: process \(pid) holds DPDK's runtime directory for it "
                + "(/var/run/dpdk/\(config.eal.filePrefix)/config is locked), so EAL would refuse to start; "
                + "stop that process or choose another eal.file-prefix")
    }

    static func cpuCountText(_ count: Int) -> String { count == 1 ? "1 CPU" : "\(count) CPUs" }

    static func rangeText(_ range: Range<Int>) -> String {
        range.count == 1 ? "CPU \(range.lowerBound)" : "CPUs \(range.lowerBound)-\(range.upperBound - 1)"
    }

    /// `0-3,6`: CPU sets as taskset and /proc write them.
    static func listText(_ cpus: Set<Int>) -> String {
        guard !cpus.isEmpty else { return "no CPU" }
        var parts: [String] = []
        var runStart: Int?
        var previous = -2
        for cpu in cpus.sorted() {
            if cpu != previous + 1 {
                if let start = runStart { parts.append(start == previous ? "\(start)" : "\(start)-\(previous)") }
                runStart = cpu
            }
            previous = cpu
        }
        if let start = runStart { parts.append(start == previous ? "\(start)" : "\(start)-\(previous)") }
        return (cpus.count == 1 ? "CPU " : "CPUs ") + parts.joined(separator: ",")
    }
}
