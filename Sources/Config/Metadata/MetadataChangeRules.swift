extension ChangeRules {
    /// The intercept's settings and the ports' are generation tables: every change is in place. NAT entries
    /// survive (a port that stops being served, or whose pool address changes, loses its entries).
    static let metadata = [
        ChangeRule("metadata", .inPlace),
        ChangeRule("ports[].metadata", .inPlace),
    ]
}
