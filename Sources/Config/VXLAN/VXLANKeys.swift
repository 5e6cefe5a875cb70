extension ConfigKeys {
    /// The `vxlan` section's keys, in documentation order.
    static let vxlan = ["uplink", "address", "underlay-vlan", "gateway", "mtu", "ttl", "vnis", "remote-macs"]
    static let vxlanVNI = ["vni", "vlan", "flood"]
    static let vxlanRemoteMAC = ["mac", "vni", "vtep"]
}
