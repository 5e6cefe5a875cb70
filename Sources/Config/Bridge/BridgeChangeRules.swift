extension ChangeRules {
    /// The bridge's settings live in each generation's tables, except the MAC table itself, which is
    /// allocated once at startup (`mac-table-size`).
    static let bridge = [
        ChangeRule("l2.mac-aging-seconds", .inPlace),
        ChangeRule("l2.max-macs-per-port", .inPlace),
        ChangeRule("l2.mac-table-size", .restart),
        // A VLAN's mode decides which of its keys exist, so it is compared (and summarised) as one value.
        ChangeRule("ports[].vlan", .inPlace, compared: .asWhole),
        ChangeRule("ports[].max-macs", .inPlace),
        ChangeRule("ports[].port-security", .inPlace),
        ChangeRule("ports[].port-security.ips", .inPlace, compared: .asSet),
        ChangeRule("ports[].static-macs", .inPlace, compared: .asSet),
    ]
}
