import Testing

@testable import Config
@testable import Dataplane

/// The assignment by measured load (docs/rxq-balance.md): deterministic loads, pins and PMD sets in, the
/// lcore of every queue and each PMD's estimated load out.
@Suite struct RxqBalancerTests {
    static func queue(_ port: String, _ queue: Int, on lcore: Int, load: UInt64, pinned: Bool = false)
        -> RxqBalanceInput
    {
        RxqBalanceInput(port: port, queue: queue, lcore: lcore, load: load, pinned: pinned)
    }

    @Test("heaviest queue first to the least loaded PMD")
    func heaviestFirst() {
        let inputs = [
            Self.queue("a", 0, on: 1, load: 100), Self.queue("a", 1, on: 1, load: 80),
            Self.queue("b", 0, on: 1, load: 30), Self.queue("b", 1, on: 1, load: 10),
        ]
        let result = RxqBalancer.plan(inputs, pmdLcores: [1, 2])
        // 100 stays on 1 (tie at 0: the PMD polling it wins), 80 → 2, 30 → 2 (80 < 100), 10 → 1 (100 < 110).
        #expect(result.lcores == [1, 2, 2, 1])
        #expect(result.loadBefore == [1: 220, 2: 0])
        #expect(result.loadAfter == [1: 110, 2: 110])
        #expect(result.queuesBefore == [1: 4, 2: 0])
        #expect(result.queuesAfter == [1: 2, 2: 2])
        #expect(result.moved(inputs) == [1, 2])
        #expect(result.improvementPercent == 50)
    }

    @Test("pinned queues stay and their load counts on their PMD")
    func pinnedStay() {
        let inputs = [
            Self.queue("a", 0, on: 1, load: 100, pinned: true), Self.queue("a", 1, on: 1, load: 50),
            Self.queue("b", 0, on: 2, load: 40), Self.queue("c", 0, on: 2, load: 500, pinned: true),
        ]
        let result = RxqBalancer.plan(inputs, pmdLcores: [1, 2, 3])
        #expect(result.lcores == [1, 3, 3, 2])
        #expect(result.loadAfter == [1: 100, 2: 500, 3: 90])
        #expect(result.moved(inputs) == [1, 2])
        // The busiest PMD keeps its pinned 500 but loses b/0's 40: 540 → 500.
        #expect(abs(result.improvementPercent - 4000.0 / 540) < 1e-9, "\(result.improvementPercent)")
    }

    @Test("a balanced assignment moves nothing")
    func balancedStays() {
        let inputs = [
            Self.queue("a", 0, on: 1, load: 10), Self.queue("a", 1, on: 2, load: 10),
            Self.queue("b", 0, on: 1, load: 5), Self.queue("b", 1, on: 2, load: 5),
        ]
        let result = RxqBalancer.plan(inputs, pmdLcores: [1, 2])
        #expect(result.lcores == [1, 2, 1, 2])
        #expect(result.moved(inputs).isEmpty)
        #expect(result.improvementPercent == 0)
    }

    @Test("queues without load are spread by count, staying where a count ties")
    func idleSpreadByCount() {
        let inputs = (0..<4).map { Self.queue("a", $0, on: 1, load: 0) }
        let result = RxqBalancer.plan(inputs, pmdLcores: [1, 2])
        #expect(result.lcores == [1, 2, 1, 2])
        #expect(result.queuesAfter == [1: 2, 2: 2])
        #expect(result.improvementPercent == 0)
    }

    @Test("loaded queues are placed before idle ones")
    func loadedBeforeIdle() {
        let inputs = [
            Self.queue("idle", 0, on: 2, load: 0), Self.queue("idle", 1, on: 2, load: 0),
            Self.queue("busy", 0, on: 2, load: 1000),
        ]
        let result = RxqBalancer.plan(inputs, pmdLcores: [1, 2])
        // busy stays on 2 (tie at 0); the idle ones go by count: 1 has none, then 2 (1 each, stays).
        #expect(result.lcores == [1, 2, 2])
    }

    @Test("equal loads are taken in input order; the lowest lcore wins a tie no queue owns")
    func deterministicTies() {
        let inputs = [
            Self.queue("a", 0, on: 9, load: 7), Self.queue("b", 0, on: 9, load: 7), Self.queue("c", 0, on: 9, load: 7),
        ]
        let result = RxqBalancer.plan(inputs, pmdLcores: [3, 5])
        #expect(result.lcores == [3, 5, 3], "lcore 9 is no PMD: its queues must move")
        #expect(RxqBalancer.plan(inputs, pmdLcores: [3, 5]) == result)
        #expect(result.loadBefore == [3: 0, 5: 0], "a lcore that is no PMD has no load to report")
    }

    @Test("the interval load is the counter's growth, or its value when it restarted")
    func intervalLoad() {
        #expect(RxqBalanceState.load(now: 1500, before: 1000) == 500)
        #expect(RxqBalanceState.load(now: 300, before: 1000) == 300)
        #expect(RxqBalanceState.load(now: 42, before: nil) == 42)
    }

    @Test("every port slot and queue has a counter of its own")
    func counterIndices() {
        #expect(RxqCycles.queuesPerSlot == Limits.queues.upperBound)
        #expect(RxqCycles.index(slot: 0, queue: 63) == 63)
        #expect(RxqCycles.index(slot: 1, queue: 0) == 64)
        #expect(RxqCycles.index(slot: Limits.ports.upperBound - 1, queue: 63) == RxqCycles.count - 1)
    }
}
