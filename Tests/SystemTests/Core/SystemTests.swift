import Testing

/// Every test that starts DPDK processes. Serialized: the machine has two CPUs and each sluiced busy-polls
/// one of them.
@Suite("System", .serialized)
struct SystemTests {}
