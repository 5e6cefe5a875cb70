extension ChangeRules {
    /// Groups, rules, memberships and timeouts live in each generation's tables; the connection table is
    /// allocated once at startup (`max-connections`).
    static let securityGroups = [
        ChangeRule("security-groups", .inPlace),
        ChangeRule("conntrack.max-connections", .restart),
        ChangeRule("conntrack.max-connections-per-port", .inPlace),
        ChangeRule("conntrack.timeouts", .inPlace),
        ChangeRule("ports[].security-groups", .inPlace),
    ]
}
