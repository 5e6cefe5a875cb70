import Pipeline

/// Where a PMD counts the busy cycles it spends on each rx queue (docs/rxq-balance.md): one counter per port
/// slot and queue in a block of the PMD's own (`PMDThread.queueCycles`), written only by that PMD and summed
/// by the control thread. A queue's cycles run from the end of the previous non-empty burst of the iteration
/// (or the iteration's start) to the end of its own burst's processing: one TSC read per non-empty burst,
/// nothing per packet and nothing for an empty poll (whose cost is counted on the next queue that received).
public enum RxqCycles {
    /// Queues a port can have (`Limits.queues` in Config; RxqCyclesTests pins the two together).
    @inlinable public static var queuesPerSlot: Int { 64 }

    /// Counters in each PMD's block.
    @inlinable public static var count: Int { ForwardingTables.maxPorts &* queuesPerSlot }

    @inlinable @inline(__always)
    public static func index(slot: Int, queue: Int) -> Int { slot &* queuesPerSlot &+ queue }
}
