import Config
import Dataplane

extension BenchScenario {
    /// A permissive group (any IPv4/IPv6 in, the default allow-all out) on both ports, destinations known, and
    /// the table sized as an operator would for the trace's connections (`connectionTableSize`): every packet
    /// goes through the connection tracker.
    static func permissiveSecurityGroups(_ setup: inout BenchSetup) {
        addPermissiveGroup(&setup)
        setup.source.securityGroups = ["bench"]
        setup.sink.securityGroups = ["bench"]
        setup.knowDestinationsOnSink()
    }

    /// The group `bench` (any IPv4/IPv6 in, the default allow-all out) and the connection table sized for the
    /// trace; the ports that list it are the scenario's choice.
    static func addPermissiveGroup(_ setup: inout BenchSetup) {
        setup.config.securityGroups = [
            SecurityGroupConfig(
                name: "bench", ingress: [SecurityGroupRule(ethertype: .ipv4), SecurityGroupRule(ethertype: .ipv6)])
        ]
        setup.config.conntrack.maxConnections = connectionTableSize(setup.frames)
        setup.config.conntrack.maxPerPort = 1 << 22
    }

    /// The next power of two at or above twice the trace's IPv4 connections (both directions of one count
    /// once; at least 1024): 2,048 slots for udp-1k, 262,144 for udp-100k, 2,097,152 for udp-1m. Like the MAC
    /// table's (`macTableSize`): a table sized for millions with a thousand connections in it spreads them
    /// over hundreds of megabytes, and on this VM every lookup then misses the TLB (docs/security-groups.md).
    static func connectionTableSize(_ frames: [[UInt8]]) -> Int {
        var connections = Set<[UInt8]>()
        for frame in frames where frame.count >= 38 && frame[12] == 0x08 && frame[13] == 0x00 {
            let a = Array(frame[26..<30]) + frame[34..<36]
            let b = Array(frame[30..<34]) + frame[36..<38]
            connections.insert([frame[23]] + (a.lexicographicallyPrecedes(b) ? a + b : b + a))
        }
        var size = 1024
        while size < 2 * connections.count { size <<= 1 }
        return size
    }

    static let securityGroupsScenarios: [BenchScenario] = [
        BenchScenario("sg", "l2 with a permissive security group on both ports (one-way traffic: udp-* traces)") {
            permissiveSecurityGroups(&$0)
        },
        BenchScenario("sg-tcp", "sg over tcp-1k: handshakes, data and FINs through the TCP state machine") {
            permissiveSecurityGroups(&$0)
        },
        BenchScenario("sg-reply", "sg over udp-reply-1k: requests and replies, both directions of each connection") {
            permissiveSecurityGroups(&$0)
        },
        BenchScenario(
            "sg-new",
            "sg with the table flushed every 50 ms (udp-1m): nearly every packet opens a connection; "
                + "new connections per second = the stage's ct-new events / seconds (--json)"
        ) {
            permissiveSecurityGroups(&$0)
            $0.periodic = (
                0.05,
                { dataplane in
                    _ = try? dataplane.flushConnections(port: nil)
                    _ = dataplane.maintainConntrack()
                }
            )
        },
    ]
}
