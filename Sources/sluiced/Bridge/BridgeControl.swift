import Control
import ControlProtocol
import Dataplane

/// The bridge's control methods: the MAC table and the VLANs.
struct BridgeControl {
    let dataplane: Dataplane

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(BridgeMethods.macList) { dataplane.macEntries() }
        methods.register(BridgeMethods.macFlush, flushMACs)
        methods.register(BridgeMethods.vlanList) { dataplane.vlanStatuses() }
    }

    /// Removes learned entries (static ones stay); an unknown port or a bad VLAN is an invalid-params error.
    func flushMACs(_ params: MACFlushParams) throws(RPCErrorObject) -> MACFlushResult {
        do {
            return MACFlushResult(flushed: try dataplane.flushMACs(port: params.port, vlan: params.vlan))
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: error.description)
        }
    }
}
