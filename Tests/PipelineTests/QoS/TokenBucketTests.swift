import Pipeline
import Synchronization
import Testing

/// The bucket against a virtual clock: every time is a TSC value the test chooses (no sleeps).
@Suite struct TokenBucketTests {
    /// 1 MHz TSC and 1000 tokens/s: one token every 1000 cycles, 100 at most.
    static let hz: UInt64 = 1_000_000
    static let spec = TokenBucketSpec(tokens: 1000, size: 100, oneTimeBurst: 0, tscHz: hz)

    static func at(_ tsc: UInt64) -> UInt64 { TokenBucketSpec.scaled(tsc) }

    @Test(
        "an empty bucket refills continuously and never above its size",
        arguments: [
            (0, 0), (500, 0), (999, 0), (1000, 1), (1500, 1), (50_000, 50), (99_999, 99), (100_000, 100),
            (100_001, 100), (1_000_000_000, 100),
        ] as [(UInt64, UInt64)])
    func refill(elapsed: UInt64, tokens: UInt64) {
        let start: UInt64 = 7_000_000
        let empty = Self.at(start)
        #expect(Self.spec.tokens(emptyTime: empty, at: Self.at(start + elapsed)) == tokens)
    }

    @Test("a new bucket starts full, and taking tokens leaves exactly the rest")
    func startsFull() {
        let now: UInt64 = 123_456_789
        var e = Self.spec.fullEmptyTime(at: now)
        var oneTime: UInt64 = 0
        #expect(Self.spec.tokens(emptyTime: e, at: Self.at(now)) == 100)
        #expect(Self.spec.take(60, at: Self.at(now), emptyTime: &e, oneTime: &oneTime))
        #expect(Self.spec.tokens(emptyTime: e, at: Self.at(now)) == 40)
        #expect(!Self.spec.take(41, at: Self.at(now), emptyTime: &e, oneTime: &oneTime))
        #expect(Self.spec.tokens(emptyTime: e, at: Self.at(now)) == 40, "a refused request takes nothing")
        #expect(Self.spec.take(40, at: Self.at(now), emptyTime: &e, oneTime: &oneTime))
        #expect(!Self.spec.take(1, at: Self.at(now), emptyTime: &e, oneTime: &oneTime))
    }

    @Test("a clock that does not move refills nothing")
    func frozenClock() {
        let now: UInt64 = 5_000_000
        var e = Self.spec.fullEmptyTime(at: now)
        var oneTime: UInt64 = 0
        var passed = 0
        for _ in 0..<1000 where Self.spec.take(1, at: Self.at(now), emptyTime: &e, oneTime: &oneTime) { passed += 1 }
        #expect(passed == 100)
        #expect(Self.spec.tokens(emptyTime: e, at: Self.at(now)) == 0)
    }

    @Test(
        "the one-time burst is spent first and never refilled",
        arguments: [
            // (take, one-time left, bucket tokens left)
            [(30, 20, 100), (30, 0, 90), (90, 0, 0)],
            [(50, 0, 100), (100, 0, 0)],
            [(150, 0, 0)],
        ] as [[(UInt64, UInt64, UInt64)]])
    func oneTimeBurst(steps: [(UInt64, UInt64, UInt64)]) {
        let spec = TokenBucketSpec(tokens: 1000, size: 100, oneTimeBurst: 50, tscHz: Self.hz)
        let now: UInt64 = 1_000_000
        var e = spec.fullEmptyTime(at: now)
        var oneTime = spec.oneTimeBurst
        for (cost, oneTimeLeft, tokensLeft) in steps {
            #expect(spec.take(cost, at: Self.at(now), emptyTime: &e, oneTime: &oneTime))
            #expect(oneTime == oneTimeLeft)
            #expect(spec.tokens(emptyTime: e, at: Self.at(now)) == tokensLeft)
        }
        // An hour later the bucket is full again, the one-time burst is not.
        #expect(spec.tokens(emptyTime: e, at: Self.at(now + 3600 * Self.hz)) == 100)
        #expect(oneTime == 0)
    }

    @Test(
        "a request larger than the bucket (and its one-time burst) never passes",
        arguments: [(0, 101, false), (0, 100, true), (10, 110, true), (10, 111, false)] as [(UInt64, UInt64, Bool)])
    func largerThanBucket(oneTimeBurst: UInt64, cost: UInt64, passes: Bool) {
        let spec = TokenBucketSpec(tokens: 1000, size: 100, oneTimeBurst: oneTimeBurst, tscHz: Self.hz)
        let now: UInt64 = 9_000_000
        var e = spec.fullEmptyTime(at: now + 1_000_000_000)  // full, however long it waits
        var oneTime = oneTimeBurst
        #expect(spec.take(cost, at: Self.at(now + 2_000_000_000), emptyTime: &e, oneTime: &oneTime) == passes)
    }

    @Test(
        "the TSC wrapping around does not disturb the refill",
        arguments: [1, 500, 2000, 99_000] as [UInt64])
    func tscWraparound(afterWrap: UInt64) {
        let before = UInt64.max - 999  // 1000 cycles before the counter wraps to 0
        let empty = Self.at(before)
        let tokens = min(100, (1000 + afterWrap) / 1000)
        #expect(Self.spec.tokens(emptyTime: empty, at: Self.at(afterWrap)) == tokens)
        var e = empty
        var oneTime: UInt64 = 0
        #expect(Self.spec.take(tokens, at: Self.at(afterWrap), emptyTime: &e, oneTime: &oneTime))
        #expect(Self.spec.tokens(emptyTime: e, at: Self.at(afterWrap)) == 0)
    }

    @Test("a bucket idle so long that its scaled clock wrapped is full, not empty")
    func longIdle() {
        let start: UInt64 = 1000
        let later = start + (UInt64(1) << 55) + 12_345  // the scaled clock wrapped past the sign bit
        #expect(Self.spec.tokens(emptyTime: Self.at(start), at: Self.at(later)) == 100)
    }

    @Test("charging after the fact puts the bucket in debt, which delays the next tokens")
    func debt() {
        let now: UInt64 = 2_000_000
        var e = Self.spec.fullEmptyTime(at: now)
        var oneTime: UInt64 = 0
        Self.spec.charge(130, at: Self.at(now), emptyTime: &e, oneTime: &oneTime)
        #expect(Self.spec.tokens(emptyTime: e, at: Self.at(now)) == 0)
        #expect(Self.spec.tokens(emptyTime: e, at: Self.at(now + 30_000)) == 0, "30 tokens of debt to repay first")
        #expect(Self.spec.tokens(emptyTime: e, at: Self.at(now + 40_000)) == 10)
    }

    @Test(
        "rates from 1 kpps to 10 Mpps and 1 Mbit/s to 10 Gbit/s: one second passes the rate and exactly the burst on top (±1 %)",
        arguments: [
            // (tokens per second (bits for bandwidth), bandwidth?, burst, cost of each request)
            (1_000, false, 100, 1), (1_000_000, false, 10_000, 1), (10_000_000, false, 100_000, 1),
            (1_000_000, true, 10_000, 1514), (50_000_000, true, 1_048_576, 1514),
            (1_000_000_000, true, 1_048_576, 1514), (10_000_000_000, true, 4_194_304, 9018),
        ] as [(UInt64, Bool, UInt64, UInt64)])
    func rateAccuracy(rate: UInt64, bits: Bool, burst: UInt64, cost: UInt64) {
        let hz: UInt64 = 2_500_000_000
        let spec = TokenBucketSpec(tokens: rate, perSeconds: bits ? 8 : 1, size: burst, oneTimeBurst: 0, tscHz: hz)
        let start: UInt64 = 1 << 40
        var e = spec.fullEmptyTime(at: start)
        var oneTime: UInt64 = 0
        // A sender that always has a request waiting: ask every `step` cycles, as often as the bucket allows.
        let perSecond = bits ? rate / 8 : rate
        let step = max(hz / (perSecond / cost * 4), 1)
        var passed: UInt64 = 0
        var now = start
        while now < start + hz {
            while spec.take(cost, at: TokenBucketSpec.scaled(now), emptyTime: &e, oneTime: &oneTime) { passed += cost }
            now += step
        }
        let expected = Double(perSecond + burst)
        #expect(
            abs(Double(passed) - expected) <= expected * 0.01 + Double(cost), "passed \(passed), expected \(expected)")
    }
}

/// The shared state: compare-and-swap publication and refunds.
@Suite struct TokenBucketStateTests {
    @Test("a commit from stale values fails and changes nothing; a refund gives back exactly what was taken")
    func commitAndRefund() {
        let words = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: 2)
        words.initialize(to: Atomic(0))
        (words + 1).initialize(to: Atomic(0))
        defer { words.deallocate() }
        let state = TokenBucketState(words: words)
        let spec = TokenBucketSpec(tokens: 1000, size: 100, oneTimeBurst: 20, tscHz: 1_000_000)
        let now: UInt64 = 10_000_000
        state.reset(spec, at: now)
        let t = TokenBucketSpec.scaled(now)
        #expect(state.available(spec, at: t) == 120)
        let e0 = state.emptyTime.pointee.load(ordering: .relaxed)
        var e1 = e0
        var o1: UInt64 = 20
        #expect(spec.take(50, at: t, emptyTime: &e1, oneTime: &o1))
        #expect(state.commit(from: e0, 20, to: e1, o1))
        #expect(state.available(spec, at: t) == 70)
        #expect(!state.commit(from: e0, 20, to: e1, o1), "another PMD's values: stale")
        #expect(state.available(spec, at: t) == 70)
        state.refund(from: e0, 20, to: e1, o1)
        #expect(state.available(spec, at: t) == 120)
        state.charge(spec, 130, at: t)
        #expect(state.available(spec, at: t) == 0)
    }
}

/// `covers` agrees with `take` (it is take's test without the taking).
@Suite struct TokenBucketCoversTests {
    @Test(arguments: [0, 1, 50, 99, 100, 101, 120, 121, 1000] as [UInt64])
    func coversAgreesWithTake(cost: UInt64) {
        let spec = TokenBucketSpec(tokens: 1000, size: 100, oneTimeBurst: 20, tscHz: 1_000_000)
        for elapsed in [0, 999, 1000, 50_000, 10_000_000] as [UInt64] {
            let now: UInt64 = 5_000_000
            var e = TokenBucketSpec.scaled(now)  // empty at `now`
            var oneTime: UInt64 = elapsed == 0 ? 0 : 20
            let t = TokenBucketSpec.scaled(now + elapsed)
            let covered = spec.covers(cost, emptyTime: e, oneTime: oneTime, at: t)
            #expect(covered == spec.take(cost, at: t, emptyTime: &e, oneTime: &oneTime), "cost \(cost), \(elapsed)")
        }
    }
}
