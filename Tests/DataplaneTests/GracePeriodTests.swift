import Testing

@testable import Dataplane

/// Grace periods with fake PMDs and a fake clock: no threads, no sleeps. The clock advances only when the
/// waiting side pauses, by a fixed step, so timeouts are exact.
@Suite struct GracePeriodTests {
    final class FakePMD: QuiescentReporter {
        let lcore: UInt32
        var isRunning = true
        var quiescentToken: UInt64 = 0
        /// Whether the PMD keeps iterating (reports the current token whenever the control thread pauses).
        var iterating = true
        init(lcore: UInt32) { self.lcore = lcore }
    }

    final class Harness {
        var now = ContinuousClock.now
        var pauses = 0
        let pmds: [FakePMD]
        var grace: GracePeriods!

        init(lcores: [UInt32], timeout: Duration = .seconds(5), step: Duration = .milliseconds(1)) {
            pmds = lcores.map(FakePMD.init)
            grace = GracePeriods(
                timeout: timeout, now: { [unowned self] in now },
                pause: { [unowned self] _ in
                    pauses += 1
                    now += step
                    // The PMDs that iterate report the token as of this moment.
                    for pmd in pmds where pmd.iterating {
                        pmd.quiescentToken = grace.token.pointee.load(ordering: .relaxed)
                    }
                })
        }

        /// Every iterating PMD reports the current token (an iteration passed without the control thread).
        func iterate() {
            for pmd in pmds where pmd.iterating { pmd.quiescentToken = grace.token.pointee.load(ordering: .relaxed) }
        }
    }

    @Test("a grace period returns once every running PMD has reported the new token")
    func passes() throws {
        let h = Harness(lcores: [1, 2])
        try h.grace.synchronize(h.pmds)
        let target = h.grace.token.pointee.load(ordering: .relaxed)
        #expect(h.pmds.allSatisfy { $0.quiescentToken == target })
        #expect(h.grace.outstanding.isEmpty)
        #expect(h.grace.stalled(h.pmds) == nil)
    }

    @Test("a PMD that stops iterating fails the grace period at the timeout, named, and not before")
    func timesOut() {
        let h = Harness(lcores: [1, 2, 3], timeout: .seconds(2))
        h.pmds[1].iterating = false
        let start = h.now
        #expect(throws: PMDStall(lcores: [2], timeout: .seconds(2))) { try h.grace.synchronize(h.pmds) }
        // It waited the timeout (to the step), no less.
        #expect(h.now - start >= .seconds(2))
        #expect(h.now - start <= .seconds(2) + .milliseconds(1))
        // The stall is remembered: health sees it at once, without waiting.
        #expect(h.grace.stalled(h.pmds) == PMDStall(lcores: [2], timeout: .seconds(2)))
        #expect(
            "\(PMDStall(lcores: [2], timeout: .seconds(2)))"
                == "the PMD on lcore 2 has not reached a quiescent state within 2 s (stalled)")
    }

    @Test("a PMD that is not running is not waited for")
    func stoppedPMDs() throws {
        let h = Harness(lcores: [1, 2])
        h.pmds[0].iterating = false
        h.pmds[0].isRunning = false
        try h.grace.synchronize(h.pmds)
        #expect(h.grace.stalled(h.pmds) == nil)
    }

    @Test("stalled: behind an advanced token for the timeout or longer, decided without waiting")
    func stallDetection() {
        let h = Harness(lcores: [4, 5], timeout: .seconds(5))
        h.pmds[0].iterating = false
        h.grace.probe(h.pmds)  // advances: nothing was outstanding
        let probed = h.grace.token.pointee.load(ordering: .relaxed)
        h.iterate()
        h.now += .seconds(5) - .nanoseconds(1)
        #expect(h.grace.stalled(h.pmds) == nil)  // just before the deadline
        h.now += .nanoseconds(1)
        #expect(h.grace.stalled(h.pmds) == PMDStall(lcores: [4], timeout: .seconds(5)))
        // Later tokens do not reset how long it has been behind.
        h.grace.probe(h.pmds)
        #expect(h.grace.token.pointee.load(ordering: .relaxed) == probed)  // still outstanding: no new advance
        _ = h.grace.advance()
        #expect(h.grace.stalled(h.pmds) == PMDStall(lcores: [4], timeout: .seconds(5)))
        // It resumes: no longer stalled, and what was outstanding is forgotten.
        h.pmds[0].iterating = true
        h.iterate()
        #expect(h.grace.stalled(h.pmds) == nil)
        #expect(h.grace.outstanding.isEmpty)
    }

    @Test("hasPassed tells whether a retained generation may be freed")
    func hasPassed() {
        let h = Harness(lcores: [1, 2])
        h.pmds[1].iterating = false
        let target = h.grace.advance()
        h.iterate()
        #expect(!h.grace.hasPassed(target, h.pmds))
        h.pmds[1].isRunning = false
        #expect(h.grace.hasPassed(target, h.pmds))
    }
}
