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
    /// the tokens (all or nothing, `TokenBucketPairWords`), and counts it as passed or dropped in this PMD's
    /// counters.
    @inlinable @inline(__always)
    public func admitToVM(slot: Int, length: UInt64, at t: UInt64) -> Bool {
        let spec = spec(slot: slot, .toVM)
        let block = counters.unsafelyUnwrapped
        while true {
            let before = words(slot: slot, .toVM)
            var after = before
            guard after.take(packets: 1, bytes: length, spec, at: t) else {
                block.increment(QoSCounters.index(slot: slot, .toVM, QoSCounters.heldOrDropped))
                block.add(QoSCounters.index(slot: slot, .toVM, QoSCounters.droppedBytes), length)
                return false
            }
            guard publish(slot: slot, .toVM, from: before, to: after) else { continue }
            block.increment(QoSCounters.index(slot: slot, .toVM, QoSCounters.passedPackets))
            block.add(QoSCounters.index(slot: slot, .toVM, QoSCounters.passedBytes), length)
            return true
        }
    }
}
