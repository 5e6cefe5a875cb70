import Dispatch
import Pipeline
import Synchronization
import Testing

/// The connection table on its own: canonical keys, limits, expiry on an injected clock, recycling after a
/// grace period, and a concurrency stress checked against a model.
@Suite struct ConnTableTests {
    static func key(_ i: Int, zone: UInt16 = 1, reversed: Bool = false) -> (key: ConnKey, sourceIsB: Bool) {
        let client = UInt64(0x0a00_0000) | UInt64(i & 0xffff)
        let server = UInt64(0x0a01_0000) | UInt64(i >> 16)
        let clientPort = UInt16(truncatingIfNeeded: 1024 + i % 60000)
        if reversed {
            return ConnKey.of(
                zone: zone, proto: 17, ipv6: false, sHigh: 0, sLow: server, sPort: 53, dHigh: 0, dLow: client,
                dPort: clientPort)
        }
        return ConnKey.of(
            zone: zone, proto: 17, ipv6: false, sHigh: 0, sLow: client, sPort: clientPort, dHigh: 0, dLow: server,
            dPort: 53)
    }

    static func info(_ sourceIsB: Bool, port: Int = 0) -> UInt64 {
        ConnTableView.makeInfo(
            initiatorIsB: sourceIsB, initiator: port, responder: ConnTableView.unknownPort,
            state: ConnTable.PseudoState.new)
    }

    static let timeouts = ConnTimeouts(
        tcpSeconds: [120, 60, 432_000, 120, 60, 30, 120, 10], udp: 30, udpStream: 120, icmp: 30, generic: 600,
        tscHz: 1000)

    @Test func bothDirectionsFindOneEntryAndZonesSeparate() throws {
        let table = ConnTable(capacity: 1024, ports: 64, seed: 1)
        let (forward, sourceIsB) = Self.key(7)
        let (backward, replyIsB) = Self.key(7, reversed: true)
        #expect(forward == backward && sourceIsB != replyIsB)
        let slot = try table.view.insert(forward, info: Self.info(sourceIsB), owner: 3, limit: 10, now: 0).get()
        #expect(table.view.lookup(backward) == slot)
        #expect(table.view.lookup(Self.key(7, zone: 2).key) == -1, "another VLAN is another zone")
        #expect(table.count(port: 3) == 1)
        let entry = try #require(table.entries().first)
        #expect(entry.ownerPort == 3 && entry.initiatorIsB == sourceIsB && entry.state == ConnTable.PseudoState.new)
    }

    @Test func ipv4AndIPv6EntriesKeepTheirKeysAndPacketCounts() throws {
        let table = ConnTable(capacity: 1024, ports: 64, seed: 3)
        let (v4, v4IsB) = Self.key(9)
        let (v6, v6IsB) = ConnKey.of(
            zone: 1, proto: 17, ipv6: true, sHigh: 0x2001_0db8_0000_0000, sLow: 9, sPort: 4000,
            dHigh: 0x2001_0db8_0000_0000, dLow: 0x0a01_0000, dPort: 53)
        let slot4 = try table.view.insert(v4, info: Self.info(v4IsB), owner: 1, limit: 10, now: 0).get()
        let slot6 = try table.view.insert(v6, info: Self.info(v6IsB), owner: 1, limit: 10, now: 0).get()
        // The stage's IPv4 path looks the key up by its two words and their hash, with or without a candidate.
        let hash = table.view.hash(v4)
        for candidate in [slot4, -1, slot6] {
            #expect(
                table.view.lookupIPv4(meta: v4.meta, addresses: v4.addressPair, hash: hash, candidate: candidate)
                    == slot4)
        }
        #expect(table.view.lookup(v6) == slot6 && table.view.lookup(v4) == slot4)
        for _ in 0..<3 { table.view.touch(slot4, now: 1, reply: false, tickCycles: 0) }
        table.view.touch(slot4, now: 1, reply: true, tickCycles: 0)
        for _ in 0..<2 { table.view.touch(slot6, now: 1, reply: true, tickCycles: 0) }
        let entries = Dictionary(uniqueKeysWithValues: table.entries().map { ($0.slot, $0) })
        let e4 = try #require(entries[slot4])
        let e6 = try #require(entries[slot6])
        #expect(e4.key == v4 && e4.packetsOriginal == 3 && e4.packetsReply == 1)
        #expect(e6.key == v6 && e6.packetsOriginal == 0 && e6.packetsReply == 2)
    }

    @Test func thePortLimitRefusesNewConnectionsOnly() throws {
        let table = ConnTable(capacity: 1024, ports: 64, seed: 1)
        for i in 0..<3 {
            _ = try table.view.insert(Self.key(i).key, info: Self.info(false), owner: 5, limit: 3, now: 0).get()
        }
        let refused = table.view.insert(Self.key(3).key, info: Self.info(false), owner: 5, limit: 3, now: 0)
        #expect(throws: ConnTableView.InsertFailure.portLimit) { try refused.get() }
        // Another port is not affected, and the established ones are still found.
        _ = try table.view.insert(Self.key(3).key, info: Self.info(false), owner: 6, limit: 3, now: 0).get()
        for i in 0..<3 { #expect(table.view.lookup(Self.key(i).key) >= 0) }
    }

    @Test func aFullTableRefusesNewConnections() throws {
        let table = ConnTable(capacity: 16, ports: 64, seed: 1)
        var inserted = 0
        var full = 0
        for i in 0..<40 {
            switch table.view.insert(Self.key(i).key, info: Self.info(false), owner: 0, limit: 1000, now: 0) {
            case .success: inserted += 1
            case .failure(.tableFull): full += 1
            case .failure(.portLimit): Issue.record("no port limit was set")
            }
        }
        #expect(inserted == 16 && full == 24, "16 slots: one bucket, every key's two choices")
        #expect(table.liveCount == 16)
    }

    /// Keys stay in their first bucket (what `probe` scans: one signature line per lookup) until it is nearly
    /// full, and the second choice still fills the table evenly: always-the-first would refuse its first key
    /// at about 55% load.
    @Test func keysStayInTheirFirstBucketAndTheTableFillsPastFourFifths() throws {
        let table = ConnTable(capacity: 1 << 14, ports: 64, seed: 5)
        let view = table.view
        var inserted = 0
        var firstRefusal = -1
        var inFirstAtHalf = 0
        for i in 0..<table.capacity {
            let key = Self.key(i).key
            switch view.insert(key, info: Self.info(false), owner: 0, limit: .max, now: 0) {
            case .success: inserted += 1
            case .failure(.tableFull): firstRefusal = i
            case .failure(.portLimit): Issue.record("no port limit was set")
            }
            if firstRefusal >= 0 { break }
            if inserted == table.capacity / 2 {
                inFirstAtHalf = (0...i).filter { view.probe(view.hash(Self.key($0).key), secondLine: false) >= 0 }.count
            }
        }
        #expect(firstRefusal >= table.capacity * 4 / 5, "first refusal at \(firstRefusal) of \(table.capacity)")
        #expect(inFirstAtHalf >= table.capacity / 2 * 97 / 100, "\(inFirstAtHalf) in their first bucket at half load")
        // Every key is found, those in their second bucket (probe misses them) by the full lookup.
        var inSecond = 0
        for i in 0..<inserted {
            let key = Self.key(i).key
            let slot = view.lookup(key)
            #expect(slot >= 0 && view.key(slot) == key)
            if view.probe(view.hash(key), secondLine: false) < 0 {
                inSecond += 1
                #expect(
                    view.lookupIPv4(meta: key.meta, addresses: key.addressPair, hash: view.hash(key), candidate: -1)
                        == slot)
            }
        }
        #expect(inSecond > 0, "a nearly full table has keys in their second bucket")
    }

    @Test func idleConnectionsExpireOnTheInjectedClockAndSlotsComeBackAfterAGracePeriod() throws {
        let table = ConnTable(capacity: 16, ports: 64, seed: 1)
        for i in 0..<16 {
            _ = try table.view.insert(Self.key(i).key, info: Self.info(false), owner: 2, limit: 100, now: 1000).get()
        }
        // UDP "new": 30 s = 30,000 cycles at 1 kHz.
        #expect(table.expire(now: 1000 + 30_000, timeouts: Self.timeouts) == 0)
        let slot = table.view.lookup(Self.key(0).key)
        table.view.touch(slot, now: 20_000, reply: true, tickCycles: 0)  // seen later: stays
        #expect(table.expire(now: 1000 + 30_001, timeouts: Self.timeouts) == 15)
        #expect(table.view.lookup(Self.key(0).key) == slot)
        #expect(table.view.lookup(Self.key(1).key) == -1)
        #expect(table.count(port: 2) == 1)
        // Dead slots are not reused before the grace period.
        let beforeGrace = table.view.insert(Self.key(99).key, info: Self.info(false), owner: 2, limit: 100, now: 0)
        #expect(throws: ConnTableView.InsertFailure.tableFull) { try beforeGrace.get() }
        #expect(table.recycle(gracePeriod: { false }) == 0, "a timed-out grace period recycles nothing")
        var waited = false
        #expect(
            table.recycle(gracePeriod: {
                waited = true
                return true
            }) == 15 && waited)
        _ = try table.view.insert(Self.key(99).key, info: Self.info(false), owner: 2, limit: 100, now: 0).get()
    }

    @Test func statesHaveTheirOwnTimeouts() {
        func entry(proto: UInt8, state: UInt8) -> ConnEntry {
            ConnEntry(
                key: ConnKey(meta: UInt64(proto) << 40, aHigh: 0, aLow: 0, bHigh: 0, bLow: 0), initiatorIsB: false,
                initiatorPort: 0, responderPort: 0, ownerPort: 0, state: state, packetsOriginal: 0, packetsReply: 0,
                lastSeen: 0, created: 0, slot: 0, infoExtra: 0)
        }
        #expect(
            ConnTable.timeout(of: entry(proto: 6, state: TCPState.established.rawValue), Self.timeouts) == 432_000_000)
        #expect(ConnTable.timeout(of: entry(proto: 6, state: TCPState.timeWait.rawValue), Self.timeouts) == 120_000)
        #expect(ConnTable.timeout(of: entry(proto: 17, state: ConnTable.PseudoState.stream), Self.timeouts) == 120_000)
        #expect(ConnTable.timeout(of: entry(proto: 1, state: ConnTable.PseudoState.new), Self.timeouts) == 30_000)
        #expect(ConnTable.timeout(of: entry(proto: 47, state: ConnTable.PseudoState.new), Self.timeouts) == 600_000)
    }

    /// Four threads insert and look up their own connections while the control side expires the old ones
    /// and recycles: afterwards the table holds exactly what the model says, and the per-port counts agree.
    @Test func concurrentInsertsLookupsAndExpiryAgreeWithTheModel() throws {
        // A quarter full at most: no key ever finds both its buckets full (that is the table-full test's job).
        let table = ConnTable(capacity: 1 << 15, ports: 64, seed: 7)
        let perThread = 2000
        let lost = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 5) { worker in
            if worker == 4 {
                // The control thread: expire and recycle until the workers are done.
                while done.load(ordering: .acquiring) < 4 {
                    table.expire(now: 1_000_000, timeouts: Self.timeouts)
                    table.recycle(gracePeriod: { false })  // PMD-less stress: never reuse a slot under a reader
                }
                return
            }
            // Workers 0 and 1 stamp their connections old (they expire), 2 and 3 recent ones (they stay).
            let now: UInt64 = worker < 2 ? 0 : 1_000_000
            for n in 0..<perThread {
                let i = worker * perThread + n
                let (key, sourceIsB) = Self.key(i)
                guard
                    case .success = table.view.insert(
                        key, info: Self.info(sourceIsB, port: worker), owner: worker, limit: 1 << 20, now: now)
                else {
                    lost.add(1, ordering: .relaxed)
                    continue
                }
                if worker >= 2 && table.view.lookup(Self.key(i, reversed: true).key) < 0 {
                    lost.add(1, ordering: .relaxed)
                }
            }
            done.add(1, ordering: .releasing)
        }
        table.expire(now: 1_000_000, timeouts: Self.timeouts)
        #expect(lost.load(ordering: .relaxed) == 0)
        for worker in 0..<4 {
            for n in 0..<perThread {
                let found = table.view.lookup(Self.key(worker * perThread + n).key) >= 0
                #expect(found == (worker >= 2), "worker \(worker) connection \(n)")
            }
        }
        #expect(table.liveCount == 2 * perThread)
        #expect((0..<4).map { table.count(port: $0) } == [0, 0, perThread, perThread])
        #expect(table.recycle(gracePeriod: { true }) == 2 * perThread)
    }
}
