import Control
import ControlProtocol
import Dataplane
import Foundation
import Logging

/// The rx queue → PMD balancing methods (docs/rxq-balance.md).
struct RxqBalanceControl {
    let dataplane: Dataplane

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(RxqBalanceMethods.rebalance) { (params) throws(RPCErrorObject) -> RxqRebalancePlan in
            do {
                return try dataplane.rebalanceRxQueues(dryRun: params.dryRun)
            } catch {
                throw RPCErrorObject(
                    code: RPCErrorObject.applyFailed, message: "\(error); the rx queues stay where they were polled")
            }
        }
        methods.register(RxqBalanceMethods.status) { dataplane.rxqAutoRebalanceStatus() }
    }

    /// The control loop's periodic work: the periodic rebalance when `eal.rxq-rebalance-interval` has
    /// elapsed, with every applied move logged.
    static func rebalanceIfDue(_ dataplane: Dataplane, logger: Logger) {
        switch dataplane.rebalanceRxQueuesIfDue() {
        case nil: break
        case .applied(let plan):
            let moves = plan.moves.map { "\($0.queue) lcore \($0.fromLcore) → \($0.toLcore)" }
            let gain = String(format: "%.1f", plan.improvementPercent)
            logger.notice(
                "periodic rx queue rebalance: busiest PMD \(gain)% lower, moved \(moves.joined(separator: ", "))")
        case .skipped(let reason, let plan):
            let gain = String(format: "%.1f", plan.improvementPercent)
            logger.debug(
                "periodic rx queue rebalance skipped (\(reason.rawValue)): busiest PMD would be \(gain)% lower")
        case .failed(let stall):
            logger.error("periodic rx queue rebalance failed: \(stall); the rx queues stay where they were polled")
        }
    }
}
