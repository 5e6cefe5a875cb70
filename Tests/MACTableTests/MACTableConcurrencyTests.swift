import Synchronization
import Testing

#if canImport(MACTable)
    import MACTable
#else
    import Pipeline
#endif

/// Stress tests on real threads. Every thread does a fixed number of operations (no timing), and the checks
/// hold for every interleaving: what varies from run to run is only which interleavings get exercised.
/// An atomic that escaping closures can share (an `Atomic` itself cannot be captured: it is not copyable).
final class AtomicBox<Value: AtomicRepresentable & Sendable>: Sendable {
    let atomic: Atomic<Value>
    init(_ value: Value) { atomic = Atomic(value) }
}

@Suite("MAC table: concurrency", .serialized)
struct MACTableConcurrencyTests {
    /// The ports a key may ever be assigned to: the workers learn it only on these, the control thread makes
    /// it static only on the first. A lookup answering anything else would have paired a key with another
    /// key's value.
    static func allowedPorts(_ key: UInt64, ports: Int) -> (UInt16, UInt16) {
        let h = (key &* 0x9E37_79B9_7F4A_7C15) >> 40
        let first = Int(h % UInt64(ports))
        return (UInt16(first), UInt16((first + 1) % ports))
    }

    static func isAllowed(_ port: UInt16, for key: UInt64, ports: Int) -> Bool {
        let allowed = allowedPorts(key, ports: ports)
        return port == allowed.0 || port == allowed.1
    }

    @Test("learners, readers and a control thread (aging, flushes, statics, recycling) keep the table consistent")
    func learnersAndControl() {
        let ports = 4
        // Small enough that windows fill, limits bind and tombstones are recycled while keys are reused.
        let table = MACTable(capacity: 2048, ports: ports, limits: [300, 300, 300, 300], seed: 0xC0C0)
        let view = table.view
        let keys: [UInt64] = (0..<1500).map {
            MACTableKey.make(vlan: UInt16(1 + $0 % 3), mac: unicastMAC(UInt64($0 / 3) &* 0x1_0001))
        }
        let workers = 3
        let opsPerWorker = 400_000
        let controlRounds = 20_000
        let grace = TestGracePeriod(participants: workers)
        let clock = AtomicBox<UInt32>(1000)
        let violations = AtomicBox<Int>(0)
        let finishedWorkers = AtomicBox<Int>(0)
        let learnResults = AtomicBox<Int>(0)  // how many learns did something (sanity: the test did work)

        var bodies: [@Sendable () -> Void] = []
        for w in 0..<workers {
            bodies.append {
                var g = SeededGenerator(seed: 0xAAAA + UInt64(w))
                var effective = 0
                for _ in 0..<opsPerWorker {
                    // Overlapping key sets: worker w uses keys w*300 ..< w*300 + 900 (of 1500).
                    let key = keys[w * 300 + Int(g.next() % 900)]
                    if g.next() % 8 < 5 {
                        let allowed = Self.allowedPorts(key, ports: ports)
                        let port = g.next() % 16 == 0 ? allowed.1 : allowed.0
                        let now = clock.atomic.load(ordering: .relaxed)
                        switch view.learn(key: key, port: port, now: now) {
                        case .learned, .moved, .refreshed: effective += 1
                        case .invalidSource: violations.atomic.wrappingAdd(1, ordering: .relaxed)
                        default: break
                        }
                    } else if let port = view.lookup(key: key), !Self.isAllowed(port, for: key, ports: ports) {
                        violations.atomic.wrappingAdd(1, ordering: .relaxed)
                    }
                    grace.quiescent(w)  // as a PMD between bursts
                }
                grace.offline(w)
                learnResults.atomic.wrappingAdd(effective, ordering: .relaxed)
                finishedWorkers.atomic.wrappingAdd(1, ordering: .releasing)
            }
        }
        let controlViolations = AtomicBox<Int>(0)
        let recycled = AtomicBox<Int>(0)
        let rounds = AtomicBox<Int>(0)
        bodies.append {
            var g = SeededGenerator(seed: 0xBBBB)
            var round = 0
            while round < controlRounds && finishedWorkers.atomic.load(ordering: .acquiring) < workers {
                round += 1
                let now = clock.atomic.wrappingAdd(g.next() % 4 == 0 ? 1 : 0, ordering: .relaxed).newValue
                let key = keys[Int(g.next() % UInt64(keys.count))]
                let vlan = MACTableKey.vlan(of: key)
                let mac = MACTableKey.mac(of: key)
                switch g.next() % 64 {
                case 0..<12: table.age(now: now, maxAge: UInt32(4 + g.next() % 8))
                case 12: table.flush(port: UInt16(g.next() % UInt64(ports)))
                case 13: table.flush(vlan: vlan)
                case 14: if g.next() % 4 == 0 { table.flushAll(includingStatic: g.next() % 2 == 0) }
                case 15..<25: table.addStatic(vlan: vlan, mac: mac, port: Self.allowedPorts(key, ports: ports).0)
                case 25..<35: table.removeStatic(vlan: vlan, mac: mac)
                case 35..<45:
                    recycled.atomic.wrappingAdd(
                        table.recycleTombstones(waitForGracePeriod: grace.waitForGracePeriod), ordering: .relaxed)
                case 45..<50:
                    // A dump while learners run: every entry on an allowed port, no key twice.
                    var seen = Set<UInt64>()
                    for e in table.entries(now: now) {
                        let k = MACTableKey.make(vlan: e.vlan, mac: e.mac)
                        if !seen.insert(k).inserted || !Self.isAllowed(e.port, for: k, ports: ports) {
                            controlViolations.atomic.wrappingAdd(1, ordering: .relaxed)
                        }
                    }
                default:
                    // Lookups from the control thread too.
                    if let port = view.lookup(key: key), !Self.isAllowed(port, for: key, ports: ports) {
                        controlViolations.atomic.wrappingAdd(1, ordering: .relaxed)
                    }
                }
            }
            rounds.atomic.store(round, ordering: .relaxed)
        }
        runOnThreads(bodies)

        #expect(violations.atomic.load(ordering: .relaxed) == 0)
        #expect(controlViolations.atomic.load(ordering: .relaxed) == 0)
        #expect(learnResults.atomic.load(ordering: .relaxed) > 0)
        // Quiescent now: the counts must be exact.
        let now = clock.atomic.load(ordering: .relaxed)
        let entries = table.entriesByKey(now: now)
        #expect(table.learnedCounts == table.learnedEntriesPerPort(now: now))
        #expect(table.staticCount == entries.values.filter(\.isStatic).count)
        #expect(table.count == entries.count)
        for p in 0..<ports { #expect(table.learnedCount(port: p) <= 300) }
        for (key, e) in entries {
            #expect(Self.isAllowed(e.port, for: key, ports: ports))
            #expect(view.lookup(key: key) == e.port)
        }
        // After a final recycling nothing is lost either.
        table.recycleTombstones(waitForGracePeriod: {})
        #expect(table.entriesByKey(now: now) == entries)
        for (key, e) in entries { #expect(view.lookup(key: key) == e.port) }
    }

    @Test("refreshes, moves and deletions of the same few MACs from several threads keep the counts exact")
    func hotEntries() {
        let ports = 3
        let keys: [UInt64] = (0..<16).map { MACTableKey.make(vlan: 7, mac: unicastMAC(UInt64($0) + 100)) }
        let table = MACTable(capacity: 64, ports: ports, limits: [7, 7, 7], seed: 0xB0B)
        let view = table.view
        let workers = 3
        let grace = TestGracePeriod(participants: workers)
        let finished = AtomicBox<Int>(0)
        let outcomes = AtomicBox<Int>(0)  // bit per MACLearnResult seen
        var bodies: [@Sendable () -> Void] = []
        for w in 0..<workers {
            bodies.append {
                var seen = 0
                for i in 0..<200_000 {
                    // Every thread touches every key, each on its own rotating port, with its own clock
                    // (a bit apart from the others'): refreshes, moves and limit checks all collide.
                    let key = keys[(i &* 7 &+ w) % keys.count]
                    let port = UInt16((w + i / 64) % ports)
                    let result = view.learn(key: key, port: port, now: UInt32(i / 8 + w))
                    seen |= 1 << Int(result.rawValue)
                    grace.quiescent(w)
                }
                grace.offline(w)
                outcomes.atomic.bitwiseOr(seen, ordering: .relaxed)
                finished.atomic.wrappingAdd(1, ordering: .releasing)
            }
        }
        bodies.append {
            var g = SeededGenerator(seed: 0xB0B)
            var round = 0
            while round < 50_000 && finished.atomic.load(ordering: .acquiring) < workers {
                round += 1
                switch g.next() % 8 {
                case 0, 1, 2: table.age(now: UInt32(g.next() % 30_000), maxAge: UInt32(g.next() % 4))
                case 3: table.flush(port: UInt16(g.next() % UInt64(ports)))
                case 4: table.recycleTombstones(waitForGracePeriod: grace.waitForGracePeriod)
                default: _ = view.lookup(key: keys[Int(g.next() % UInt64(keys.count))])
                }
            }
        }
        runOnThreads(bodies)
        let entries = table.entriesByKey(now: 0)
        #expect(table.learnedCounts == table.learnedEntriesPerPort(now: 0))
        #expect(table.count == entries.count)
        for p in 0..<ports { #expect(table.learnedCount(port: p) <= 7) }
        for (key, e) in entries { #expect(view.lookup(key: key) == e.port) }
        // Which outcomes occurred depends on the interleaving; the first learn on the empty table is always
        // `learned`. (In practice every run sees learned, refreshed, moved and limitReached.)
        #expect(outcomes.atomic.load(ordering: .relaxed) & (1 << Int(MACLearnResult.learned.rawValue)) != 0)
    }

    @Test("threads learning the same new MACs at the same time create exactly one entry per MAC")
    func sameNewMACsRace() {
        let threads = 3
        let keys: [UInt64] = (0..<20_000).map { MACTableKey.make(vlan: 42, mac: unicastMAC(UInt64($0) &* 7 + 1)) }
        let table = MACTable(capacity: 32_768, ports: threads, seed: 0xD00D)
        let view = table.view
        let learnedTotal = AtomicBox<Int>(0)
        let movedTotal = AtomicBox<Int>(0)
        let unexpected = AtomicBox<Int>(0)
        var bodies: [@Sendable () -> Void] = []
        for w in 0..<threads {
            bodies.append {
                var learned = 0
                var moved = 0
                // Same keys, same order: the threads keep colliding on the same slots.
                for key in keys {
                    switch view.learn(key: key, port: UInt16(w), now: 1) {
                    case .learned: learned += 1
                    case .moved: moved += 1
                    case .unchanged, .refreshed: break
                    default: unexpected.atomic.wrappingAdd(1, ordering: .relaxed)
                    }
                }
                learnedTotal.atomic.wrappingAdd(learned, ordering: .relaxed)
                movedTotal.atomic.wrappingAdd(moved, ordering: .relaxed)
            }
        }
        runOnThreads(bodies)
        #expect(unexpected.atomic.load(ordering: .relaxed) == 0)
        #expect(learnedTotal.atomic.load(ordering: .relaxed) == keys.count)  // each MAC created exactly once
        let entries = table.entriesByKey(now: 1)
        #expect(entries.count == keys.count)
        #expect(table.learnedCounts.reduce(0, +) == keys.count)
        #expect(table.learnedCounts == table.learnedEntriesPerPort(now: 1))
        for key in keys { #expect(view.lookup(key: key) == entries[key]?.port) }
    }
}
