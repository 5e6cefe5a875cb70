import Pipeline

/// Where a PMD counts the busy cycles it spends on each rx queue (docs/rxq-balance.md): one counter per port
/// slot and queue in a block of the PMD's own (`PMDThread.queueCycles`), written only by that PMD and summed
/// by the control thread. A busy iteration's cycles are split at the start of each non-empty burst after the
/// first (`PMDLoop.run`): no TSC read beyond the loop's own when one queue received, one per further queue,
/// nothing per packet; the queues' cycles add up to the PMD's busy cycles.
public enum RxqCycles {
    /// Queues a port can have (`Limits.queues` in Config; RxqCyclesTests pins the two together).
    @inlinable public static var queuesPerSlot: Int { 64 }

    /// Counters in each PMD's block.
    @inlinable public static var count: Int { ForwardingTables.maxPorts &* queuesPerSlot }

    @inlinable @inline(__always)
    public static func index(slot: Int, queue: Int) -> Int { slot &* queuesPerSlot &+ queue }
}
