extension ConfigKeys {
    /// A security group (an element of `security-groups`).
    static let securityGroup = ["name", "ingress", "egress"]
    /// A rule of a group's `ingress` or `egress` list.
    static let securityGroupRule = [
        "ethertype", "protocol", "ports", "icmp-type", "icmp-code", "remote-cidr", "remote-group",
    ]
    static let conntrack = ["max-connections", "max-connections-per-port", "timeouts"]
    static let conntrackTimeouts = ConntrackTimeouts().entries.map(\.key)
    /// The port's key: the list of groups it belongs to.
    static let securityGroupsPort = ["security-groups"]
}
