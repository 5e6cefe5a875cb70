import Pipeline
import Testing

/// from-vm held-back time: accumulated at the transitions (first poll that may take nothing, first that may
/// take something again), on a virtual clock.
@Suite struct QoSHeldTimeTests {
    static let hz: UInt64 = 1_000_000_000
    static let start: UInt64 = 1 << 40
    /// 1000 pps, 1 packet of burst: a token every 1_000_000 cycles at `hz`.
    static let cyclesPerPacket: UInt64 = 1_000_000

    static func fixture() -> QoSFixture {
        QoSFixture(
            QoSDirectionSpec(
                bytes: nil, packets: TokenBucketSpec(tokens: 1000, size: 1, oneTimeBurst: 0, tscHz: hz),
                maxFrame: 1518),
            tsc: start)
    }

    @Test("a hold lasts from the first poll that may take nothing to the first that may take something")
    func holdFromTransitionToTransition() {
        let fixture = Self.fixture()
        let tables = fixture.tables
        let t0 = Self.start
        #expect(tables.fromVMAllowance(slot: 1, limit: 32, tsc: t0) == 1)
        tables.fromVMCharge(slot: 1, packets: 1, bytes: 100, tsc: t0)
        #expect(fixture.counter(.fromVM, QoSCounters.heldSince) == 0, "not held while tokens remained")
        // Empty: held from the next poll on; more held polls do not move the start.
        #expect(tables.fromVMAllowance(slot: 1, limit: 32, tsc: t0 + 10) == 0)
        #expect(fixture.counter(.fromVM, QoSCounters.heldSince) == t0 + 10)
        #expect(tables.fromVMAllowance(slot: 1, limit: 32, tsc: t0 + 500_000) == 0)
        #expect(fixture.counter(.fromVM, QoSCounters.heldSince) == t0 + 10)
        #expect(fixture.counter(.fromVM, QoSCounters.heldOrDropped) == 2)
        #expect(fixture.counter(.fromVM, QoSCounters.heldCycles) == 0, "nothing added while the hold lasts")
        // A token again: the hold ends and its length is added.
        let t1 = t0 + Self.cyclesPerPacket
        #expect(tables.fromVMAllowance(slot: 1, limit: 32, tsc: t1) == 1)
        #expect(fixture.counter(.fromVM, QoSCounters.heldCycles) == t1 - (t0 + 10))
        #expect(fixture.counter(.fromVM, QoSCounters.heldSince) == 0)
        // A second hold adds to the first.
        tables.fromVMCharge(slot: 1, packets: 1, bytes: 100, tsc: t1)
        #expect(tables.fromVMAllowance(slot: 1, limit: 32, tsc: t1 + 1) == 0)
        let t2 = t1 + Self.cyclesPerPacket
        #expect(tables.fromVMAllowance(slot: 1, limit: 32, tsc: t2) == 1)
        #expect(fixture.counter(.fromVM, QoSCounters.heldCycles) == (t1 - t0 - 10) + (t2 - t1 - 1))
        #expect(fixture.counter(.toVM, QoSCounters.heldCycles) == 0, "to-vm never holds")
    }

    @Test("binding a new generation ends the hold in progress; without one it changes nothing")
    func endHoldsAtBind() {
        let fixture = Self.fixture()
        let tables = fixture.tables
        tables.fromVMCharge(slot: 1, packets: 1, bytes: 100, tsc: Self.start)
        tables.endHolds(tsc: Self.start + 5)
        #expect(fixture.counter(.fromVM, QoSCounters.heldCycles) == 0)
        #expect(tables.fromVMAllowance(slot: 1, limit: 32, tsc: Self.start + 100) == 0)
        tables.endHolds(tsc: Self.start + 700)
        #expect(fixture.counter(.fromVM, QoSCounters.heldCycles) == 600)
        #expect(fixture.counter(.fromVM, QoSCounters.heldSince) == 0)
        // The port, still empty, starts a new hold at its next poll.
        #expect(tables.fromVMAllowance(slot: 1, limit: 32, tsc: Self.start + 800) == 0)
        #expect(fixture.counter(.fromVM, QoSCounters.heldSince) == Self.start + 800)
        QoSTables.off.endHolds(tsc: Self.start)  // no counters: nothing to end, no crash
    }
}
