/// The bridge's methods: the MAC table and the VLANs.
public enum BridgeMethods {
    public static let macList = RPCMethod<NoParams, [MACEntry]>("mac.list")
    /// Without params: every learned entry.
    public static let macFlush = RPCMethod<MACFlushParams, MACFlushResult>(
        "mac.flush", params: .optional(default: MACFlushParams()))
    public static let vlanList = RPCMethod<NoParams, [VLANStatus]>("vlan.list")
}
