@testable import Config

/// The security-group settings of `RichConfigs`' DPDK pair: every key, with different values on each side.
enum SecurityGroupsRich {
    static func file(_ base: SluiceConfig) -> SluiceConfig {
        var config = base
        config.securityGroups = [
            SecurityGroupConfig(
                name: "web",
                ingress: [
                    SecurityGroupRule(proto: SecurityGroupRule.tcp, ports: 22...22, remoteGroup: "admin"),
                    SecurityGroupRule(
                        proto: SecurityGroupRule.icmp, icmpType: 8, icmpCode: 0, remoteCIDR: "10.0.0.0/8"),
                ],
                egress: [
                    SecurityGroupRule(ethertype: .ipv6, proto: SecurityGroupRule.udp, ports: 53...53),
                    SecurityGroupRule(proto: SecurityGroupRule.icmp, icmpType: 0, icmpCode: 0, remoteGroup: "admin"),
                ]),
            SecurityGroupConfig(name: "admin"),
        ]
        config.conntrack = ConntrackConfig(maxConnections: 262_144, maxPerPort: 65_536)
        config.ports[0].securityGroups = ["web"]
        config.ports[1].securityGroups = ["admin", "web"]
        return config
    }

    static func state(_ base: SluiceConfig) -> SluiceConfig {
        var config = base
        var timeouts = ConntrackTimeouts()
        for (key, seconds) in timeouts.entries {
            timeouts[key] = seconds + 1
        }
        config.securityGroups = [
            SecurityGroupConfig(
                name: "db",
                ingress: [
                    SecurityGroupRule(proto: SecurityGroupRule.udp, ports: 5000...5100, remoteGroup: "ops"),
                    SecurityGroupRule(
                        ethertype: .ipv6, proto: SecurityGroupRule.icmpv6, icmpType: 128, icmpCode: 1,
                        remoteCIDR: "fd00::/16"),
                ],
                egress: [
                    SecurityGroupRule(proto: 132, remoteCIDR: "192.168.0.0/16"),
                    SecurityGroupRule(
                        ethertype: .ipv6, proto: SecurityGroupRule.icmpv6, icmpType: 129, icmpCode: 3,
                        remoteGroup: "db"),
                ]),
            SecurityGroupConfig(name: "ops", egress: []),
        ]
        config.conntrack = ConntrackConfig(maxConnections: 1024, maxPerPort: 100, timeouts: timeouts)
        config.ports[0].securityGroups = ["db", "ops"]
        config.ports[1].securityGroups = ["ops"]
        return config
    }
}
