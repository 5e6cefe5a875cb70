extension ChangeRules {
    /// The responders' settings and the ports' addresses are generation tables: every change is in place.
    static let dhcp = [
        ChangeRule("dhcp", .inPlace),
        ChangeRule("ports[].dhcp", .inPlace),
    ]
}
