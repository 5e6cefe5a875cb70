import DPDK
import Packet
import Synchronization

/// The to-vm policer: packets bound for a port limited to-vm pass while its buckets have tokens for them and
/// are dropped (`qos-to-vm`) otherwise, before transmit copies them into the guest. Bursts bound only for
/// unlimited ports pass with one mask test per packet; the stage is not even called while no port is limited.
///
/// A port's buckets may be shared by every PMD (any PMD may send to any port): each port's packets of a burst
/// are decided in order against one snapshot of its buckets, which is then published with one compare-and-swap
/// per bucket (and recomputed in the rare case another PMD got there first). Floods are policed by transmit,
/// copy by copy, as it expands them (`QoSTables.policeFlood`, docs/qos.md).
public struct QoSStage: PipelineStage, ~Copyable {
    public static let name = "qos"
    public enum Drop: Int, StageReason {
        case toVM

        public var name: String {
            switch self {
            case .toVM: "qos-to-vm"
            }
        }
    }

    public let counters: Counters
    @usableFromInline var tables: QoSTables = .off

    public init(capacity: Int) {
        precondition(capacity <= 64, "the policer keeps one bit per packet of a burst in a 64-bit word")
        counters = Self.allocateCounters()
    }

    /// Whether any port is limited to-vm in the bound generation (otherwise the pipeline skips the stage).
    @inlinable @inline(__always)
    public var isActive: Bool { tables.limitsToVM }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {
        self.tables = tables.qos
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let count = burst.count
        // Each limited egress of the burst, policed once: a packet is the first of its port's when no earlier
        // packet has its egress (a burst is mostly one port's, so the scan back is short).
        var refused: UInt64 = 0
        var t: UInt64 = 0
        for i in 0..<count {
            let egress = burst.meta[i].egress
            guard Int(egress) < PortLimit.maxPorts && tables.toVM.contains(Int(egress)) else { continue }
            var first = true
            var j = i
            while j > 0 {
                j &-= 1
                if burst.meta[j].egress == egress {
                    first = false
                    break
                }
            }
            guard first else { continue }
            if t == 0 { t = TokenBucketSpec.scaled(readTSC()) }
            refused |= police(slot: Int(egress), &burst, at: t)
        }
        guard refused != 0 else { return }
        let block = tables.counters.unsafelyUnwrapped
        var kept = 0
        for i in 0..<count {
            if refused & (UInt64(1) &<< UInt64(i)) != 0 {
                let slot = Int(burst.meta[i].egress)
                block.increment(QoSCounters.index(slot: slot, .toVM, QoSCounters.heldOrDropped))
                block.add(
                    QoSCounters.index(slot: slot, .toVM, QoSCounters.droppedBytes),
                    UInt64(truncatingIfNeeded: burst.packets[i].packetLength))
                counters.drop(.toVM)
                burst.drop(i)
            } else {
                burst.keep(i, at: &kept)
            }
        }
        burst.endCompaction(keeping: kept)
    }

    /// Decides the packets of the burst bound for `slot`, in order; returns the refused ones (bit i: packet
    /// i) after publishing the buckets' new state.
    @inlinable @inline(__always)
    func police(slot: Int, _ burst: inout PacketBurst, at t: UInt64) -> UInt64 {
        let spec = tables.spec(slot: slot, .toVM)
        let egress = UInt16(truncatingIfNeeded: slot)
        while true {
            let before = tables.words(slot: slot, .toVM)
            var after = before
            var refused: UInt64 = 0
            // The common case first: the buckets have tokens for all of the port's packets at once (what taking
            // them one by one would end with, since every take but the first starts from a bucket not full).
            var passed: UInt64 = 0
            var passedBytes: UInt64 = 0
            for i in 0..<burst.count where burst.meta[i].egress == egress {
                passed &+= 1
                passedBytes &+= UInt64(truncatingIfNeeded: burst.packets[i].packetLength)
            }
            if !after.take(packets: passed, bytes: passedBytes, spec, at: t) {
                passed = 0
                passedBytes = 0
                for i in 0..<burst.count where burst.meta[i].egress == egress {
                    let length = UInt64(truncatingIfNeeded: burst.packets[i].packetLength)
                    if after.take(packets: 1, bytes: length, spec, at: t) {
                        passed &+= 1
                        passedBytes &+= length
                    } else {
                        refused |= UInt64(1) &<< UInt64(i)
                    }
                }
            }
            guard tables.publish(slot: slot, .toVM, from: before, to: after) else { continue }
            let block = tables.counters.unsafelyUnwrapped
            block.add(QoSCounters.index(slot: slot, .toVM, QoSCounters.passedPackets), passed)
            block.add(QoSCounters.index(slot: slot, .toVM, QoSCounters.passedBytes), passedBytes)
            return refused
        }
    }
}
