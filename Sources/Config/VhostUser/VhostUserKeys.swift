extension ConfigKeys {
    /// The keys a `type: vhost-user` port takes in place of `devargs` (the only keys no other port takes).
    static let vhostUserPort = ["path", "mode", "queues"]
    /// The keys of other ports that a vhost-user port does not take: Sluice derives them from its own.
    static let notForVhostUser = ["devargs", "rx-queues", "tx-queues"]
}
