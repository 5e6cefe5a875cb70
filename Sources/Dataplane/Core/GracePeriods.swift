import DPDK
import Glibc
import Synchronization

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
final class GracePeriods: @unchecked Sendable {
    // @unchecked: the token is an atomic the PMDs only read; everything else is the control thread's.
    let token: UnsafeMutablePointer<Atomic<UInt64>>

    init() {
        token = .allocate(capacity: 1)
        // PMDs start at 0, so the first grace period waits for a real iteration.
        token.initialize(to: Atomic(1))
    }

    deinit {
        token.deinitialize(count: 1)
        token.deallocate()
    }

    /// Returns once every running PMD has passed a quiescent state after this call. The read-modify-write
    /// is a full barrier: whatever the control thread stored before (an unpublished table, a pause flag) is
    /// visible to a PMD by the time it reports the new token.
    func synchronize(_ pmds: [PMDThread]) {
        let target = token.pointee.add(1, ordering: .sequentiallyConsistent).newValue
        for pmd in pmds {
            var spins = 0
            while pmd.isRunning && pmd.quiescentToken < target {
                spins += 1
                // PMD iterations take microseconds; yield the core after a short spin in case the PMD shares it.
                if spins < 2000 { cpuPause() } else { usleep(20) }
            }
        }
    }
}
