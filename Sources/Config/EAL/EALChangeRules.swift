extension ChangeRules {
    /// EAL and the packet pool are set up once, before any port exists: every key needs a restart, except
    /// the periodic rx queue rebalancing's, which the control thread reads at every check.
    static let eal = [
        ChangeRule("eal", .restart),
        ChangeRule("eal.rxq-rebalance-interval", .inPlace),
        ChangeRule("eal.rxq-rebalance-improvement", .inPlace),
        ChangeRule("mempool", .restart),
    ]
}
