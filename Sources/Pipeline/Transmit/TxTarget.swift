import DPDK

/// Where one PMD sends packets for one port: the port (an ethdev or a vhost-user port, `PortIO`), this PMD's
/// own tx queue on it (DPDK tx queues and virtqueues are not thread-safe, so every PMD has one per port), and
/// this PMD's counters for the port.
@frozen
public struct TxTarget: Sendable {
    public var port: PortIO
    public var queue: UInt16
    public var counters: PortCounters
    /// False for a port that is administratively down: packets for it are dropped, not queued.
    public var enabled: Bool

    public init(port: PortIO, queue: UInt16, counters: PortCounters, enabled: Bool) {
        self.port = port
        self.queue = queue
        self.counters = counters
        self.enabled = enabled
    }

    /// An ethdev port's target.
    public init(port: EthPort, queue: UInt16, counters: PortCounters, enabled: Bool) {
        self.init(port: PortIO(ethPort: port), queue: queue, counters: counters, enabled: enabled)
    }

    /// How often a transmit that made progress is retried before the rest is dropped. Bounded so that a
    /// slow consumer (a guest that does not drain its ring) cannot stall the PMD and every other port on it.
    public static let maxRetries = 3

    /// Sends `count` packets starting at `packets`. Whatever the driver does not take after the retries is
    /// freed and counted; returns the number sent. Ownership of all `count` packets leaves the caller.
    @inlinable @inline(__always)
    public func send(_ packets: UnsafeMutablePointer<OpaquePointer?>, count: Int) -> Int {
        // Bytes are summed before the transmit: a packet the driver has taken is no longer ours to read (the
        // driver may free it, or another thread may dequeue, change or free it, as with net_ring or vhost).
        var bytes: UInt64 = 0
        for i in 0..<count { bytes &+= UInt64(truncatingIfNeeded: Mbuf(packets[i].unsafelyUnwrapped).packetLength) }
        var sent = port.transmitUncounted(queue: queue, packets, count: count)
        var retries = 0
        while sent < count && retries < TxTarget.maxRetries {
            let more = port.transmitUncounted(queue: queue, packets + sent, count: count - sent)
            if more == 0 { break }
            sent += more
            retries += 1
        }
        if sent < count {
            // The packets the driver did not take are still ours: take their bytes back out and free them.
            for i in sent..<count {
                bytes &-= UInt64(truncatingIfNeeded: Mbuf(packets[i].unsafelyUnwrapped).packetLength)
            }
            Mbuf.freeBulk(packets + sent, count: count - sent)
            counters.block.add(PortCounters.txDropped, UInt64(truncatingIfNeeded: count - sent))
        }
        counters.block.add(PortCounters.txPackets, UInt64(truncatingIfNeeded: sent))
        counters.block.add(PortCounters.txBytes, bytes)
        // A vhost-user port's own queue counters, from the same sums (one update however many calls it took).
        port.countTransmitted(queue: queue, packets: sent, bytes: bytes)
        return sent
    }
}
