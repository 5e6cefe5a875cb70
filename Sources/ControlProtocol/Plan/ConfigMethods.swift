/// The methods on the whole desired state: read it, replace it.
public enum ConfigMethods {
    public static let get = RPCMethod<NoParams, ConfigDocumentResult>("config.get")
    public static let apply = RPCMethod<ConfigApplyParams, ConfigApplyResult>("config.apply", params: .required)
}
