import DPDK
import Foundation
import Pipeline
import Testing

/// The punt path's rings on their own (no DPDK: entries carry made-up mbuf pointers that are never
/// dereferenced).
@Suite struct PacketRingTests {
    static func entry(_ n: Int, kind: UInt16 = 7) -> PuntEntry {
        PuntEntry(
            mbuf: OpaquePointer(bitPattern: 0x1000 + n * 64)!, kind: PuntKind(rawValue: kind), port: UInt16(n % 64))
    }

    static func number(_ entry: PuntEntry) -> Int { (Int(bitPattern: UnsafeRawPointer(entry.mbuf)) - 0x1000) / 64 }

    @Test func firstInFirstOutUntilFullThenRefuses() {
        let path = PuntPath.allocate(capacity: 5)  // rounded up to 8
        defer { path.deallocate() }
        #expect(path.punts.capacity == 8)
        for n in 0..<8 { #expect(path.punt(Self.entry(n).mbuf, kind: PuntKind(rawValue: 3), port: UInt16(n))) }
        #expect(!path.punt(Self.entry(8).mbuf, kind: PuntKind(rawValue: 3), port: 8))
        #expect(path.pmdCounters.load(PuntCounters.punted) == 8)
        #expect(path.pmdCounters.load(PuntCounters.puntRingFull) == 1)
        #expect(path.punts.count == 8)
        var seen: [Int] = []
        while let entry = path.nextPunted() {
            seen.append(Self.number(entry))
            #expect(entry.kind == PuntKind(rawValue: 3))
            #expect(Int(entry.port) == Self.number(entry))
        }
        #expect(seen == Array(0..<8))
        #expect(path.nextPunted() == nil)
    }

    /// Many laps of a small ring: indexes wrap over the slots, order and content hold.
    @Test func wrapsAround() {
        let path = PuntPath.allocate(capacity: 4)
        defer { path.deallocate() }
        var next = 0
        var expected = 0
        for round in 0..<1000 {
            for _ in 0..<(round % 4 + 1) {
                #expect(path.punts.enqueue(Self.entry(next)))
                next += 1
            }
            while let entry = path.punts.dequeue() {
                #expect(Self.number(entry) == expected)
                expected += 1
            }
        }
        #expect(expected == next)
    }

    /// A producer and a consumer thread: every entry arrives once, in order; what the producer could not
    /// enqueue it retried (a PMD would drop and count it instead).
    @Test func oneProducerOneConsumerThread() {
        let path = PuntPath.allocate(capacity: 64)
        defer { path.deallocate() }
        let total = 50_000
        let producer = Thread {
            var n = 0
            while n < total {
                if path.punts.enqueue(Self.entry(n)) { n += 1 }
            }
        }
        producer.start()
        var expected = 0
        var outOfOrder = 0
        while expected < total {
            guard let entry = path.punts.dequeue() else { continue }
            if Self.number(entry) != expected { outOfOrder += 1 }
            expected += 1
        }
        #expect(outOfOrder == 0)
        #expect(path.punts.dequeue() == nil)
    }

    /// The control side's injection counts what its ring refused.
    @Test func injectionCountsAFullRing() {
        let path = PuntPath.allocate(capacity: 2)
        defer { path.deallocate() }
        #expect(path.inject(Self.entry(0).mbuf, port: 1, kind: PuntKind(rawValue: 1)))
        #expect(path.inject(Self.entry(1).mbuf, port: 1, kind: PuntKind(rawValue: 1)))
        #expect(!path.inject(Self.entry(2).mbuf, port: 1, kind: PuntKind(rawValue: 1)))
        #expect(path.controlCounters.load(PuntCounters.injected) == 2)
        #expect(path.controlCounters.load(PuntCounters.injectRingFull) == 1)
        #expect(path.injects.dequeue().map(Self.number) == 0)
        #expect(path.injects.dequeue().map(Self.number) == 1)
    }
}

extension PuntEntry: Equatable {
    public static func == (lhs: PuntEntry, rhs: PuntEntry) -> Bool {
        lhs.mbuf == rhs.mbuf && lhs.kind == rhs.kind && lhs.port == rhs.port
    }
}

extension DPDKBackedTests {
    /// The PMD side of injection on real mbufs and ports.
    @Suite struct PuntInjectionTests {
        @Test("injected packets leave on their port's tx queue; disabled or unknown slots free and count them")
        func transmitInjected() throws {
            try TestDPDK.run { env in
                let path = PuntPath.allocate(capacity: 64)
                defer { path.deallocate() }
                let targets = UnsafeMutablePointer<TxTarget>.allocate(capacity: env.ports.count)
                defer { targets.deallocate() }
                let list = env.targets(enabled: [true, false, true, true])
                targets.initialize(from: list, count: list.count)
                let kind = PuntKind(rawValue: 9)
                for tag: UInt32 in 0..<3 {
                    #expect(path.inject(env.frame(tag: tag, length: 60).raw, port: 2, kind: kind))
                }
                #expect(path.inject(env.frame(tag: 10, length: 60).raw, port: 1, kind: kind))  // disabled
                #expect(path.inject(env.frame(tag: 11, length: 60).raw, port: 40, kind: kind))  // no such slot
                path.transmitInjected(targets, slots: env.ports.count, capture: .off)
                #expect(env.drain(port: 2, queue: 0).map(\.tag) == [0, 1, 2])
                #expect(env.drainAllPorts() == 0)
                #expect(path.pmdCounters.load(PuntCounters.injectSent) == 3)
                #expect(path.pmdCounters.load(PuntCounters.injectPortDown) == 2)
                #expect(list[2].counters.block.load(PortCounters.txPackets) == 3)
            }
        }

        @Test("a PMD sends at most injectBudget injected packets per iteration")
        func injectionIsBudgeted() throws {
            try TestDPDK.run { env in
                let path = PuntPath.allocate(capacity: 128)
                defer { path.deallocate() }
                let targets = UnsafeMutablePointer<TxTarget>.allocate(capacity: env.ports.count)
                defer { targets.deallocate() }
                let list = env.targets()
                targets.initialize(from: list, count: list.count)
                for tag: UInt32 in 0..<40 {
                    #expect(path.inject(env.frame(tag: tag, length: 60).raw, port: 0, kind: PuntKind(rawValue: 1)))
                }
                path.transmitInjected(targets, slots: env.ports.count, capture: .off)
                #expect(path.injects.count == 40 - PuntPath.injectBudget)
                path.transmitInjected(targets, slots: env.ports.count, capture: .off)
                #expect(path.injects.count == 0)
                #expect(env.drain(port: 0, queue: 0).map(\.tag) == Array(0..<40))
            }
        }
    }
}
