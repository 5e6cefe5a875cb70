/// What validation needs to know about the machine sluiced is about to run on. Config has no machine access
/// of its own: sluiced reads these from the real machine (`--check-config` and start-up, before DPDK is
/// touched), tests fill them in deterministically, and `nil` means "not known here", which skips the rules
/// that need the fact. `config.apply` validates with `.unknown`: what these facts bound (lcores, the file
/// prefix) needs a restart anyway, and a running sluiced's own threads no longer show the process's affinity.
public struct HostFacts: Equatable, Sendable {
    /// How many CPUs the machine has (configured, online or not): CPU numbers `0..<count` exist.
    public var cpuCount: Int?
    /// The CPUs this process may run on (`sched_getaffinity`): EAL cannot pin an lcore anywhere else.
    public var allowedCPUs: Set<Int>?
    /// DPDK file prefixes whose runtime directory (`/var/run/dpdk/<prefix>/config`) another process holds
    /// locked, with that process's ID: a primary process of that prefix is running.
    public var filePrefixesInUse: [String: Int32]?

    public init(cpuCount: Int? = nil, allowedCPUs: Set<Int>? = nil, filePrefixesInUse: [String: Int32]? = nil) {
        self.cpuCount = cpuCount
        self.allowedCPUs = allowedCPUs
        self.filePrefixesInUse = filePrefixesInUse
    }

    /// Nothing known: only the machine-independent rules run.
    public static let unknown = HostFacts()
}
