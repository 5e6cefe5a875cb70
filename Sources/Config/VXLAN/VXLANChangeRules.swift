extension ChangeRules {
    /// Every VXLAN setting lives in the generation's tables: a change publishes a new generation (no device
    /// is touched; the uplink is an ordinary port). The VNI list and the remote MACs are sets.
    static let vxlan = [
        ChangeRule("vxlan", .inPlace),
        ChangeRule("vxlan.vnis", .inPlace, compared: .asSet),
        ChangeRule("vxlan.remote-macs", .inPlace, compared: .asSet),
    ]
}
