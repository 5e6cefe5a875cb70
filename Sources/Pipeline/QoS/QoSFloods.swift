import DPDK
import Packet
import Synchronization

/// To-vm policing of flooded frames. Floods (broadcast, multicast, unknown unicast) have no single output
/// port when the `qos` stage runs: transmit expands them into one copy per port. Before it makes the copies,
/// transmit asks here which of the flood's ports limited to-vm may take the frame; each such port's buckets
/// are charged for its copy (a packet and the frame's bytes), and a port whose buckets cannot pay gets no copy
/// (counted by transmit as `qos-to-vm`, and in the port's to-vm dropped counters). Transmit asks only for a
/// flood port that is limited (one set test per port otherwise).
extension QoSTables {
    /// Whether `slot`, limited to-vm, takes a flooded frame of `length` bytes now (then its buckets have been
    /// charged). Counts passed and dropped per port.
    @inlinable @inline(__always)
    public func policeFlood(slot: Int, length: UInt64) -> Bool {
        admitToVM(slot: slot, length: length, at: TokenBucketSpec.scaled(readTSC()))
    }

    /// Takes one packet of `length` bytes from `slot`'s to-vm buckets at scaled time `t` if every bucket has
    /// the tokens (all or nothing, published with one compare-and-swap per bucket), and counts it as passed
    /// or dropped in this PMD's counters.
    @inlinable @inline(__always)
    public func admitToVM(slot: Int, length: UInt64, at t: UInt64) -> Bool {
        let spec = spec(slot: slot, .toVM)
        let bytesBucket = bucket(slot: slot, .toVM, packets: false)
        let packetBucket = bucket(slot: slot, .toVM, packets: true)
        let block = counters.unsafelyUnwrapped
        while true {
            let be0 = bytesBucket.emptyTime.pointee.load(ordering: .relaxed)
            let bo0 = bytesBucket.oneTime.pointee.load(ordering: .relaxed)
            let pe0 = packetBucket.emptyTime.pointee.load(ordering: .relaxed)
            let po0 = packetBucket.oneTime.pointee.load(ordering: .relaxed)
            var be = be0
            var bo = bo0
            var pe = pe0
            var po = po0
            var ok = true
            if let packets = spec.packets { ok = packets.take(1, at: t, emptyTime: &pe, oneTime: &po) }
            if ok, let bytes = spec.bytes { ok = bytes.take(length, at: t, emptyTime: &be, oneTime: &bo) }
            guard ok else {
                block.increment(QoSCounters.index(slot: slot, .toVM, QoSCounters.heldOrDropped))
                block.add(QoSCounters.index(slot: slot, .toVM, QoSCounters.droppedBytes), length)
                return false
            }
            guard bytesBucket.commit(from: be0, bo0, to: be, bo) else { continue }
            guard packetBucket.commit(from: pe0, po0, to: pe, po) else {
                bytesBucket.refund(from: be0, bo0, to: be, bo)
                continue
            }
            block.increment(QoSCounters.index(slot: slot, .toVM, QoSCounters.passedPackets))
            block.add(QoSCounters.index(slot: slot, .toVM, QoSCounters.passedBytes), length)
            return true
        }
    }
}
