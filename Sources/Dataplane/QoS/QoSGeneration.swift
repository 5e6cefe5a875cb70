import Config
import DPDK
import Packet
import Pipeline
import Synchronization

extension TokenBucketSpec {
    /// The bucket of a configured limit: bandwidth rates are bits per second of bytes-tokens.
    init(_ bucket: QoSBucketConfig, bits: Bool, tscHz: UInt64) {
        self.init(
            tokens: UInt64(bucket.rate), perSeconds: bits ? 8 : 1, size: UInt64(bucket.burst),
            oneTimeBurst: UInt64(bucket.oneTimeBurst), tscHz: tscHz)
    }
}

extension QoSDirectionSpec {
    init(_ direction: QoSDirectionConfig?, maxFrame: Int, tscHz: UInt64) {
        guard let direction else {
            self = .unlimited
            return
        }
        self.init(
            bytes: direction.bandwidth.map { TokenBucketSpec($0, bits: true, tscHz: tscHz) },
            packets: direction.packets.map { TokenBucketSpec($0, bits: false, tscHz: tscHz) },
            maxFrame: UInt64(maxFrame))
    }

    var isLimited: Bool { bytes != nil || packets != nil }
}

/// What outlives generations: every slot's bucket state, each PMD's QoS counters, and which settings each
/// slot's buckets were last reset for (so that a generation resets only the buckets whose settings or port
/// changed, and every other bucket keeps its tokens). Used by the control thread only; the PMDs reach the
/// memory through their generation's `QoSTables`.
final class QoSShared {
    nonisolated(unsafe) static var shared = QoSShared()

    let state: UnsafeMutablePointer<Atomic<UInt64>>
    private(set) var counters: [CounterBlock] = []
    private var applied: [Int: (port: ObjectIdentifier, fromVM: QoSDirectionSpec, toVM: QoSDirectionSpec)] = [:]

    private init() {
        let words = ForwardingTables.maxPorts * QoSTables.wordsPerSlot
        let raw = UnsafeMutableRawPointer.allocate(byteCount: words * 8, alignment: 64)
        state = raw.bindMemory(to: Atomic<UInt64>.self, capacity: words)
        for i in 0..<words { (state + i).initialize(to: Atomic(0)) }
    }

    func counters(ofPMD index: Int) -> CounterBlock {
        while counters.count <= index { counters.append(.allocate(count: QoSCounters.count)) }
        return counters[index]
    }

    /// Resets the buckets of `slot` whose settings differ from those last applied there (or whose port is
    /// another one); returns nothing: the state is shared.
    func apply(slot: Int, port: ObjectIdentifier, fromVM: QoSDirectionSpec, toVM: QoSDirectionSpec, tsc: UInt64) {
        let previous = applied[slot]
        let samePort = previous?.port == port
        let tables = QoSTables(fromVM: .none, toVM: .none, specs: nil, state: state, counters: nil)
        for (direction, spec, old) in [(QoSDirection.fromVM, fromVM, previous?.fromVM), (.toVM, toVM, previous?.toVM)]
        where !samePort || old != spec {
            if let bytes = spec.bytes { tables.bucket(slot: slot, direction, packets: false).reset(bytes, at: tsc) }
            if let packets = spec.packets {
                tables.bucket(slot: slot, direction, packets: true).reset(packets, at: tsc)
            }
        }
        applied[slot] = (port, fromVM, toVM)
    }

    func forget(slot: Int) { applied[slot] = nil }
}

/// A generation's QoS tables: every slot's bucket parameters (owned here, freed with the generation) and the
/// sets of limited slots.
final class QoSGeneration {
    let specs: UnsafeMutablePointer<QoSDirectionSpec>
    let fromVM: PortSet
    let toVM: PortSet
    /// Port name -> slot, for status.
    let slots: [String: Int]

    init(config: SluiceConfig, slots ports: [Port?], slotOf: [String: Int], tscHz: UInt64) {
        let maxPorts = ForwardingTables.maxPorts
        specs = .allocate(capacity: 2 * maxPorts)
        specs.initialize(repeating: .unlimited, count: 2 * maxPorts)
        let fromVM = PortSet.allocate()
        let toVM = PortSet.allocate()
        var named: [String: Int] = [:]
        let shared = QoSShared.shared
        let now = readTSC()
        for port in config.ports {
            guard let slot = slotOf[port.name], let live = ports[slot] else { continue }
            let from = QoSDirectionSpec(port.qos?.fromVM, maxFrame: port.maxFrameBytes, tscHz: tscHz)
            let to = QoSDirectionSpec(port.qos?.toVM, maxFrame: port.maxFrameBytes, tscHz: tscHz)
            specs[slot * 2] = from
            specs[slot * 2 + 1] = to
            if from.isLimited { fromVM.insert(slot) }
            if to.isLimited { toVM.insert(slot) }
            shared.apply(slot: slot, port: ObjectIdentifier(live), fromVM: from, toVM: to, tsc: now)
            named[port.name] = slot
        }
        for slot in 0..<maxPorts where ports.indices.contains(slot) && ports[slot] == nil { shared.forget(slot: slot) }
        self.fromVM = fromVM
        self.toVM = toVM
        self.slots = named
    }

    deinit {
        specs.deallocate()
        fromVM.deallocate()
        toVM.deallocate()
    }

    func tables(pmdIndex: Int) -> QoSTables {
        QoSTables(
            fromVM: fromVM, toVM: toVM, specs: UnsafePointer(specs), state: QoSShared.shared.state,
            counters: QoSShared.shared.counters(ofPMD: pmdIndex))
    }
}
