/// The EAL command-line options `eal.extra-args` may not contain: those Sluice derives from the
/// configuration (EAL would take the later, or fail on the duplicate, and the config would lie), and those
/// that would break a daemon (print and exit, or run as a secondary process).
enum EALOptions {
    struct Reserved {
        let shortNames: [Character]
        let longNames: [String]
        /// What to use instead, for an option Sluice derives; nil for one that `refusal` explains.
        let configKey: String?
        /// Why the option can never be used, for one Sluice does not derive.
        let refusal: String?

        init(shortNames: [Character], longNames: [String], configKey: String) {
            self.shortNames = shortNames
            self.longNames = longNames
            self.configKey = configKey
            self.refusal = nil
        }

        init(shortNames: [Character], longNames: [String], refusal: String) {
            self.shortNames = shortNames
            self.longNames = longNames
            self.configKey = nil
            self.refusal = refusal
        }

        var spelling: String {
            (shortNames.map { "-\($0)" } + longNames.map { "--\($0)" }).joined(separator: ", ")
        }
    }

    static let reserved: [Reserved] = [
        Reserved(
            shortNames: ["l", "c"], longNames: ["lcores"],
            configKey: "eal.main-lcore and eal.pmd-cpu-mask (and eal.lcore-cpus to choose their CPUs)"),
        Reserved(shortNames: [], longNames: ["main-lcore"], configKey: "eal.main-lcore"),
        Reserved(shortNames: [], longNames: ["file-prefix"], configKey: "eal.file-prefix"),
        Reserved(shortNames: [], longNames: ["socket-mem"], configKey: "eal.socket-mem"),
        Reserved(
            shortNames: ["m"], longNames: [], configKey: "eal.no-huge-mb (with eal.memory: no-huge) or eal.socket-mem"),
        Reserved(shortNames: [], longNames: ["no-huge"], configKey: "eal.memory: no-huge"),
        Reserved(shortNames: [], longNames: ["in-memory"], configKey: "eal.memory: in-memory"),
        Reserved(shortNames: [], longNames: ["huge-unlink"], configKey: "eal.memory: huge-unlink"),
        Reserved(
            shortNames: [], longNames: ["vdev"], configKey: "ports[].devargs (Sluice attaches virtual devices itself)"),
        Reserved(
            shortNames: ["a"], longNames: ["allow"],
            configKey: "ports[].devargs (Sluice allow-lists the PCI devices of ports)"),
        Reserved(
            shortNames: ["b"], longNames: ["block"],
            configKey: "ports[].devargs (only the PCI devices of ports are used)"),
        Reserved(
            shortNames: [], longNames: ["no-pci"],
            configKey: "ports[].devargs (Sluice adds --no-pci when no port is a PCI device)"),
        // -h/--help print EAL's usage and exit(0): a daemon that "starts" successfully and is gone. --usage
        // and --version are not DPDK 22.11 options (EAL would fail on them), but what an operator tries first.
        Reserved(
            shortNames: ["h"], longNames: ["help", "usage", "version"],
            refusal: "EAL would print its usage and exit (or fail on an unknown option) instead of starting; "
                + "sluiced --help and --version describe sluiced"),
        Reserved(
            shortNames: [], longNames: ["proc-type"],
            refusal: "sluiced always runs as DPDK's primary process, which is the default: leave --proc-type out "
                + "(it owns the ports and the pool; secondary or auto would attach to another DPDK process's "
                + "memory)"),
    ]

    /// DPDK 22.11's other long options. getopt_long accepts any unambiguous abbreviation, so an argument is
    /// only known to mean a reserved option once these are ruled out.
    private static let otherLongNames = [
        "base-virtaddr", "create-uio-dev", "force-max-simd-bitwidth", "huge-dir", "huge-worker-stack",
        "iova-mode", "legacy-mem", "log-level", "match-allocations", "mbuf-pool-ops-name", "no-hpet", "no-shconf",
        "no-telemetry", "single-file-segments", "socket-limit", "syslog", "telemetry", "trace",
        "trace-bufsz", "trace-dir", "trace-mode", "vfio-intr", "vfio-vf-token", "vmware-tsc-map",
    ]

    /// Short options that take no argument and so may be followed by more options in the same word (`-vl`).
    /// (`-h` is refused itself; `-v` only logs DPDK's version at start, which is harmless.)
    private static let flagShortNames: Set<Character> = ["h", "v"]

    /// The reserved option `argument` would set, if any: `--opt`, `--opt=value`, an abbreviation getopt
    /// would expand to it, `-x`, `-xvalue`, or a cluster of flags ending in one (`-vl1`).
    static func reservedOption(in argument: String) -> Reserved? {
        if argument.hasPrefix("--") {
            let name = String(argument.dropFirst(2).prefix { $0 != "=" })
            guard !name.isEmpty else { return nil }
            if let exact = reserved.first(where: { $0.longNames.contains(name) }) { return exact }
            if otherLongNames.contains(name) { return nil }
            let candidates = reserved.filter { $0.longNames.contains { $0.hasPrefix(name) } }
            let otherCandidates = otherLongNames.filter { $0.hasPrefix(name) }
            // An ambiguous abbreviation makes EAL fail on its own; only a unique one is silently expanded.
            guard candidates.count == 1, otherCandidates.isEmpty else { return nil }
            return candidates.first
        }
        guard argument.hasPrefix("-") else { return nil }
        for character in argument.dropFirst() {
            if let option = reserved.first(where: { $0.shortNames.contains(character) }) { return option }
            guard flagShortNames.contains(character) else { return nil }
        }
        return nil
    }
}
