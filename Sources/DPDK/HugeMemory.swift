import CDPDK

/// Memory from DPDK's hugepage heap: for large tables the fast path reads at random (the MAC table), where
/// 2 MiB pages keep TLB misses down as the table grows.
public enum HugeMemory {
    /// `byteCount` zeroed bytes aligned to `alignment` on `socket` (SOCKET_ID_ANY by default), or nil.
    public static func allocate(byteCount: Int, alignment: Int, socket: Int32 = sl_socket_id_any())
        -> UnsafeMutableRawPointer?
    {
        rte_zmalloc_socket("sluice", byteCount, UInt32(alignment), socket)
    }

    public static func free(_ pointer: UnsafeMutableRawPointer) { rte_free(pointer) }
}
