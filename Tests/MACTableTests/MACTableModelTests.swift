import Testing

#if canImport(MACTable)
    import MACTable
#else
    import Pipeline
#endif

/// The reference: what the table must contain and answer, as a dictionary.
private struct Model {
    struct Entry: Equatable {
        var port: UInt16
        var lastSeen: UInt32
        var isStatic: Bool
    }

    var entries: [UInt64: Entry] = [:]
    var learned: [Int]
    var limits: [Int]
    var limitReached: [UInt64]
    var tableFull: [UInt64]
    var statics = 0

    init(ports: Int, limits: [Int]) {
        learned = Array(repeating: 0, count: ports)
        self.limits = limits
        limitReached = Array(repeating: 0, count: ports)
        tableFull = Array(repeating: 0, count: ports)
    }

    static func age(_ lastSeen: UInt32, _ now: UInt32) -> UInt32 {
        let d = Int32(bitPattern: now &- lastSeen)
        return d > 0 ? UInt32(d) : 0
    }

    /// Applies a learn and checks the table's answer. `.tableFull` is the one answer the model cannot predict
    /// (it depends on where keys hash); it is accepted only for a new MAC the port may still learn, and then
    /// nothing must have changed.
    mutating func learn(_ key: UInt64, port: UInt16, now: UInt32, actual: MACLearnResult) -> MACLearnResult? {
        let p = Int(port)
        guard MACTableKey.isLearnableSource(key) else { return .invalidSource }
        if let e = entries[key] {
            if e.isStatic { return e.port == port ? .unchanged : .staticConflict }
            if e.port == port {
                guard Self.age(e.lastSeen, now) > 0 else { return .unchanged }
                entries[key]!.lastSeen = now
                return .refreshed
            }
            guard learned[p] < limits[p] else {
                limitReached[p] += 1
                return .limitReached
            }
            learned[p] += 1
            learned[Int(e.port)] -= 1
            entries[key] = Entry(port: port, lastSeen: now, isStatic: false)
            return .moved
        }
        guard learned[p] < limits[p] else {
            limitReached[p] += 1
            return .limitReached
        }
        if actual == .tableFull {
            tableFull[p] += 1
            return .tableFull
        }
        learned[p] += 1
        entries[key] = Entry(port: port, lastSeen: now, isStatic: false)
        return .learned
    }

    /// Applies addStatic given the table's answer; returns whether that answer is allowed.
    mutating func addStatic(_ key: UInt64, port: UInt16, accepted: Bool) -> Bool {
        if let e = entries[key] {
            guard accepted else { return false }
            if !e.isStatic {
                learned[Int(e.port)] -= 1
                statics += 1
            }
        } else {
            guard accepted else { return true }  // a full probe window: allowed for a new key only
            statics += 1
        }
        entries[key] = Entry(port: port, lastSeen: 0, isStatic: true)
        return true
    }

    mutating func removeStatic(_ key: UInt64) -> Bool {
        guard let e = entries[key], e.isStatic else { return false }
        entries[key] = nil
        statics -= 1
        return true
    }

    mutating func removeLearned(where predicate: (UInt64, Entry) -> Bool) -> Int {
        let doomed = entries.filter { !$0.value.isStatic && predicate($0.key, $0.value) }
        for (key, e) in doomed {
            entries[key] = nil
            learned[Int(e.port)] -= 1
        }
        return doomed.count
    }
}

/// Parameters of one randomised run.
private struct ModelRun: CustomTestStringConvertible, Sendable {
    var name: String
    var seed: UInt64
    var operations: Int
    var capacity: Int
    var probeLimit: Int
    var ports: Int
    var limits: [Int]
    /// Small key space: `vlans × macs` keys, so learns hit existing entries, move them and collide.
    /// Large key space (`macs == 0`): fresh random keys (any VLAN, any MAC), half of the operations reusing
    /// one of the last 4096 keys.
    var vlans: Int
    var macs: Int
    /// Out of 1000 operations: how many age, flush, touch static entries, recycle.
    var agePerMille: Int
    var flushPerMille: Int
    var staticPerMille: Int
    var recyclePerMille: Int
    /// The clock advances by 1-3 s on average once every this many operations.
    var tickEvery: Int
    /// Compare the whole table with the model every this many operations.
    var fullCheckEvery: Int

    var testDescription: String { name }
}

@Suite("MAC table: model-based")
struct MACTableModelTests {
    private static let runs: [ModelRun] = [
        ModelRun(
            name: "small key space (3 VLANs × 100 MACs), 4 ports with limits", seed: 0x5EED_0001,
            operations: 200_000, capacity: 512, probeLimit: 64, ports: 4, limits: [60, 80, 100, 40],
            vlans: 3, macs: 100, agePerMille: 10, flushPerMille: 5, staticPerMille: 20, recyclePerMille: 5,
            tickEvery: 64, fullCheckEvery: 2_000),
        ModelRun(
            name: "large key space (any VLAN, any MAC), 8 ports", seed: 0x5EED_0002,
            operations: 200_000, capacity: 1 << 17, probeLimit: 64, ports: 8,
            limits: [8000, 8000, 8000, 8000, 8000, 8000, 200, 100_000],
            vlans: 4094, macs: 0, agePerMille: 1, flushPerMille: 1, staticPerMille: 5, recyclePerMille: 1,
            tickEvery: 1024, fullCheckEvery: 20_000),
        ModelRun(
            name: "tiny table (16 slots, probe bound 6): table-full paths", seed: 0x5EED_0003,
            operations: 60_000, capacity: 16, probeLimit: 6, ports: 3, limits: [10, 10, 10],
            vlans: 2, macs: 20, agePerMille: 20, flushPerMille: 10, staticPerMille: 30, recyclePerMille: 40,
            tickEvery: 64, fullCheckEvery: 500),
    ]

    @Test("random operations agree with a dictionary model", arguments: runs)
    fileprivate func agreesWithModel(_ run: ModelRun) {
        var g = SeededGenerator(seed: run.seed)
        let table = MACTable(
            capacity: run.capacity, ports: run.ports, limits: run.limits, probeLimit: run.probeLimit, seed: run.seed)
        let t = table.view
        var model = Model(ports: run.ports, limits: run.limits)
        var now: UInt32 = 0xFFFF_FF00  // wraps during the run
        var recent: [UInt64] = []
        var recentNext = 0
        var failures = 0

        func randomKey() -> UInt64 {
            if run.macs > 0 {
                let vlan = UInt16(1 + Int(g.next() % UInt64(run.vlans)))
                var mac = unicastMAC(g.next() % UInt64(run.macs))
                if g.next() % 200 == 0 { mac = [0, 0x0100_5E00_0001, 0xFFFF_FFFF_FFFF][Int(g.next() % 3)] }
                return MACTableKey.make(vlan: vlan, mac: mac)
            }
            if !recent.isEmpty && g.next() % 2 == 0 { return recent[Int(g.next() % UInt64(recent.count))] }
            let key = MACTableKey.make(vlan: UInt16(1 + g.next() % 4094), mac: randomUnicastMAC(using: &g))
            if recent.count < 4096 {
                recent.append(key)
            } else {
                recent[recentNext] = key
                recentNext = (recentNext + 1) % 4096
            }
            return key
        }
        func randomPort() -> UInt16 { UInt16(g.next() % UInt64(run.ports)) }
        func check(_ ok: Bool, _ what: @autoclosure () -> String, op: Int) {
            guard !ok else { return }
            failures += 1
            if failures <= 10 { Issue.record("op \(op) (seed \(hex(run.seed))): \(what())") }
        }
        func fullCheck(op: Int) {
            var dump: [UInt64: MACTableEntry] = [:]
            for e in table.entries(now: now) {
                let key = MACTableKey.make(vlan: e.vlan, mac: e.mac)
                check(dump.updateValue(e, forKey: key) == nil, "duplicate key \(hex(key))", op: op)
            }
            check(
                dump.count == model.entries.count, "dump has \(dump.count) entries, model \(model.entries.count)",
                op: op)
            for (key, m) in model.entries {
                let expected = MACTableEntry(
                    vlan: MACTableKey.vlan(of: key), mac: MACTableKey.mac(of: key), port: m.port,
                    age: m.isStatic ? 0 : Model.age(m.lastSeen, now), isStatic: m.isStatic)
                check(
                    dump[key] == expected,
                    "entry \(hex(key)): \(String(describing: dump[key])) != \(expected)", op: op)
                check(t.lookup(key: key) == m.port, "lookup of present key \(String(key, radix: 16))", op: op)
            }
            check(table.staticCount == model.statics, "static count", op: op)
            check(table.count == model.entries.count, "count", op: op)
            for p in 0..<run.ports {
                check(table.limitReachedCount(port: p) == model.limitReached[p], "limitReached[\(p)]", op: op)
                check(table.tableFullCount(port: p) == model.tableFull[p], "tableFull[\(p)]", op: op)
            }
        }

        let ageCut = run.agePerMille
        let flushCut = ageCut + run.flushPerMille
        let staticCut = flushCut + run.staticPerMille
        let recycleCut = staticCut + run.recyclePerMille
        var staticAdds = 0
        for op in 0..<run.operations {
            if g.next() % UInt64(run.tickEvery) == 0 { now &+= UInt32(1 + g.next() % 3) }
            let r = Int(g.next() % 1000)
            if r < ageCut {
                let maxAge = UInt32(g.next() % 40)
                let expected = model.removeLearned { Model.age($1.lastSeen, now) > maxAge }
                let removed = table.age(now: now, maxAge: maxAge)
                check(removed == expected, "age(maxAge: \(maxAge)) removed \(removed), model \(expected)", op: op)
            } else if r < flushCut {
                let removed: Int
                let expected: Int
                switch g.next() % 3 {
                case 0:
                    let port = randomPort()
                    expected = model.removeLearned { $1.port == port }
                    removed = table.flush(port: port)
                case 1:
                    let vlan = MACTableKey.vlan(of: randomKey())
                    expected = model.removeLearned { k, _ in MACTableKey.vlan(of: k) == vlan }
                    removed = table.flush(vlan: vlan)
                default:
                    let withStatic = g.next() % 4 == 0
                    expected =
                        model.removeLearned { _, _ in true }
                        + (withStatic ? model.entries.keys.filter { model.entries[$0]!.isStatic } : []).map {
                            model.removeStatic($0)
                        }.count
                    removed = table.flushAll(includingStatic: withStatic)
                }
                check(removed == expected, "flush removed \(removed), model \(expected)", op: op)
            } else if r < staticCut {
                let key = randomKey()
                guard MACTableKey.mac(of: key) != 0 else { continue }
                let vlan = MACTableKey.vlan(of: key)
                let mac = MACTableKey.mac(of: key)
                if g.next() % 2 == 0 {
                    let port = randomPort()
                    let accepted = table.addStatic(vlan: vlan, mac: mac, port: port)
                    if accepted { staticAdds += 1 }
                    check(
                        model.addStatic(key, port: port, accepted: accepted), "addStatic answered \(accepted)", op: op)
                } else {
                    let removed = table.removeStatic(vlan: vlan, mac: mac)
                    check(removed == model.removeStatic(key), "removeStatic answered \(removed)", op: op)
                }
            } else if r < recycleCut {
                let tombstones = table.tombstoneCount
                check(table.recycleTombstones(waitForGracePeriod: {}) == tombstones, "recycle count", op: op)
                check(table.tombstoneCount == 0, "tombstones left after recycling", op: op)
            } else if r < 600 {
                let key = randomKey()
                let port = randomPort()
                let actual = t.learn(key: key, port: port, now: now)
                let expected = model.learn(key, port: port, now: now, actual: actual)
                check(
                    actual == expected,
                    "learn(\(hex(key)), port \(port)) = \(actual), model \(String(describing: expected))", op: op)
            } else {
                let key = randomKey()
                let actual = t.lookup(key: key)
                let expected = model.entries[key]?.port
                check(
                    actual == expected,
                    "lookup(\(hex(key))) = \(String(describing: actual)), model \(String(describing: expected))",
                    op: op)
            }
            check(
                table.learnedCounts == model.learned, "learned counts \(table.learnedCounts), model \(model.learned)",
                op: op)
            if op % run.fullCheckEvery == run.fullCheckEvery - 1 { fullCheck(op: op) }
        }
        fullCheck(op: run.operations)
        #expect(failures == 0)
        // The runs are meant to exercise every path; make sure they did.
        #expect(model.limitReached.reduce(0, +) > 0)
        #expect(staticAdds > 0)
        if run.name.hasPrefix("tiny") { #expect(model.tableFull.reduce(0, +) > 0) }
    }
}
