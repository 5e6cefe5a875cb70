import DPDK
import Glibc
import Synchronization

/// What a grace period waits for: one PMD's quiescent reports (`PMDThread`; fakes in tests).
protocol QuiescentReporter: AnyObject {
    var lcore: UInt32 { get }
    var isRunning: Bool { get }
    /// The grace-period token the PMD last copied at the end of an iteration.
    var quiescentToken: UInt64 { get }
}

/// PMDs that did not pass a quiescent state within the stall timeout: they are wedged (or starved for that
/// long), and whatever they may still hold must not be freed.
public struct PMDStall: Error, CustomStringConvertible, Equatable {
    public var lcores: [UInt32]
    public var timeout: Duration

    public var description: String {
        let names = lcores.map { "lcore \($0)" }.joined(separator: ", ")
        let seconds = timeout.components.seconds
        return lcores.count == 1
            ? "the PMD on \(names) has not reached a quiescent state within \(seconds) s (stalled)"
            : "the PMDs on \(names) have not reached a quiescent state within \(seconds) s (stalled)"
    }
}

/// Quiescent-state-based reclamation (QSBR) over the PMD threads: how the control thread learns that no PMD
/// can still hold anything it unpublished.
///
/// The control thread advances a token; each PMD copies the token into its own word at the end of every
/// loop iteration (an acquire load and a release store: plain moves on x86, no barrier on the fast path).
/// Once every running PMD's word has reached the advanced token, each has finished the iteration it was in
/// when the token advanced (so holds nothing it read then: pointers are only used within an iteration), and
/// everything it reads from its next iteration on sees every store the control thread made before the
/// advance. It does not mean the PMD has *used* the newest generation yet: a descheduled PMD may next run
/// with a generation published later still, which is why PMDs compare generation IDs, not addresses.
///
/// A wait never lasts longer than `timeout`: a PMD that does not report by then is stalled, the wait throws
/// `PMDStall` naming it, and the caller keeps alive what it could not free. Every advance is remembered with
/// its time until all PMDs have passed it, so that `stalled` can tell, without waiting, which PMD has been
/// behind a token for longer than the timeout.
final class GracePeriods: @unchecked Sendable {
    // @unchecked: the token is an atomic the PMDs only read; everything else is the control thread's.
    let token: UnsafeMutablePointer<Atomic<UInt64>>
    /// How long a PMD may take to pass a quiescent state before it counts as stalled.
    var timeout: Duration
    private let now: () -> ContinuousClock.Instant
    /// Called between two checks of a PMD that has not reported yet; `spins` counts the checks so far.
    private let pause: (_ spins: Int) -> Void
    /// Advanced tokens not yet passed by every running PMD, oldest first, with when they were advanced.
    private(set) var outstanding: [(token: UInt64, at: ContinuousClock.Instant)] = []

    init(
        timeout: Duration = .seconds(5), now: @escaping () -> ContinuousClock.Instant = { .now },
        pause: @escaping (_ spins: Int) -> Void = GracePeriods.spinThenSleep
    ) {
        self.timeout = timeout
        self.now = now
        self.pause = pause
        token = .allocate(capacity: 1)
        // PMDs start at 0, so the first grace period waits for a real iteration.
        token.initialize(to: Atomic(1))
    }

    deinit {
        token.deinitialize(count: 1)
        token.deallocate()
    }

    /// PMD iterations take microseconds; yield the core after a short spin in case the PMD shares it.
    static func spinThenSleep(_ spins: Int) {
        if spins < 2000 { cpuPause() } else { usleep(20) }
    }

    /// Advances the token and returns the target every PMD must reach. The read-modify-write is a full
    /// barrier: whatever the control thread stored before (an unpublished table, a pause flag) is visible to
    /// a PMD by the time it reports the new token.
    func advance() -> UInt64 {
        let target = token.pointee.add(1, ordering: .sequentiallyConsistent).newValue
        outstanding.append((target, now()))
        return target
    }

    /// Returns once every running PMD has passed a quiescent state after this call; throws, naming the PMDs
    /// that have not, once `timeout` has passed.
    func synchronize(_ pmds: [some QuiescentReporter]) throws(PMDStall) {
        try wait(for: advance(), pmds)
    }

    /// Waits until every running PMD has reported `target`, for at most `timeout` from now.
    func wait(for target: UInt64, _ pmds: [some QuiescentReporter]) throws(PMDStall) {
        let deadline = now() + timeout
        var late: [UInt32] = []
        for pmd in pmds {
            var spins = 0
            while pmd.isRunning && pmd.quiescentToken < target {
                if now() >= deadline {
                    late.append(pmd.lcore)
                    break
                }
                spins += 1
                pause(spins)
            }
        }
        forgetPassed(pmds)
        if !late.isEmpty { throw PMDStall(lcores: late, timeout: timeout) }
    }

    /// Whether every running PMD has reported `target` (no waiting).
    func hasPassed(_ target: UInt64, _ pmds: [some QuiescentReporter]) -> Bool {
        pmds.allSatisfy { !$0.isRunning || $0.quiescentToken >= target }
    }

    /// The running PMDs that have been behind an advanced token for at least `timeout`, without waiting.
    func stalled(_ pmds: [some QuiescentReporter]) -> PMDStall? {
        forgetPassed(pmds)
        let instant = now()
        let late = pmds.filter { pmd in
            guard pmd.isRunning else { return false }
            // The oldest token this PMD has not reached is the one it has been behind longest.
            guard let oldest = outstanding.first(where: { pmd.quiescentToken < $0.token }) else { return false }
            return instant - oldest.at >= timeout
        }
        return late.isEmpty ? nil : PMDStall(lcores: late.map(\.lcore), timeout: timeout)
    }

    /// The control loop's periodic check: when every PMD has caught up, advances the token, so that a PMD
    /// that stops iterating is noticed by `stalled` even while no change waits for it. Costs the PMDs one
    /// cache-line transfer per call.
    func probe(_ pmds: [some QuiescentReporter]) {
        forgetPassed(pmds)
        if outstanding.isEmpty { _ = advance() }
    }

    private func forgetPassed(_ pmds: [some QuiescentReporter]) {
        while let first = outstanding.first, hasPassed(first.token, pmds) { outstanding.removeFirst() }
    }
}
