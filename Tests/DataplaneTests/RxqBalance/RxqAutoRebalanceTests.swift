import Testing

@testable import Dataplane

/// The periodic rebalance's decisions (docs/rxq-balance.md): a fixed clock for when a check is due, injected
/// loads (planned by `RxqBalancer.plan`) for whether it applies.
@Suite struct RxqAutoRebalanceTests {
    static let start = ContinuousClock.now

    static func skip(_ inputs: [RxqBalanceInput], pmdLcores: [Int], threshold: Int) -> RxqAutoRebalance.Skip? {
        let result = RxqBalancer.plan(inputs, pmdLcores: pmdLcores)
        return RxqAutoRebalance.skipReason(
            pmdCount: pmdLcores.count, busiestCycles: result.loadBefore.values.max() ?? 0,
            improvementPercent: result.improvementPercent, thresholdPercent: threshold)
    }

    static func queue(_ port: String, _ queue: Int, on lcore: Int, load: UInt64) -> RxqBalanceInput {
        RxqBalanceInput(port: port, queue: queue, lcore: lcore, load: load)
    }

    @Test("a check is due once the interval has elapsed since the last one, never with interval 0")
    func due() {
        let start = Self.start
        #expect(!RxqAutoRebalance.isDue(intervalSeconds: 10, lastCheck: start, now: start))
        #expect(!RxqAutoRebalance.isDue(intervalSeconds: 10, lastCheck: start, now: start + .milliseconds(9999)))
        #expect(RxqAutoRebalance.isDue(intervalSeconds: 10, lastCheck: start, now: start + .seconds(10)))
        #expect(RxqAutoRebalance.isDue(intervalSeconds: 10, lastCheck: start, now: start + .seconds(3600)))
        #expect(RxqAutoRebalance.isDue(intervalSeconds: 1, lastCheck: start, now: start + .seconds(1)))
        #expect(!RxqAutoRebalance.isDue(intervalSeconds: 0, lastCheck: start, now: start + .seconds(86400)))
    }

    @Test("skewed load on two PMDs: applied when the gain reaches the threshold, skipped below it")
    func threshold() {
        // 100 + 80 + 20 on lcore 1, nothing on 2: the plan puts 100 on 1 and 80 + 20 on 2, 200 → 100: 50 %.
        let skewed = [
            Self.queue("a", 0, on: 1, load: 100), Self.queue("a", 1, on: 1, load: 80),
            Self.queue("b", 0, on: 1, load: 20), Self.queue("b", 1, on: 2, load: 0),
        ]
        #expect(RxqBalancer.plan(skewed, pmdLcores: [1, 2]).improvementPercent == 50)
        #expect(Self.skip(skewed, pmdLcores: [1, 2], threshold: 25) == nil)
        #expect(Self.skip(skewed, pmdLcores: [1, 2], threshold: 50) == nil)
        #expect(Self.skip(skewed, pmdLcores: [1, 2], threshold: 51) == .belowThreshold)
        #expect(Self.skip(skewed, pmdLcores: [1, 2], threshold: 100) == .belowThreshold)
    }

    @Test("already balanced: nothing moves, so the check is skipped whatever the threshold")
    func balanced() {
        let balanced = [Self.queue("a", 0, on: 1, load: 100), Self.queue("b", 0, on: 2, load: 90)]
        #expect(RxqBalancer.plan(balanced, pmdLcores: [1, 2]).improvementPercent == 0)
        #expect(Self.skip(balanced, pmdLcores: [1, 2], threshold: 1) == .belowThreshold)
    }

    @Test("a single PMD has nowhere to move a queue")
    func singlePMD() {
        let inputs = [Self.queue("a", 0, on: 1, load: 100), Self.queue("a", 1, on: 1, load: 100)]
        #expect(Self.skip(inputs, pmdLcores: [1], threshold: 1) == .singlePMD)
        #expect(
            RxqAutoRebalance.skipReason(pmdCount: 1, busiestCycles: 100, improvementPercent: 90, thresholdPercent: 1)
                == .singlePMD)
    }

    @Test("no load over the interval: queues are not respread by count")
    func noLoad() {
        // By count, the plan would move a queue to the idle PMD; with no load the check leaves it.
        let idle = [
            Self.queue("a", 0, on: 1, load: 0), Self.queue("a", 1, on: 1, load: 0), Self.queue("b", 0, on: 1, load: 0),
        ]
        #expect(!RxqBalancer.plan(idle, pmdLcores: [1, 2]).moved(idle).isEmpty)
        #expect(Self.skip(idle, pmdLcores: [1, 2], threshold: 1) == .noLoad)
    }

    @Test("every skip reason has a distinct name")
    func reasonNames() {
        #expect(RxqAutoRebalance.Skip.allCases.map(\.rawValue) == ["single-pmd", "no-load", "below-threshold"])
    }
}
