/// The metadata intercept's methods: who is behind each pool address, for metadata services, and the live
/// NAT entries.
public enum MetadataMethods {
    /// Every VM port with metadata enabled: its pool address, the port, the instance id and the facts the
    /// service generates documents from. `sluice-metadata` resolves its callers through this method.
    public static let clients = RPCMethod<NoParams, [MetadataClient]>("metadata.clients")
    /// The live flows of the NAT table, by port (in configuration order) and guest port.
    public static let nat = RPCMethod<NoParams, [MetadataNATEntry]>("metadata.nat")
}
