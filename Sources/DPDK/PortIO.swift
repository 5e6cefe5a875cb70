import CDPDK

/// How a PMD receives from and transmits to one port: an ethdev (NIC, tap, pcap, af_packet, ...) by port
/// id and queue, or a vhost-user port through rte_vhost on the attached guest's virtqueues. A plain value
/// (two words and a port id, no references): the PMD picks the kind with one predictable branch per call.
@frozen
public struct PortIO: @unchecked Sendable {
    // @unchecked: the vhost state is read by PMDs and written by rte_vhost's callbacks with atomics only
    // (CDPDK.h, `sl_vhost_port`); the pool is designed for concurrent use.
    /// The ethdev port id; unused for vhost-user.
    public let ethPortID: UInt16
    /// The vhost-user port's state (`struct sl_vhost_port *`); nil for an ethdev.
    @usableFromInline let vhost: OpaquePointer?
    /// The pool vhost-user receive allocates from (an ethdev's rx queues have theirs).
    @usableFromInline let pool: OpaquePointer?

    public init(ethPort: EthPort) {
        ethPortID = ethPort.id
        vhost = nil
        pool = nil
    }

    public init(vhost: VhostUserSocket, pool: PacketPool) {
        ethPortID = UInt16.max
        self.vhost = vhost.shared
        self.pool = pool.raw
    }

    /// A slot without a port: never polled, never sent to (targets of empty slots are disabled).
    public static var none: PortIO { PortIO(ethPort: EthPort(id: UInt16.max)) }

    @inlinable public var isVhostUser: Bool { vhost != nil }

    /// Whether polling rx queue `queue` can return anything now: always for an ethdev; for a vhost-user port,
    /// whether a guest is attached with that queue pair set up and its tx virtqueue enabled. A hint that
    /// stays valid until `vhostStateEpoch` changes (a poll itself checks the guest anew).
    @inlinable @inline(__always)
    public func mayReceive(queue: UInt16) -> Bool {
        guard let vhost else { return true }
        return sl_vhost_rx_live(vhost, queue)
    }

    /// Changes whenever any vhost-user port's guest, usable queue pairs or enabled virtqueues change (after
    /// the change, with release ordering): a PMD that saw the same value before can trust `mayReceive`.
    @inlinable @inline(__always)
    public static var vhostStateEpoch: UInt64 { sl_vhost_epoch() }

    /// Receives at most `limit` packets (and at most what `burst` has room for), appending them; `bytes` is set
    /// to their bytes. A vhost-user port sums them in the pass over the packets it makes anyway (checksums the
    /// guest left to the host), so the PMD reads no mbuf again to count them.
    @inlinable @inline(__always)
    public func receive(queue: UInt16, into burst: inout MbufBurst, limit: Int, bytes: inout UInt64) -> Int {
        let room = UInt16(truncatingIfNeeded: min(burst.capacity - burst.count, limit))
        let start = burst.slots + burst.count
        let n: Int
        if let vhost {
            var sum: UInt64 = 0
            n = Int(sl_vhost_dequeue(vhost, queue, pool.unsafelyUnwrapped, start, room, &sum))
            bytes = sum
        } else {
            n = Int(rte_eth_rx_burst(ethPortID, queue, start, room))
            var sum: UInt64 = 0
            for i in 0..<n { sum &+= UInt64(truncatingIfNeeded: sl_mbuf_pkt_len(start[i].unsafelyUnwrapped)) }
            bytes = sum
        }
        burst.count &+= n
        return n
    }

    /// Receives at most `limit` packets (and at most what `burst` has room for), appending them.
    @inlinable @inline(__always)
    public func receive(queue: UInt16, into burst: inout MbufBurst, limit: Int) -> Int {
        var bytes: UInt64 = 0
        return receive(queue: queue, into: &burst, limit: limit, bytes: &bytes)
    }

    /// Receives up to `burst.capacity - burst.count` packets, appending them; the number received.
    @inlinable @inline(__always)
    public func receive(queue: UInt16, into burst: inout MbufBurst) -> Int {
        receive(queue: queue, into: &burst, limit: burst.capacity)
    }

    /// Hands up to `count` buffers starting at `packets` to the port; the number it took. Ownership of those
    /// passes to the port (vhost-user copies them into the guest and frees them), the rest stay the caller's.
    @inlinable @inline(__always)
    public func transmit(queue: UInt16, _ packets: UnsafeMutablePointer<OpaquePointer?>, count: Int) -> Int {
        if let vhost {
            return Int(sl_vhost_enqueue(vhost, queue, packets, UInt16(truncatingIfNeeded: count)))
        }
        return Int(rte_eth_tx_burst(ethPortID, queue, packets, UInt16(truncatingIfNeeded: count)))
    }

    /// `transmit`, except that a vhost-user port's per-queue counters are left to `countTransmitted`: a caller
    /// that summed the packets' bytes before handing them over (and may hand them over in several calls)
    /// counts once, instead of the port reading every packet again in each call.
    @inlinable @inline(__always)
    public func transmitUncounted(queue: UInt16, _ packets: UnsafeMutablePointer<OpaquePointer?>, count: Int) -> Int {
        if let vhost {
            return Int(sl_vhost_enqueue_uncounted(vhost, queue, packets, UInt16(truncatingIfNeeded: count)))
        }
        return Int(rte_eth_tx_burst(ethPortID, queue, packets, UInt16(truncatingIfNeeded: count)))
    }

    /// Counts on a vhost-user port's tx queue what `transmitUncounted` sent there (nothing for an ethdev, whose
    /// driver counts its queues itself). Only the PMD that transmits on `queue` may call it.
    @inlinable @inline(__always)
    public func countTransmitted(queue: UInt16, packets: Int, bytes: UInt64) {
        guard let vhost, packets > 0 else { return }
        sl_vhost_count_tx(vhost, queue, UInt64(truncatingIfNeeded: packets), bytes)
    }
}
