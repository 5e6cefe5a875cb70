import DPDK
import Packet
import Pipeline
import Synchronization
import Testing

/// QoS tables for tests: slot 1 limited to-vm and from-vm by the given buckets; state and counters of their own.
final class QoSFixture {
    let specs = UnsafeMutablePointer<QoSDirectionSpec>.allocate(capacity: 2 * ForwardingTables.maxPorts)
    let state = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: ForwardingTables.maxPorts * 8)
    let counters = CounterBlock.allocate(count: QoSCounters.count)
    let bridge = BridgeTables(ports: Array(repeating: BridgePortSpec(), count: 4))
    let peers = UnsafeMutablePointer<UInt16>.allocate(capacity: ForwardingTables.maxPorts)
    let targets = UnsafeMutablePointer<TxTarget>.allocate(capacity: 1)
    let queues = UnsafeMutablePointer<RxQueueRef>.allocate(capacity: 1)
    let limited = PortSet.allocate([1])
    let enabled = PortSet.allocate(0..<4)

    init(_ spec: QoSDirectionSpec, tsc: UInt64) {
        specs.initialize(repeating: .unlimited, count: 2 * ForwardingTables.maxPorts)
        for i in 0..<(ForwardingTables.maxPorts * 8) { (state + i).initialize(to: Atomic(0)) }
        peers.initialize(repeating: PacketMeta.noEgress, count: ForwardingTables.maxPorts)
        for direction in QoSDirection.allCases {
            specs[2 + direction.rawValue] = spec
            if let bytes = spec.bytes { tables.bucket(slot: 1, direction, packets: false).reset(bytes, at: tsc) }
            if let packets = spec.packets { tables.bucket(slot: 1, direction, packets: true).reset(packets, at: tsc) }
        }
    }

    deinit {
        specs.deallocate()
        state.deallocate()
        counters.deallocate()
        peers.deallocate()
        targets.deallocate()
        queues.deallocate()
        limited.deallocate()
        enabled.deallocate()
    }

    var tables: QoSTables {
        QoSTables(fromVM: limited, toVM: limited, specs: UnsafePointer(specs), state: state, counters: counters)
    }

    var forwarding: ForwardingTables {
        ForwardingTables(
            bridge: bridge.view, peers: peers, targets: targets, enabled: enabled, rxQueues: queues, rxQueueCount: 0,
            generationID: 1, qos: tables)
    }

    func counter(_ direction: QoSDirection, _ counter: Int) -> UInt64 {
        counters.load(QoSCounters.index(slot: 1, direction, counter))
    }
}

extension DPDKBackedTests {
    @Suite struct QoSStageTests {
        /// A bucket that never refills during the test (1 token per second at a 1 GHz TSC).
        static func frozen(size: UInt64, oneTime: UInt64 = 0) -> TokenBucketSpec {
            TokenBucketSpec(tokens: 1, size: size, oneTimeBurst: oneTime, tscHz: 1_000_000_000)
        }

        @Test(
            "to-vm: a packet passes only with tokens in both buckets; the rest is dropped as qos-to-vm, in order",
            arguments: [
                // (packet bucket size, byte bucket size, packets passed of 10 frames of 100 bytes)
                (5, 100_000, 5), (100, 350, 3), (4, 350, 3), (100, 100_000, 10),
            ] as [(UInt64, UInt64, Int)])
        func policesWithBothBuckets(packets: UInt64, bytes: UInt64, passed: Int) throws {
            try TestDPDK.run { env in
                let fixture = QoSFixture(
                    QoSDirectionSpec(
                        bytes: Self.frozen(size: bytes), packets: Self.frozen(size: packets), maxFrame: 1518),
                    tsc: readTSC())
                var stage = QoSStage(capacity: 32)
                stage.bind(fixture.forwarding)
                let active = stage.isActive
                #expect(active)
                var burst = PacketBurst(capacity: 32)
                // 10 frames of 100 bytes to slot 1, interleaved with 4 to slot 2 (unlimited).
                env.fill(&burst, frames: Array(repeating: [UInt8](repeating: 0xA5, count: 100), count: 14), ingress: 0)
                var toSlot1: [OpaquePointer] = []
                for i in 0..<14 {
                    burst.meta[i].egress = i % 7 < 5 ? 1 : 2
                    if burst.meta[i].egress == 1 { toSlot1.append(burst.packets[i].raw) }
                }
                _ = stage.run(&burst, since: readTSC())
                let kept = (0..<burst.count).map { burst.packets[$0].raw }
                #expect(burst.count == 4 + passed)
                // The first `passed` packets for slot 1 pass, in order; every packet for slot 2 passes.
                #expect(kept.filter { toSlot1.contains($0) } == Array(toSlot1.prefix(passed)))
                #expect(stage.snapshot.drops == [UInt64(10 - passed)])
                #expect(fixture.counter(.toVM, QoSCounters.passedPackets) == UInt64(passed))
                #expect(fixture.counter(.toVM, QoSCounters.passedBytes) == UInt64(passed * 100))
                #expect(fixture.counter(.toVM, QoSCounters.heldOrDropped) == UInt64(10 - passed))
                #expect(fixture.counter(.toVM, QoSCounters.droppedBytes) == UInt64((10 - passed) * 100))
                burst.releaseDropped()
                burst.packets.freeAll()
            }
        }

        @Test("a stage bound to tables without to-vm limits is inactive")
        func inactiveWithoutLimits() {
            let stage = QoSStage(capacity: 32)
            let active = stage.isActive
            #expect(!active)
        }
    }
}

/// from-vm admission: no DPDK needed, only the tables.
@Suite struct QoSFromVMTests {
    @Test(
        "from-vm admits as many packets as every bucket pays for at the port's largest frame, and counts held polls",
        arguments: [
            // (packet tokens, byte tokens, limit, admitted)
            (100, 1518 * 40, 32, 32), (5, 1518 * 40, 32, 5), (100, 1518 * 3 + 1517, 32, 3), (100, 1517, 32, 0),
            (0, 1518 * 40, 32, 0), (100, 1518 * 40, 7, 7),
        ] as [(UInt64, UInt64, Int, Int)])
    func allowance(packets: UInt64, bytes: UInt64, limit: Int, admitted: Int) {
        let hz: UInt64 = 1_000_000_000
        let now: UInt64 = 1 << 40
        let fixture = QoSFixture(
            QoSDirectionSpec(
                bytes: TokenBucketSpec(tokens: 1, size: max(bytes, 1), oneTimeBurst: 0, tscHz: hz),
                packets: TokenBucketSpec(tokens: 1, size: max(packets, 1), oneTimeBurst: 0, tscHz: hz),
                maxFrame: 1518),
            tsc: now)
        let tables = fixture.tables
        // Empty buckets where the case has 0 tokens.
        if packets == 0 { tables.fromVMCharge(slot: 1, packets: 1, bytes: 0, tsc: now) }
        #expect(tables.fromVMAllowance(slot: 1, limit: limit, tsc: now) == admitted)
        #expect(fixture.counter(.fromVM, QoSCounters.heldOrDropped) == (admitted == 0 ? 1 : 0))
        // Charging real sizes takes exactly them.
        if admitted > 0 {
            let before = tables.bucket(slot: 1, .fromVM, packets: false)
            let spec = fixture.specs[2].bytes!
            let t = TokenBucketSpec.scaled(now)
            let available = before.available(spec, at: t)
            tables.fromVMCharge(slot: 1, packets: admitted, bytes: 100, tsc: now)
            #expect(before.available(spec, at: t) == available - 100)
        }
    }
}
