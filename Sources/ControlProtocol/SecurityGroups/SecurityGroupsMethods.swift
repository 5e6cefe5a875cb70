/// The security groups' methods: groups with per-rule hits, the connection table, flushes.
public enum SecurityGroupsMethods {
    public static let sgList = RPCMethod<NoParams, [SecurityGroupStatus]>("sg.list")
    /// Without params: every connection.
    public static let conntrackList = RPCMethod<ConntrackListParams, [ConnectionStatus]>(
        "conntrack.list", params: .optional(default: ConntrackListParams()))
    public static let conntrackStats = RPCMethod<NoParams, ConntrackStats>("conntrack.stats")
    /// Without params: every connection.
    public static let conntrackFlush = RPCMethod<ConntrackFlushParams, ConntrackFlushResult>(
        "conntrack.flush", params: .optional(default: ConntrackFlushParams()))
}
