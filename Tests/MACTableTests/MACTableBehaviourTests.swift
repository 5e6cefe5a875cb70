import Testing

#if canImport(MACTable)
    import MACTable
#else
    import Pipeline
#endif

@Suite("MAC table: behaviour")
struct MACTableBehaviourTests {
    let a = unicastMAC(0xA)
    let b = unicastMAC(0xB)
    let c = unicastMAC(0xC)

    @Test("a learned MAC is found in its VLAN only; unknown MACs miss")
    func learnAndLookup() {
        let table = MACTable(capacity: 64, ports: 4, seed: 1)
        let t = table.view
        #expect(t.lookup(vlan: 10, mac: a) == nil)
        #expect(t.learn(vlan: 10, mac: a, port: 2, now: 100) == .learned)
        #expect(t.lookup(vlan: 10, mac: a) == 2)
        #expect(t.lookup(vlan: 11, mac: a) == nil)
        #expect(t.lookup(vlan: 10, mac: b) == nil)
        #expect(table.count == 1 && table.learnedCount(port: 2) == 1)
        #expect(
            table.entry(vlan: 10, mac: a, now: 103)
                == MACTableEntry(vlan: 10, mac: a, port: 2, age: 3, isStatic: false))
    }

    @Test("home slots spread sequential hypervisor MACs and one MAC set over many VLANs across the whole table")
    func homeSlotsSpread() {
        // 512 consecutive QEMU-style MACs in each of VLANs 1...4 (2048 keys) over 4096 slots, for several
        // seeds. Uniform hashing gives ~1610 distinct homes (4096 * (1 - e^-0.5)), rarely more than 6 keys on
        // one home, and ~128 keys in each sixteenth of the table. A hash that ignored the VLAN or the last
        // octets gives 512 homes or fewer; one that used too few bits leaves part of the table empty.
        for seed: UInt64 in [1, 2, 0xdead_beef, 0x9e37_79b9] {
            let table = MACTable(capacity: 4096, ports: 2, seed: seed)
            let t = table.view
            var perHome = [Int: Int]()
            var perRegion = [Int](repeating: 0, count: 16)
            for vlan: UInt16 in 1...4 {
                for i: UInt64 in 0..<512 {
                    let mac = 0x5254_0012_3400 + i
                    let home = t.homeSlot(of: MACTableKey.make(vlan: vlan, mac: mac))
                    perHome[home, default: 0] += 1
                    perRegion[home / 256] += 1
                    #expect(t.learn(vlan: vlan, mac: mac, port: 1, now: 1) == .learned)
                }
            }
            #expect(perHome.count >= 1450, "seed \(seed): \(perHome.count) distinct home slots for 2048 keys")
            #expect(perHome.values.max()! <= 9, "seed \(seed): \(perHome.values.max()!) keys on one home slot")
            #expect(perRegion.allSatisfy { (64...192).contains($0) }, "seed \(seed): keys per sixteenth \(perRegion)")
            for vlan: UInt16 in 1...4 {
                for i: UInt64 in 0..<512 { #expect(t.lookup(vlan: vlan, mac: 0x5254_0012_3400 + i) == 1) }
            }
        }
        // The smallest table (the shift is largest): everything learned is found.
        let small = MACTable(capacity: 8, ports: 1, seed: 3)
        for i: UInt64 in 0..<6 {
            #expect(small.view.learn(vlan: 1, mac: 0x5254_0000_0000 + i, port: 0, now: 1) == .learned)
        }
        for i: UInt64 in 0..<6 { #expect(small.view.lookup(vlan: 1, mac: 0x5254_0000_0000 + i) == 0) }
    }

    @Test("zero, multicast and broadcast source MACs are never learned; the zero key is never found")
    func invalidSources() {
        let table = MACTable(capacity: 16, ports: 2, seed: 2)
        let t = table.view
        #expect(t.learn(vlan: 0, mac: 0, port: 0, now: 1) == .invalidSource)
        #expect(t.learn(vlan: 5, mac: 0, port: 0, now: 1) == .invalidSource)
        #expect(t.learn(vlan: 5, mac: 0x0100_5E00_0001, port: 0, now: 1) == .invalidSource)  // IPv4 multicast
        #expect(t.learn(vlan: 5, mac: 0xFFFF_FFFF_FFFF, port: 0, now: 1) == .invalidSource)  // broadcast
        #expect(table.count == 0)
        for i in 0..<8 { #expect(t.learn(vlan: 0, mac: unicastMAC(UInt64(i)), port: 1, now: 1) == .learned) }
        #expect(t.lookup(vlan: 0, mac: 0) == nil)
        #expect(t.lookup(key: 0) == nil)
    }

    @Test("last-seen advances only when now is later: at most one store per second")
    func refresh() {
        let table = MACTable(capacity: 16, ports: 2, seed: 3)
        let t = table.view
        #expect(t.learn(vlan: 1, mac: a, port: 1, now: 50) == .learned)
        #expect(t.learn(vlan: 1, mac: a, port: 1, now: 50) == .unchanged)
        #expect(t.learn(vlan: 1, mac: a, port: 1, now: 51) == .refreshed)
        #expect(t.learn(vlan: 1, mac: a, port: 1, now: 49) == .unchanged)  // another PMD's clock, a bit behind
        #expect(table.entry(vlan: 1, mac: a, now: 61)?.age == 10)
        // Wrapping clock: 0xFFFF_FFFF → 2 is 3 seconds later.
        #expect(t.learn(vlan: 1, mac: b, port: 1, now: 0xFFFF_FFFF) == .learned)
        #expect(t.learn(vlan: 1, mac: b, port: 1, now: 2) == .refreshed)
        #expect(table.entry(vlan: 1, mac: b, now: 5)?.age == 3)
    }

    @Test("a MAC seen on another port moves, and the learned counts follow it")
    func macMove() {
        let table = MACTable(capacity: 32, ports: 3, seed: 4)
        let t = table.view
        #expect(t.learn(vlan: 7, mac: a, port: 0, now: 1) == .learned)
        #expect(t.learn(vlan: 7, mac: a, port: 1, now: 2) == .moved)
        #expect(t.lookup(vlan: 7, mac: a) == 1)
        #expect(table.learnedCounts == [0, 1, 0])
        #expect(t.learn(vlan: 7, mac: a, port: 1, now: 2) == .unchanged)
        #expect(t.learn(vlan: 7, mac: a, port: 2, now: 2) == .moved)
        #expect(table.learnedCounts == [0, 0, 1])
        #expect(
            table.entry(vlan: 7, mac: a, now: 4) == MACTableEntry(vlan: 7, mac: a, port: 2, age: 2, isStatic: false))
        #expect(table.count == 1)
    }

    @Test("a move into a port at its limit is refused and counted")
    func moveRespectsLimit() {
        let table = MACTable(capacity: 32, ports: 2, limits: [10, 1], seed: 5)
        let t = table.view
        #expect(t.learn(vlan: 1, mac: a, port: 0, now: 1) == .learned)
        #expect(t.learn(vlan: 1, mac: b, port: 1, now: 1) == .learned)
        #expect(t.learn(vlan: 1, mac: a, port: 1, now: 2) == .limitReached)
        #expect(t.lookup(vlan: 1, mac: a) == 0)
        #expect(table.limitReachedCount(port: 1) == 1)
        #expect(table.learnedCounts == [1, 1])
    }

    @Test("a static entry never moves, never ages, survives flushes, and does not count against limits")
    func staticEntries() {
        let table = MACTable(capacity: 32, ports: 4, limits: [1, 1, 1, 1], seed: 6)
        let t = table.view
        #expect(table.addStatic(vlan: 3, mac: a, port: 2))
        #expect(t.lookup(vlan: 3, mac: a) == 2)
        #expect(t.learn(vlan: 3, mac: a, port: 1, now: 10) == .staticConflict)
        #expect(t.learn(vlan: 3, mac: a, port: 2, now: 10) == .unchanged)
        #expect(t.lookup(vlan: 3, mac: a) == 2)
        #expect(table.learnedCounts == [0, 0, 0, 0] && table.staticCount == 1 && table.count == 1)
        #expect(t.learn(vlan: 3, mac: b, port: 2, now: 10) == .learned)  // the static one took no quota
        #expect(table.age(now: 1_000_000, maxAge: 0) == 1)  // b ages, a does not
        #expect(table.flush(port: 2) == 0)
        #expect(table.flush(vlan: 3) == 0)
        #expect(table.flushAll() == 0)
        #expect(
            table.entry(vlan: 3, mac: a, now: 1_000_000)
                == MACTableEntry(vlan: 3, mac: a, port: 2, age: 0, isStatic: true))
        #expect(table.removeStatic(vlan: 3, mac: b) == false)
        #expect(table.removeStatic(vlan: 3, mac: a))
        #expect(t.lookup(vlan: 3, mac: a) == nil)
        #expect(table.removeStatic(vlan: 3, mac: a) == false)
        #expect(table.count == 0 && table.staticCount == 0)
    }

    @Test("adding a static entry for a learned MAC converts it and gives the port its quota back")
    func staticReplacesLearned() {
        let table = MACTable(capacity: 32, ports: 2, limits: [1, 1], seed: 7)
        let t = table.view
        #expect(t.learn(vlan: 1, mac: a, port: 0, now: 1) == .learned)
        #expect(t.learn(vlan: 1, mac: b, port: 0, now: 1) == .limitReached)
        #expect(table.addStatic(vlan: 1, mac: a, port: 1))
        #expect(t.lookup(vlan: 1, mac: a) == 1)
        #expect(table.learnedCounts == [0, 0] && table.staticCount == 1)
        #expect(t.learn(vlan: 1, mac: b, port: 0, now: 1) == .learned)
        #expect(table.addStatic(vlan: 1, mac: a, port: 0))  // re-pointing a static entry
        #expect(t.lookup(vlan: 1, mac: a) == 0 && table.staticCount == 1 && table.count == 2)
        #expect(table.entriesByKey(now: 1).count == 2)
        #expect(table.flushAll(includingStatic: true) == 2)
        #expect(table.count == 0 && table.staticCount == 0)
    }

    @Test("aging removes exactly the entries last seen more than maxAge seconds ago")
    func agingIsExact() {
        let table = MACTable(capacity: 256, ports: 4, seed: 8)
        let t = table.view
        for i in 0..<100 {
            #expect(t.learn(vlan: 1, mac: unicastMAC(UInt64(i)), port: UInt16(i % 4), now: UInt32(i)) == .learned)
        }
        #expect(table.age(now: 100, maxAge: 30) == 70)  // 100 - i > 30  ⇔  i < 70
        for i in 0..<100 {
            #expect((t.lookup(vlan: 1, mac: unicastMAC(UInt64(i))) != nil) == (i >= 70), "entry \(i)")
        }
        #expect(table.count == 30 && table.learnedCounts.reduce(0, +) == 30)
        #expect(table.learnedCounts == table.learnedEntriesPerPort(now: 100))
        #expect(table.age(now: 100, maxAge: 30) == 0)
        #expect(table.tombstoneCount == 70)
        #expect(table.age(now: 129, maxAge: 30) == 29)  // at 129, only i == 99 is not older than 30 s
        #expect(t.lookup(vlan: 1, mac: unicastMAC(99)) == 3)
    }

    @Test("flush by port, by VLAN and all remove exactly the matching learned entries")
    func flushVariants() {
        let table = MACTable(capacity: 512, ports: 4, seed: 9)
        let t = table.view
        var expected: [UInt64: UInt16] = [:]
        for i in 0..<120 {
            let vlan = UInt16(1 + i % 3)
            let port = UInt16(i % 4)
            let mac = unicastMAC(UInt64(i))
            #expect(t.learn(vlan: vlan, mac: mac, port: port, now: 5) == .learned)
            expected[MACTableKey.make(vlan: vlan, mac: mac)] = port
        }
        let s = unicastMAC(0xABCDEF)  // not one of the learned MACs
        #expect(table.addStatic(vlan: 2, mac: s, port: 1))
        expected[MACTableKey.make(vlan: 2, mac: s)] = 1

        func check() {
            let entries = table.entriesByKey(now: 5)
            #expect(entries.mapValues(\.port) == expected)
            for (key, port) in expected { #expect(t.lookup(key: key) == port) }
            #expect(table.learnedCounts == table.learnedEntriesPerPort(now: 5))
        }
        #expect(table.flush(port: 1) == 30)
        expected = expected.filter { $0.value != 1 || MACTableKey.mac(of: $0.key) == s }
        check()
        #expect(table.flush(vlan: 2) == 30)  // 40 in VLAN 2, 10 of them were on port 1 already
        expected = expected.filter { MACTableKey.vlan(of: $0.key) != 2 || MACTableKey.mac(of: $0.key) == s }
        check()
        #expect(table.flushAll() == expected.count - 1)
        expected = expected.filter { MACTableKey.mac(of: $0.key) == s }
        check()
        #expect(table.count == 1)
    }

    @Test("a port flooding 100k random MACs learns exactly its limit; the rest are counted; others still learn")
    func perPortLimit() {
        let table = MACTable(capacity: 8192, ports: 4, limits: [1000, 1000, 500, 1000], seed: 10)
        let t = table.view
        var g = SeededGenerator(seed: 0xF100D)
        var seen = Set<UInt64>()
        var learned = 0
        var refused = 0
        while seen.count < 100_000 {
            let mac = randomUnicastMAC(using: &g)
            guard seen.insert(mac).inserted else { continue }
            switch t.learn(vlan: 100, mac: mac, port: 1, now: 1) {
            case .learned: learned += 1
            case .limitReached: refused += 1
            case let other: Issue.record("unexpected \(other)")
            }
        }
        #expect(learned == 1000 && refused == 99_000)
        #expect(table.learnedCount(port: 1) == 1000)
        #expect(table.limitReachedCount(port: 1) == 99_000)
        #expect(table.tableFullCount(port: 1) == 0)
        for i in 0..<300 {
            #expect(t.learn(vlan: 100, mac: unicastMAC(UInt64(i)), port: 0, now: 1) == .learned)
            #expect(t.learn(vlan: 200, mac: unicastMAC(UInt64(i)), port: 2, now: 1) == .learned)
        }
        #expect(table.learnedCounts == [300, 1000, 300, 0])
        #expect(table.limitReachedCount(port: 0) == 0)
        // Aging frees quota: the flooding port can learn again, up to the limit.
        #expect(table.flush(port: 1) == 1000)
        #expect(t.learn(vlan: 100, mac: unicastMAC(0xC0FFEE), port: 1, now: 2) == .learned)
        table.setLimit(1, port: 1)
        #expect(t.learn(vlan: 100, mac: unicastMAC(0xBEEF), port: 1, now: 2) == .limitReached)
        #expect(table.limit(port: 1) == 1)
    }

    @Test("a grace period that times out (a stalled PMD) recycles nothing and resumes learning")
    func recyclingWithoutGracePeriod() {
        let table = MACTable(capacity: 8, ports: 2, probeLimit: 8, seed: 11)
        let t = table.view
        for i in 0..<8 { #expect(t.learn(vlan: 1, mac: unicastMAC(UInt64(i)), port: 0, now: 1) == .learned) }
        #expect(table.flush(port: 0) == 8)
        var learningPausedDuringTheWait = false
        #expect(
            table.tryRecycleTombstones(gracePeriod: {
                learningPausedDuringTheWait = t.learn(vlan: 1, mac: unicastMAC(20), port: 1, now: 1) != .learned
                return false
            }) == 0)
        #expect(learningPausedDuringTheWait)
        // The slots stay tombstones: not reused, since a PMD may still hold their indices.
        #expect(table.tombstoneCount == 8)
        #expect(t.learn(vlan: 1, mac: unicastMAC(21), port: 1, now: 1) == .tableFull)
        // Once a grace period passes, they are recycled and learning works again.
        #expect(table.tryRecycleTombstones(gracePeriod: { true }) == 8)
        #expect(t.learn(vlan: 1, mac: unicastMAC(21), port: 1, now: 1) == .learned)
    }

    @Test("a full probe window refuses new MACs; deleted slots are reused only after recycling")
    func tableFull() {
        let table = MACTable(capacity: 8, ports: 2, probeLimit: 8, seed: 11)
        let t = table.view
        #expect(table.capacity == 8 && table.probeLimit == 8)
        for i in 0..<8 { #expect(t.learn(vlan: 1, mac: unicastMAC(UInt64(i)), port: 0, now: 1) == .learned) }
        #expect(t.learn(vlan: 1, mac: unicastMAC(8), port: 1, now: 1) == .tableFull)
        #expect(table.tableFullCount(port: 1) == 1)
        #expect(t.learn(vlan: 1, mac: unicastMAC(3), port: 1, now: 1) == .moved)  // existing MACs still move
        for i in 0..<8 { #expect(t.lookup(vlan: 1, mac: unicastMAC(UInt64(i))) != nil) }
        #expect(t.lookup(vlan: 1, mac: unicastMAC(8)) == nil)  // a miss in a full table stops at the bound

        #expect(table.flush(port: 0) == 7)
        #expect(table.tombstoneCount == 7)
        #expect(t.learn(vlan: 1, mac: unicastMAC(9), port: 0, now: 1) == .tableFull)  // tombstones are not reused
        #expect(t.lookup(vlan: 1, mac: unicastMAC(3)) == 1)
        #expect(table.recycleTombstones(waitForGracePeriod: {}) == 7)
        #expect(table.tombstoneCount == 0)
        #expect(t.lookup(vlan: 1, mac: unicastMAC(3)) == 1)
        for i in 10..<17 { #expect(t.learn(vlan: 1, mac: unicastMAC(UInt64(i)), port: 0, now: 1) == .learned) }
        #expect(t.learn(vlan: 1, mac: unicastMAC(17), port: 0, now: 1) == .tableFull)
        #expect(table.count == 8)
    }

    @Test("with a short probe bound, every MAC the table accepted is found and every refused one is absent")
    func shortProbeBound() {
        let table = MACTable(capacity: 256, ports: 1, probeLimit: 4, seed: 12)
        let t = table.view
        var accepted: [UInt64] = []
        var refused: [UInt64] = []
        for i in 0..<256 {
            let mac = unicastMAC(UInt64(i) &* 7919)
            switch t.learn(vlan: 9, mac: mac, port: 0, now: 1) {
            case .learned: accepted.append(mac)
            case .tableFull: refused.append(mac)
            case let other: Issue.record("unexpected \(other)")
            }
        }
        #expect(!refused.isEmpty && accepted.count > 128)
        for mac in accepted { #expect(t.lookup(vlan: 9, mac: mac) == 0) }
        for mac in refused { #expect(t.lookup(vlan: 9, mac: mac) == nil) }
        #expect(table.count == accepted.count)
        #expect(table.tableFullCount(port: 0) == UInt64(refused.count))
    }

    @Test("recycling keeps every live entry reachable and makes deleted slots usable again")
    func recycle() {
        let table = MACTable(capacity: 1024, ports: 2, seed: 13)
        let t = table.view
        var g = SeededGenerator(seed: 77)
        var live: [UInt64: UInt32] = [:]  // key → last seen
        var dead = Set<UInt64>()
        for round in 0..<20 {
            let even = UInt32(2 * round)
            let odd = even + 1
            for j in 0..<400 {
                let key = MACTableKey.make(vlan: UInt16.random(in: 1...4, using: &g), mac: randomUnicastMAC(using: &g))
                let now = j % 2 == 0 ? even : odd
                if t.learn(key: key, port: 0, now: now) == .learned {
                    live[key] = now
                    dead.remove(key)
                }
            }
            // Age out everything not seen at `odd`: all of the previous rounds and half of this one.
            let stale = live.filter { $0.value < odd }
            #expect(table.age(now: odd, maxAge: 0) == stale.count)
            for key in stale.keys {
                live[key] = nil
                dead.insert(key)
            }
            #expect(table.shouldRecycle())
            #expect(table.recycleTombstones(waitForGracePeriod: {}) == stale.count)
            for (key, _) in live { #expect(t.lookup(key: key) == 0) }
            for key in dead { #expect(t.lookup(key: key) == nil) }
        }
        #expect(table.flushAll() == live.count)
        table.recycleTombstones(waitForGracePeriod: {})
        var fresh = Set<UInt64>()
        for _ in 0..<700 {
            let key = MACTableKey.make(vlan: 5, mac: randomUnicastMAC(using: &g))
            if t.learn(key: key, port: 1, now: 99) == .learned { fresh.insert(key) }
        }
        #expect(fresh.count >= 690)  // 1024 slots, all recycled: room again
        for key in fresh { #expect(t.lookup(key: key) == 1) }
        #expect(table.learnedCount(port: 1) == fresh.count && table.count == fresh.count)
    }

    @Test("paused learning refuses only new MACs; lookups, refreshes and moves go on")
    func pausedLearning() {
        let table = MACTable(capacity: 64, ports: 2, seed: 14)
        let t = table.view
        #expect(t.learn(vlan: 1, mac: a, port: 0, now: 1) == .learned)
        #expect(table.flush(port: 1) == 0)
        #expect(t.learn(vlan: 1, mac: b, port: 1, now: 1) == .learned)
        #expect(table.flush(port: 1) == 1)  // one tombstone, so recycling has work to do
        var during: [MACLearnResult] = []
        var lookedUp: UInt16? = nil
        table.recycleTombstones {
            // The "grace period": runs with learning paused.
            during.append(t.learn(vlan: 1, mac: c, port: 0, now: 2))
            during.append(t.learn(vlan: 1, mac: a, port: 0, now: 2))
            during.append(t.learn(vlan: 1, mac: a, port: 1, now: 2))
            lookedUp = t.lookup(vlan: 1, mac: a)
        }
        #expect(during == [.learningPaused, .refreshed, .moved])
        #expect(lookedUp == 1)
        #expect(t.learn(vlan: 1, mac: c, port: 0, now: 3) == .learned)
    }

    @Test("MAC bytes in network order pack into keys and back")
    func keyPacking() {
        let bytes: [UInt8] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55]
        let mac = bytes.withUnsafeBytes { MACTableKey.mac(fromBytes: $0.baseAddress!) }
        #expect(mac == 0x0211_2233_4455)
        let key = MACTableKey.make(vlan: 4095, mac: mac)
        #expect(MACTableKey.vlan(of: key) == 4095 && MACTableKey.mac(of: key) == mac)
        #expect(MACTableKey.isLearnableSource(mac))
        #expect(!MACTableKey.isLearnableSource(0x0111_2233_4455))
        #expect(MACTableKey.make(vlan: 0xF001, mac: 0xFFFF_0000_0000_0001) == MACTableKey.make(vlan: 1, mac: 1))
    }

    @Test("memory: one allocation of 16 bytes per slot plus a line per port, through the allocator hook")
    func allocatorHook() {
        final class Calls: @unchecked Sendable {
            var allocated = 0
            var freed = 0
        }
        let calls = Calls()
        do {
            let table = MACTable(
                capacity: 1000, ports: 3, seed: 15,
                allocate: { bytes, alignment in
                    calls.allocated += bytes
                    #expect(alignment == 64)
                    return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
                },
                deallocate: {
                    calls.freed += 1
                    $0.deallocate()
                })
            #expect(table.capacity == 1024)
            #expect(table.byteCount == 64 + 3 * 64 + 1024 * 16)
            #expect(table.view.learn(vlan: 1, mac: 0x0200_0000_0001, port: 2, now: 0) == .learned)
        }
        #expect(calls.allocated == 64 + 3 * 64 + 1024 * 16)
        #expect(calls.freed == 1)
    }
}
