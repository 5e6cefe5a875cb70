import DPDK
import Synchronization

extension Dataplane {
    /// Lets rte_vhost's destroy_device wait until no PMD can still be using the departing guest's device id
    /// (the rte_vhost contract; Open vSwitch waits for an RCU grace period there). The callback has already
    /// cleared the id the PMDs read; it then advances the grace-period token and waits until every PMD that
    /// runs has reported it at the end of an iteration, as the control thread does for a generation. A PMD
    /// reads the id anew in every call, so after that none holds the old one. The PMDs themselves never wait.
    /// A stalled PMD keeps the vhost thread waiting (freeing the device under it could corrupt memory).
    func installVhostQuiescence() {
        let waiter = VhostQuiescence(pmds: pmds, grace: grace)
        VhostUserSocket.setQuiesce { waiter.wait() }
    }
}

/// The PMDs and the grace-period token a destroy_device waits on (any thread).
private struct VhostQuiescence: @unchecked Sendable {
    // @unchecked: only atomics are touched: the token, and each PMD's active flag and quiescent word.
    let pmds: [PMDThread]
    let grace: GracePeriods

    func wait() {
        let target = grace.token.pointee.add(1, ordering: .sequentiallyConsistent).newValue
        for pmd in pmds {
            var spins = 0
            while pmd.active.pointee.load(ordering: .sequentiallyConsistent) && pmd.quiescentToken < target {
                spins += 1
                GracePeriods.spinThenSleep(spins)
            }
        }
    }
}
