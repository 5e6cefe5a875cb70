extension ChangeRules {
    /// EAL and the packet pool are set up once, before any port exists: every key needs a restart.
    static let eal = [
        ChangeRule("eal", .restart),
        ChangeRule("mempool", .restart),
    ]
}
