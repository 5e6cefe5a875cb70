import Config

extension BenchScenario {
    /// A permissive group (any IPv4/IPv6 in, the default allow-all out) on both ports, destinations known, and
    /// a table large enough for the million-flow trace: every packet goes through the connection tracker.
    static func permissiveSecurityGroups(_ setup: inout BenchSetup) {
        setup.config.securityGroups = [
            SecurityGroupConfig(
                name: "bench", ingress: [SecurityGroupRule(ethertype: .ipv4), SecurityGroupRule(ethertype: .ipv6)])
        ]
        setup.config.conntrack.maxConnections = 1 << 21
        setup.config.conntrack.maxPerPort = 1 << 22
        setup.source.securityGroups = ["bench"]
        setup.sink.securityGroups = ["bench"]
        setup.knowDestinationsOnSink()
    }

    static let securityGroupsScenarios: [BenchScenario] = [
        BenchScenario("sg", "l2 with a permissive security group on both ports (one-way traffic: udp-* traces)") {
            permissiveSecurityGroups(&$0)
        },
        BenchScenario("sg-tcp", "sg over tcp-1k: handshakes, data and FINs through the TCP state machine") {
            permissiveSecurityGroups(&$0)
        },
    ]
}
