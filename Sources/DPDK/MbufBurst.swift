import CDPDK

/// A fixed-capacity array of packet buffers that owns them: whatever is still in it when it is destroyed
/// goes back to the pool, so a burst can never leak mbufs. Allocated once per PMD and reused for every
/// rx/tx burst; nothing here allocates after `init`.
@frozen
public struct MbufBurst: ~Copyable {
    /// The `struct rte_mbuf *` slots, in the layout rte_eth_rx_burst/tx_burst expect.
    public let slots: UnsafeMutablePointer<OpaquePointer?>
    public let capacity: Int
    /// Slots 0..<count hold owned buffers.
    public var count: Int

    public init(capacity: Int) {
        precondition(capacity > 0 && capacity <= Int(UInt16.max), "burst capacity out of range")
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: nil, count: capacity)
        self.capacity = capacity
        count = 0
    }

    deinit {
        if count > 0 { rte_pktmbuf_free_bulk(slots, UInt32(count)) }
        slots.deallocate()
    }

    @inlinable @inline(__always)
    public var isEmpty: Bool { count == 0 }

    @inlinable @inline(__always)
    public var isFull: Bool { count == capacity }

    @inlinable @inline(__always)
    public subscript(index: Int) -> Mbuf {
        Mbuf(slots[index].unsafelyUnwrapped)
    }

    /// Adds a buffer the caller owns. The caller checks `isFull` first.
    @inlinable @inline(__always)
    public mutating func append(_ mbuf: Mbuf) {
        slots[count] = mbuf.raw
        count &+= 1
    }

    /// Returns every buffer to its pool.
    @inlinable @inline(__always)
    public mutating func freeAll() {
        if count > 0 { rte_pktmbuf_free_bulk(slots, UInt32(count)) }
        count = 0
    }

    /// Frees the buffers from slot `start` to the end; the burst keeps the first `start`.
    @inlinable
    public mutating func free(from start: Int) {
        guard start < count else { return }
        rte_pktmbuf_free_bulk(slots + start, UInt32(count - start))
        count = start
    }

    /// Drops the first `n` buffers from the burst without freeing them (they were handed to a driver)
    /// and moves the remainder to the front.
    @inlinable
    public mutating func removeFirst(_ n: Int) {
        guard n > 0 else { return }
        let rest = count - n
        if rest > 0 { (slots).update(from: slots + n, count: rest) }
        count = rest
    }
}
