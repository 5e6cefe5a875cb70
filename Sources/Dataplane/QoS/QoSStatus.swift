import ControlProtocol
import DPDK
import Packet
import Pipeline

extension Dataplane {
    /// Every limited port and direction of the current generation: settings, tokens now, counters summed
    /// over PMDs.
    public func qosStatus() -> [QoSDirectionStatus] {
        let qos = generation.qos
        let shared = QoSShared.shared
        let tables = QoSTables(
            fromVM: .none, toVM: .none, specs: UnsafePointer(qos.specs), state: shared.state, counters: nil)
        let t = TokenBucketSpec.scaled(readTSC())
        var rows: [QoSDirectionStatus] = []
        for port in config.ports {
            guard let slot = qos.slots[port.name] else { continue }
            for direction in QoSDirection.allCases {
                let spec = tables.spec(slot: slot, direction)
                guard spec.bytes != nil || spec.packets != nil else { continue }
                var buckets: [QoSBucketStatus] = []
                for (kind, bucketSpec, isPackets) in [
                    ("bandwidth", spec.bytes, false), ("packets", spec.packets, true),
                ] {
                    guard let bucketSpec else { continue }
                    let state = tables.bucket(slot: slot, direction, packets: isPackets)
                    buckets.append(
                        QoSBucketStatus(
                            kind: kind, rate: bucketSpec.tokensPerSecond * (isPackets ? 1 : 8), burst: bucketSpec.size,
                            tokens: bucketSpec.tokens(
                                emptyTime: state.emptyTime.pointee.load(ordering: .relaxed), at: t),
                            oneTimeBurstLeft: state.oneTime.pointee.load(ordering: .relaxed)))
                }
                func sum(_ counter: Int) -> UInt64 {
                    shared.counters.reduce(0) { $0 &+ $1.load(QoSCounters.index(slot: slot, direction, counter)) }
                }
                let heldOrDropped = sum(QoSCounters.heldOrDropped)
                // Held back: the holds that ended, plus each PMD's hold in progress (summed over PMDs).
                var heldCycles: UInt64 = 0
                if direction == .fromVM {
                    let now = readTSC()
                    for block in shared.counters {
                        let since = block.load(QoSCounters.index(slot: slot, direction, QoSCounters.heldSince))
                        heldCycles &+= block.load(QoSCounters.index(slot: slot, direction, QoSCounters.heldCycles))
                        if since != 0 && now > since { heldCycles &+= now &- since }
                    }
                }
                rows.append(
                    QoSDirectionStatus(
                        port: port.name, direction: direction.name, buckets: buckets,
                        passedPackets: sum(QoSCounters.passedPackets), passedBytes: sum(QoSCounters.passedBytes),
                        heldPolls: direction == .fromVM ? heldOrDropped : 0,
                        heldSeconds: Double(heldCycles) / Double(EAL.tscHz),
                        droppedPackets: direction == .toVM ? heldOrDropped : 0,
                        droppedBytes: sum(QoSCounters.droppedBytes)))
            }
        }
        return rows
    }
}
