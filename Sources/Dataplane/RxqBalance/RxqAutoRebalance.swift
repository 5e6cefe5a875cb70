import ControlProtocol

/// Periodic rebalancing of the rx queues (`eal.rxq-rebalance-interval`, as Open vSwitch's `pmd-auto-lb`): every
/// interval the control thread plans from the loads measured over it and applies the plan only when it lowers
/// the busiest PMD's load by at least `eal.rxq-rebalance-improvement` percent (docs/rxq-balance.md).
///
/// The decisions are pure functions of the clock and the plan, so they are tested without a dataplane.
public struct RxqAutoRebalance: Equatable, Sendable {
    /// Why a periodic check left the queues where they were.
    public enum Skip: String, CaseIterable, Sendable {
        /// One PMD: there is nowhere to move a queue.
        case singlePMD = "single-pmd"
        /// No PMD was busy over the interval: nothing to balance.
        case noLoad = "no-load"
        /// The plan would lower the busiest PMD's load by less than the threshold (or moves nothing).
        case belowThreshold = "below-threshold"
    }

    /// When the last periodic check ran (or sluiced started): the next is due an interval later.
    public var lastCheck: ContinuousClock.Instant
    /// Periodic checks run, applied (queues moved), skipped (by reason) and failed (a stalled PMD).
    public var runs: UInt64 = 0
    public var applied: UInt64 = 0
    public var skipped: [Skip: UInt64] = [:]
    public var failed: UInt64 = 0

    public init(lastCheck: ContinuousClock.Instant) {
        self.lastCheck = lastCheck
    }

    /// Whether a periodic check is due at `now`: the interval is on (> 0 s) and has elapsed since `lastCheck`.
    public static func isDue(
        intervalSeconds: Int, lastCheck: ContinuousClock.Instant, now: ContinuousClock.Instant
    ) -> Bool {
        intervalSeconds > 0 && now - lastCheck >= .seconds(intervalSeconds)
    }

    /// Why a periodic check must not apply a plan (for `pmdCount` PMDs, whose busiest one was busy
    /// `busiestCycles` over the interval and would be `improvementPercent` less busy), or nil when it should:
    /// at least two PMDs, some load, and an improvement of at least `thresholdPercent`.
    public static func skipReason(
        pmdCount: Int, busiestCycles: UInt64, improvementPercent: Double, thresholdPercent: Int
    ) -> Skip? {
        guard pmdCount >= 2 else { return .singlePMD }
        guard busiestCycles > 0 else { return .noLoad }
        guard improvementPercent > 0, improvementPercent >= Double(thresholdPercent) else { return .belowThreshold }
        return nil
    }
}

/// What one periodic check did, for the control thread's log.
public enum RxqAutoOutcome: Sendable {
    /// The queues moved as the plan says.
    case applied(RxqRebalancePlan)
    /// Nothing moved, for this reason; the plan that was judged.
    case skipped(RxqAutoRebalance.Skip, RxqRebalancePlan)
    /// A stalled PMD refused the move; the queues stay where they were.
    case failed(PMDStall)
}

extension Dataplane {
    /// Runs the periodic check when `eal.rxq-rebalance-interval` has elapsed since the last one (nil when
    /// none is due): plans from the loads measured since the last check or rebalance and applies the plan if
    /// `RxqAutoRebalance.skipReason` finds no reason not to. Every check starts a new measurement interval.
    /// Called from the control thread's periodic work.
    public func rebalanceRxQueuesIfDue(now: ContinuousClock.Instant = .now) -> RxqAutoOutcome? {
        let eal = config.eal
        guard
            RxqAutoRebalance.isDue(
                intervalSeconds: eal.rxqRebalanceInterval, lastCheck: rxqBalance.auto.lastCheck, now: now)
        else { return nil }
        rxqBalance.auto.lastCheck = now
        rxqBalance.auto.runs += 1
        var plan: RxqRebalancePlan
        var skip: RxqAutoRebalance.Skip?
        do throws(PMDStall) {
            plan = try rebalanceRxQueues(dryRun: true, now: now)
            skip = RxqAutoRebalance.skipReason(
                pmdCount: pmds.count, busiestCycles: plan.pmds.map(\.cyclesBefore).max() ?? 0,
                improvementPercent: plan.improvementPercent, thresholdPercent: eal.rxqRebalanceImprovement)
            if skip == nil {
                plan = try rebalanceRxQueues(dryRun: false, now: now)
                // The loads grew a little since the dry run; should the new plan move nothing, nothing moved.
                if !plan.applied { skip = .belowThreshold }
            }
        } catch {
            rxqBalance.auto.failed += 1
            return .failed(error)
        }
        if let skip {
            rxqBalance.auto.skipped[skip, default: 0] += 1
            restartRxqMeasurement(at: now)
            return .skipped(skip, plan)
        }
        rxqBalance.auto.applied += 1
        return .applied(plan)
    }

    /// The periodic rebalancing's settings and counters (`pmd.rebalance-status`).
    public func rxqAutoRebalanceStatus(now: ContinuousClock.Instant = .now) -> RxqAutoRebalanceStatus {
        let eal = config.eal
        let next: Double? =
            eal.rxqRebalanceInterval > 0
            ? max(0, Self.seconds(rxqBalance.auto.lastCheck + .seconds(eal.rxqRebalanceInterval) - now)) : nil
        return RxqAutoRebalanceStatus(
            intervalSeconds: eal.rxqRebalanceInterval, improvementPercent: eal.rxqRebalanceImprovement,
            runs: rxqBalance.auto.runs, applied: rxqBalance.auto.applied,
            skipped: Dictionary(
                uniqueKeysWithValues: RxqAutoRebalance.Skip.allCases.map {
                    ($0.rawValue, rxqBalance.auto.skipped[$0] ?? 0)
                }),
            failed: rxqBalance.auto.failed, nextCheckSeconds: next)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
