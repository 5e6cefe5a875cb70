/// The methods on ports: their status, and adding, removing and changing one (each a change of the desired
/// state, answered like `config.apply`).
public enum PortMethods {
    public static let list = RPCMethod<NoParams, [PortStatus]>("port.list")
    public static let add = RPCMethod<PortAddParams, ConfigApplyResult>("port.add", params: .required)
    public static let delete = RPCMethod<PortDeleteParams, ConfigApplyResult>("port.del", params: .required)
    public static let set = RPCMethod<PortSetParams, ConfigApplyResult>("port.set", params: .required)
    /// Brings up again a port of the desired state whose device failed (see `PortStatus.error`); answers its
    /// status. The desired state does not change.
    public static let retry = RPCMethod<PortRetryParams, PortStatus>("port.retry", params: .required)
}
