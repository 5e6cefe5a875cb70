import Control
import ControlProtocol
import Dataplane

/// The security groups' control methods: groups with hit counts, the connection table and its flush.
struct SecurityGroupsControl {
    let dataplane: Dataplane

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(SecurityGroupsMethods.sgList) { dataplane.securityGroupStatuses() }
        methods.register(SecurityGroupsMethods.conntrackList, list)
        methods.register(SecurityGroupsMethods.conntrackStats) { dataplane.conntrackStats() }
        methods.register(SecurityGroupsMethods.conntrackFlush, flush)
    }

    func list(_ params: ConntrackListParams) throws(RPCErrorObject) -> [ConnectionStatus] {
        do {
            return try dataplane.connections(params)
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: error.description)
        }
    }

    func flush(_ params: ConntrackFlushParams) throws(RPCErrorObject) -> ConntrackFlushResult {
        do {
            return ConntrackFlushResult(flushed: try dataplane.flushConnections(port: params.port))
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: error.description)
        }
    }
}
