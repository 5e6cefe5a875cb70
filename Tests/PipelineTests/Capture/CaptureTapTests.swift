import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    /// The PMD side of packet capture on real mbufs: what is copied, into which ring entry, and what a full
    /// ring or a port nobody captures costs.
    @Suite struct CaptureTapTests {
        /// The copies waiting in `taps`' ring of PMD 0: (kind, port, tsc, wire length, bytes); freed.
        static func takeCopies(_ taps: CaptureTaps) -> [(kind: UInt16, port: UInt16, length: Int, bytes: [UInt8])] {
            var copies: [(UInt16, UInt16, Int, [UInt8])] = []
            taps.drain { entry in
                let mbuf = Mbuf(entry.mbuf)
                let length = Int(mbuf.data.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
                let bytes = Array(mbuf.bytes[CaptureKind.recordHeader...])
                copies.append((entry.kind.rawValue, entry.port, length, bytes))
                mbuf.free()
            }
            return copies
        }

        @Test func ingressCopiesSnapLengthBytesOfEveryPacketForEachSessionAndLeavesTheOriginals() throws {
            try TestDPDK.run { env in
                let taps = CaptureTaps(pmdCount: 1, pool: env.pool)
                let tap = taps.tap(pmd: 0)
                var burst = PacketBurst(capacity: 32)
                env.fill(&burst, tags: 0..<3, ingress: 2)
                let before = (0..<3).map { burst.packets.slots[$0] }
                tap.ingress(burst.packets.slots, count: 3, port: 2)
                #expect(Self.takeCopies(taps).isEmpty, "no session: nothing copied")
                taps.set(session: 1, port: 2, ingress: true, egress: false, snapLength: 20)
                taps.set(session: 4, port: 2, ingress: true, egress: true, snapLength: 1000)
                taps.set(session: 5, port: 3, ingress: true, egress: true, snapLength: 1000)
                tap.ingress(burst.packets.slots, count: 3, port: 2)
                tap.egress(burst.packets.slots, count: 3, port: 3)
                let copies = Self.takeCopies(taps)
                let out: UInt16 = 5 | CaptureKind.egress
                let kinds: [UInt16] = [1, 1, 1, 4, 4, 4, out, out, out]
                #expect(copies.map(\.kind) == kinds)
                let ports: [UInt16] = [2, 2, 2, 2, 2, 2, 3, 3, 3]
                #expect(copies.map(\.port) == ports)
                let lengths: [Int] = (0..<3).map { TestDPDK.Environment.length(ofTag: UInt32($0)) }
                let allLengths: [Int] = lengths + lengths + lengths
                #expect(copies.map(\.length) == allLengths)
                let snapped: [Int] = [20, 20, 20] + lengths + lengths
                #expect(copies.map(\.bytes.count) == snapped)
                for (i, copy) in copies.enumerated() {
                    let original = Mbuf(before[i % 3]!)
                    #expect(copy.bytes == Array(original.bytes.prefix(copy.bytes.count)), "copy \(i)")
                }
                #expect(taps.totals(session: 1).copied == 3 && taps.totals(session: 1).lost == 0)
                #expect(taps.totals(session: 4).copied == 3 && taps.totals(session: 4).lost == 0)
                #expect((0..<3).map { burst.packets.slots[$0] } == before, "the burst is untouched")
                burst.packets.freeAll()
            }
        }

        @Test func aFullRingCountsTheLossAndNeverBlocks() throws {
            try TestDPDK.run { env in
                let taps = CaptureTaps(pmdCount: 1, pool: env.pool, capacity: 4)
                taps.set(session: 0, port: 1, ingress: true, egress: false, snapLength: 64)
                var burst = PacketBurst(capacity: 32)
                env.fill(&burst, tags: 0..<10, ingress: 1)
                taps.tap(pmd: 0).ingress(burst.packets.slots, count: 10, port: 1)
                #expect(taps.totals(session: 0).copied == 4 && taps.totals(session: 0).lost == 6)
                let firstBytes: [UInt8?] = [0, 1, 2, 3]
                #expect(Self.takeCopies(taps).map(\.bytes.first) == firstBytes)
                burst.packets.freeAll()
            }
        }

        @Test func transmitCopiesWhatItHandsToACapturedPortAfterTagging() throws {
            try TestDPDK.run { env in
                let taps = CaptureTaps(pmdCount: 1, pool: env.pool)
                let fixture = CaptureTablesFixture(targets: env.targets(), capture: taps.tap(pmd: 0))
                var stage = TransmitStage(targets: env.targets(), bridge: fixture.bridge.view, capacity: 32)
                stage.bind(fixture.tables)
                taps.set(session: 2, port: 1, ingress: false, egress: true, snapLength: 65535)
                var burst = PacketBurst(capacity: 32)
                env.fill(&burst, tags: 0..<4, ingress: 0)
                for (i, port) in [1, 2, 1, 1].enumerated() { burst.meta[i].egress = UInt16(port) }
                _ = stage.run(&burst, since: readTSC())
                let copies = Self.takeCopies(taps)
                let firstBytes: [UInt8?] = [0, 2, 3]
                #expect(copies.map(\.bytes.first) == firstBytes)
                let kind: UInt16 = 2 | CaptureKind.egress
                #expect(copies.allSatisfy { $0.kind == kind && $0.port == 1 })
                let sent: [UInt32] = [0, 2, 3]
                #expect(env.drain(port: 1, queue: 0).map(\.tag) == sent)
                let other: [UInt32] = [1]
                #expect(env.drain(port: 2, queue: 0).map(\.tag) == other)
            }
        }

        @Test func repliesTheControlThreadInjectsAreCapturedOnTheirPortsEgress() throws {
            try TestDPDK.run { env in
                let taps = CaptureTaps(pmdCount: 1, pool: env.pool)
                let path = PuntPath.allocate(capacity: 64)
                defer { path.deallocate() }
                let list = env.targets()
                let targets = UnsafeMutablePointer<TxTarget>.allocate(capacity: list.count)
                defer { targets.deallocate() }
                targets.initialize(from: list, count: list.count)
                taps.set(session: 3, port: 2, ingress: true, egress: true, snapLength: 65535)
                let kind = PuntKind(rawValue: 1)
                for (tag, port): (UInt32, UInt16) in [(0, 2), (1, 1), (2, 2)] {
                    #expect(path.inject(env.frame(tag: tag, length: 60).raw, port: port, kind: kind))
                }
                path.transmitInjected(targets, slots: list.count, capture: taps.tap(pmd: 0))
                let copies = Self.takeCopies(taps)
                let firstBytes: [UInt8?] = [0, 2]
                #expect(copies.map(\.bytes.first) == firstBytes, "only port 2's replies, in order")
                let out: UInt16 = 3 | CaptureKind.egress
                #expect(copies.allSatisfy { $0.kind == out && $0.port == 2 })
                let sent: [UInt32] = [0, 2]
                #expect(env.drain(port: 2, queue: 0).map(\.tag) == sent, "the originals are still sent")
                #expect(env.drain(port: 1, queue: 0).map(\.tag) == [1])
            }
        }
    }
}

/// Forwarding tables over the loopback ports with a capture tap (the rest of the 64 slots disabled).
final class CaptureTablesFixture {
    let bridge = BridgeTables(ports: Array(repeating: BridgePortSpec(), count: 4))
    let peers = UnsafeMutablePointer<UInt16>.allocate(capacity: ForwardingTables.maxPorts)
    let targets = UnsafeMutablePointer<TxTarget>.allocate(capacity: ForwardingTables.maxPorts)
    let queues = UnsafeMutablePointer<RxQueueRef>.allocate(capacity: 1)
    let capture: CaptureTap

    init(targets given: [TxTarget], capture: CaptureTap) {
        self.capture = capture
        peers.initialize(repeating: PacketMeta.noEgress, count: ForwardingTables.maxPorts)
        for slot in 0..<ForwardingTables.maxPorts {
            let target =
                slot < given.count
                ? given[slot] : TxTarget(port: given[0].port, queue: 0, counters: given[0].counters, enabled: false)
            (targets + slot).initialize(to: target)
        }
    }

    deinit {
        peers.deallocate()
        targets.deallocate()
        queues.deallocate()
    }

    /// Ports 0-3 up (never freed: shared by every fixture).
    static let enabled = PortSet.allocate(0..<4)

    var tables: ForwardingTables {
        ForwardingTables(
            bridge: bridge.view, peers: peers, targets: targets, enabled: Self.enabled, rxQueues: queues,
            rxQueueCount: 0, generationID: 1, capture: capture)
    }
}
