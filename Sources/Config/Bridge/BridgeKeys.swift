extension ConfigKeys {
    /// The bridge's keys on a port (flat keys, from before features had a sub-mapping of their own).
    static let bridgePort = ["vlan", "max-macs", "port-security", "static-macs"]
    static let l2 = ["mac-aging-seconds", "max-macs-per-port", "mac-table-size"]
    static let vlan = ["mode", "id", "allowed", "native"]
    static let vlanModes = ["access", "trunk"]
    static let portSecurity = ["mac", "ips"]
    static let staticMAC = ["mac", "vlan"]
}
