import CDPDK

/// A pool of packet buffers (rte_mbuf) in hugepage memory. Every port's rx queues allocate from it.
public struct PacketPool: @unchecked Sendable {
    // @unchecked: an rte_mempool is designed for concurrent use from all lcores (per-lcore caches).
    public let raw: OpaquePointer

    /// - Parameters:
    ///   - mbufs: number of buffers; DPDK's rings are most efficient at 2^n - 1.
    ///   - cacheSize: per-lcore cache, 0...512.
    ///   - dataRoomSize: bytes of packet data per buffer, not counting the headroom added here.
    public static func create(
        name: String, mbufs: Int, cacheSize: Int, dataRoomSize: Int, socket: Int32
    ) throws(DPDKError) -> PacketPool {
        let room = UInt16(clamping: dataRoomSize + Int(RTE_PKTMBUF_HEADROOM))
        guard let pool = rte_pktmbuf_pool_create(name, UInt32(mbufs), UInt32(cacheSize), 0, room, socket) else {
            throw DPDKError.fromErrno("rte_pktmbuf_pool_create(\(name), \(mbufs) mbufs)")
        }
        return PacketPool(raw: pool)
    }

    public init(raw: OpaquePointer) { self.raw = raw }

    public var available: Int { Int(sl_mempool_avail_count(raw)) }
    public var inUse: Int { Int(sl_mempool_in_use_count(raw)) }

    /// One buffer, or nil when the pool is empty.
    @inlinable
    public func allocate() -> Mbuf? {
        guard let m = sl_mbuf_alloc(raw) else { return nil }
        return Mbuf(m)
    }

    /// Returns the pool's memory. Only when no buffer is in use anywhere.
    public func free() { rte_mempool_free(raw) }
}
