/// The metadata intercept's methods: who is behind each pool address, for metadata services.
public enum MetadataMethods {
    /// Every VM port with metadata enabled: its pool address, the port, the instance id and the facts the
    /// service generates documents from. `sluice-metadata` resolves its callers through this method.
    public static let clients = RPCMethod<NoParams, [MetadataClient]>("metadata.clients")
}
