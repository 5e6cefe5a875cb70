extension ConfigKeys {
    /// A `dhcp` list entry's keys (one VLAN's responder), in documentation order.
    static let dhcpNetwork = [
        "vlan", "subnet", "server", "server-mac", "router", "dns", "domain", "lease-seconds", "mtu", "routes", "pool",
    ]
    static let dhcpRoute = ["destination", "via"]
    /// DHCP's sub-mapping on a port.
    static let dhcpPort = ["dhcp"]
    static let dhcp = ["address"]
}
