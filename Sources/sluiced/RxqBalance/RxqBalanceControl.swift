import Control
import ControlProtocol
import Dataplane

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
    }
}
