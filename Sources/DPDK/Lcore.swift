import CDPDK

/// Runs functions on EAL worker lcores (threads EAL created and pinned at init).
public enum Lcore {
    /// The entry point of a worker: a C function (no captures) that receives a context pointer.
    public typealias Entry = @convention(c) (UnsafeMutableRawPointer?) -> Int32

    /// Starts `entry(context)` on `lcore`. The lcore must be a worker in WAIT state.
    public static func launch(_ entry: Entry, context: UnsafeMutableRawPointer, on lcore: UInt32) throws(DPDKError) {
        try check(rte_eal_remote_launch(entry, context, lcore), "rte_eal_remote_launch(lcore \(lcore))")
    }

    /// Blocks until the function running on `lcore` returns; its return value.
    @discardableResult
    public static func wait(_ lcore: UInt32) -> Int32 { rte_eal_wait_lcore(lcore) }
}
