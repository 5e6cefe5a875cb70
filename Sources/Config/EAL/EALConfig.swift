/// How DPDK's Environment Abstraction Layer is started: which cores it uses, where its memory comes from,
/// and which extra options the operator passes through.
public struct EALConfig: Equatable, Sendable {
    /// The lcore running sluiced's control thread. It never polls ports, so it must stay out of `pmdCPUMask`.
    public var mainLcore: Int
    /// One poll-mode (PMD) thread per set bit, as in Open vSwitch's `pmd-cpu-mask`. The YAML key is required;
    /// the in-code default (lcore 1) only exists so tests can build configs without repeating it.
    public var pmdCPUMask: UInt64
    /// The CPU each listed lcore runs on (`eal.lcore-cpus`), for tests that run several PMD threads on one
    /// CPU. Empty means unset: every lcore runs on the CPU of its own number.
    public var lcoreCPUs: [Int: Int]
    /// Megabytes per NUMA socket, comma-separated (`"512"` or `"512,512"`); nil lets DPDK decide.
    public var socketMem: String?
    /// Names the hugepage files and runtime directory, so that several DPDK processes can coexist.
    public var filePrefix: String
    public var memory: MemoryMode
    /// Passed verbatim to EAL after everything Sluice sets itself.
    public var extraArgs: [String]
    /// Seconds between periodic rx queue rebalances (`eal.rxq-rebalance-interval`); 0 turns them off
    /// (docs/rxq-balance.md).
    public var rxqRebalanceInterval: Int
    /// By how many percent a periodic rebalance must lower the busiest PMD's load to be applied
    /// (`eal.rxq-rebalance-improvement`).
    public var rxqRebalanceImprovement: Int

    public init(
        mainLcore: Int = 0,
        pmdCPUMask: UInt64 = 0x2,
        socketMem: String? = nil,
        filePrefix: String = "sluice",
        memory: MemoryMode = .hugeUnlink,
        extraArgs: [String] = [],
        lcoreCPUs: [Int: Int] = [:],
        rxqRebalanceInterval: Int = 0,
        rxqRebalanceImprovement: Int = 25
    ) {
        self.mainLcore = mainLcore
        self.pmdCPUMask = pmdCPUMask
        self.socketMem = socketMem
        self.filePrefix = filePrefix
        self.memory = memory
        self.extraArgs = extraArgs
        self.lcoreCPUs = lcoreCPUs
        self.rxqRebalanceInterval = rxqRebalanceInterval
        self.rxqRebalanceImprovement = rxqRebalanceImprovement
    }

    /// The allowed range of `eal.rxq-rebalance-interval` (0: off), in seconds.
    public static let rxqRebalanceIntervalRange = 0...86400
    /// The allowed range of `eal.rxq-rebalance-improvement`, in percent.
    public static let rxqRebalanceImprovementRange = 1...100

    /// Lcores of the PMD threads, ascending.
    public var pmdLcores: [Int] {
        (0..<64).filter { pmdCPUMask & (UInt64(1) << UInt64($0)) != 0 }
    }
}

/// Where EAL gets packet memory from.
public enum MemoryMode: Equatable, Sendable {
    /// Hugepages, with the backing files unlinked right after mapping so that a crash leaves nothing behind.
    case hugeUnlink
    /// Hugepages without any files or shared runtime state: nothing survives the process, and secondary
    /// processes cannot attach.
    case inMemory
    /// Ordinary anonymous memory. For tests and machines without hugepages; slower, and some PMDs refuse it.
    case noHuge(megabytes: Int)

    /// The spelling used in the configuration file.
    public var keyword: String {
        switch self {
        case .hugeUnlink: "huge-unlink"
        case .inMemory: "in-memory"
        case .noHuge: "no-huge"
        }
    }

    /// Whether EAL's memory comes from hugepages (and so `eal.socket-mem` applies).
    public var usesHugepages: Bool {
        if case .noHuge = self { return false }
        return true
    }

    /// The default size of a no-huge memory pool, in megabytes.
    public static let defaultNoHugeMegabytes = 512
}
