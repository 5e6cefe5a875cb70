import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Security groups between Linux hosts (issue 13; docs/security-groups.md), each host in a namespace on a
    /// net_tap access port of one sluiced with one PMD, talking with the kernel's TCP, UDP and ping:
    ///
    ///   port  address      groups                       what the groups allow
    ///   p     10.78.0.10   protected                    in: TCP 22 and 2222, UDP 7000, ping, from admin's members
    ///   a     10.78.0.11   admin (no rules)             out: anything; in: nothing
    ///   n     10.78.0.12   - (unfiltered)
    ///   f     10.78.0.13   plain (no rules)             out: anything; in: nothing
    @Suite("Security groups between Linux hosts", .serialized)
    struct SecurityGroupsSystem {
        static let ports = ["p": 10, "a": 11, "n": 12, "f": 13]

        static func config(_ hosts: SecurityGroupHosts, perPortLimit: Int = 4096) throws -> String {
            func port(_ name: String, groups: String?, security: Bool) throws -> String {
                let host = try hosts.host(name)
                var text = """
                      - name: \(name)
                        devargs: "net_tap_sg\(name),iface=\(host.tap)"
                    """
                if let groups { text += "\n    security-groups: [\(groups)]" }
                if security { text += "\n    port-security: {mac: \"\(host.mac)\", ips: [\(host.address)]}" }
                return text
            }
            return """
                \(testEAL())
                security-groups:
                  - name: protected
                    ingress:
                      - {protocol: tcp, ports: 22, remote-group: admin}
                      - {protocol: tcp, ports: 2222, remote-group: admin}
                      - {protocol: udp, ports: 7000, remote-group: admin}
                      - {protocol: icmp, icmp-type: 8, remote-group: admin}
                  - name: admin
                  - name: plain
                conntrack: {max-connections: 1024, max-connections-per-port: \(perPortLimit)}
                ports:
                \(try port("p", groups: "protected", security: true))
                \(try port("a", groups: "admin", security: true))
                \(try port("n", groups: nil, security: false))
                \(try port("f", groups: "plain", security: false))
                """
        }

        static func stage(_ daemon: SluicedProcess) throws -> StageStatus {
            guard let stage = try daemon.stages()["security-groups"] else {
                throw TestFailure("no security-groups stage")
            }
            return stage
        }

        @Test func membersConnectOthersDoNotAndARemovedRuleClosesItsConnections() throws {
            let hosts = try SecurityGroupHosts(ports: Self.ports)
            defer { hosts.remove() }
            let daemon = try hosts.start(config: try Self.config(hosts), label: "sg-rules")
            try hosts.serve("p", tcp: [22, 80, 2222], udp: [7000])
            try hosts.serve("n", tcp: [8080], udp: [7001])
            try hosts.serve("a", tcp: [8080], udp: [])

            // TCP 22 from admin's members only; port 80 has no rule.
            #expect(try hosts.connects("a", "p", port: 22), "a member of admin connects to 22\n\(daemon.log)")
            #expect(try !hosts.connects("n", "p", port: 22), "a host outside admin cannot")
            #expect(try !hosts.connects("a", "p", port: 80), "port 80 is refused")
            // The protected host's own connections and their replies; a's group admits nothing in.
            #expect(try hosts.connects("p", "n", port: 8080), "p's outgoing connection and its replies")
            #expect(try !hosts.connects("p", "a", port: 8080), "a's ingress allows nothing")
            // UDP request and reply, both ways.
            #expect(try hosts.udpReplies("a", "p", port: 7000))
            #expect(try !hosts.udpReplies("n", "p", port: 7000))
            #expect(try hosts.udpReplies("p", "n", port: 7001), "p's own request and the reply")
            // Ping only where a rule allows it (and the protected host's own pings).
            #expect(try hosts.pings("a", "p"))
            #expect(try !hosts.pings("n", "p"))
            #expect(try hosts.pings("p", "n"))

            // The groups as sluicectl shows them: members and the new connections each rule admitted.
            let groups = try hosts.ctl(["sg", "--json"], as: [SecurityGroupStatus].self)
            let protected = try #require(groups.first { $0.name == "protected" })
            #expect(protected.members == ["p"] && groups.first { $0.name == "admin" }?.members == ["a"])
            func hits(_ fragment: String) -> UInt64? {
                protected.rules.first { $0.direction == "ingress" && $0.rule.contains(fragment) }?.hits
            }
            #expect(hits("tcp 22 ") == 1, "\(protected.rules)")
            #expect(hits("tcp 2222") == 0, "\(protected.rules)")
            #expect(hits("udp 7000") == 1, "\(protected.rules)")
            #expect(hits("icmp") == 1, "\(protected.rules)")
            // The connections sluicectl lists are the ones that were let through.
            let list = try hosts.ctl(["conntrack", "list", "--json"], as: [ConnectionStatus].self)
            let (p, a, n) = (try hosts.host("p"), try hosts.host("a"), try hosts.host("n"))
            #expect(
                list.contains {
                    $0.proto == "tcp" && $0.source == a.address && $0.destination == p.address
                        && $0.destinationPort == 22 && $0.initiatorPort == "a" && $0.responderPort == "p"
                }, "\(list)")
            #expect(
                list.contains {
                    $0.proto == "tcp" && $0.source == p.address && $0.destinationPort == 8080
                        && $0.destination == n.address && $0.packetsReply > 0
                }, "\(list)")
            #expect(
                list.contains { $0.proto == "udp" && $0.source == a.address && $0.destinationPort == 7000 },
                "\(list)")
            #expect(list.contains { $0.proto == "icmp" && $0.source == a.address && $0.destination == p.address })
            #expect(!list.contains { $0.source == n.address && $0.destination == p.address }, "\(list)")
            #expect(!list.contains { $0.destinationPort == 80 }, "\(list)")
            let ofN = try hosts.ctl(["conntrack", "list", "--port", "n", "--json"], as: [ConnectionStatus].self)
            #expect(!ofN.isEmpty && ofN.allSatisfy { $0.initiatorPort == "n" || $0.responderPort == "n" }, "\(ofN)")
            let refused = try Self.stage(daemon)
            #expect((refused.drops["sg-no-rule"] ?? 0) >= 5, "\(refused.drops)")

            // A rule removed under traffic: the SSH stream stops within a second or two, 2222's goes on.
            let ssh = try hosts.background("a", ["stream", p.address, "22"], label: "stream-22")
            let other = try hosts.background("a", ["stream", p.address, "2222"], label: "stream-2222")
            try ssh.waitReady("the stream to 22 to connect")
            try other.waitReady("the stream to 2222 to connect")
            try System.waitUntil("both streams to carry data", timeout: .seconds(20)) {
                ssh.echoed > 2000 && other.echoed > 2000
            }
            let invalidBefore = try Self.stage(daemon).drops["ct-invalid"] ?? 0
            try hosts.apply { text in
                text.replacingOccurrences(of: "      - {protocol: tcp, ports: 22, remote-group: admin}\n", with: "")
            }
            let applied = ContinuousClock.now
            var last = ssh.echoed
            var lastGrowth = applied
            try System.waitUntil("the stream to 22 to stop", timeout: .seconds(10)) {
                let now = ssh.echoed
                if now != last {
                    last = now
                    lastGrowth = .now
                }
                return ContinuousClock.now - lastGrowth > .seconds(1.5)
            }
            #expect(lastGrowth - applied < .seconds(2.5), "the stream stopped \(lastGrowth - applied) after the apply")
            let otherBefore = other.echoed
            try System.waitUntil("the stream to 2222 to go on", timeout: .seconds(10)) {
                other.echoed > otherBefore + 2000
            }
            #expect(ssh.echoed == last, "no SSH data got through any more")
            #expect((try Self.stage(daemon).drops["ct-invalid"] ?? 0) > invalidBefore, "its segments are ct-invalid")
            let after = try hosts.ctl(["conntrack", "list", "--json"], as: [ConnectionStatus].self)
            #expect(!after.contains { $0.destinationPort == 22 && $0.state == "established" }, "\(after)")
            #expect(after.contains { $0.destinationPort == 2222 && $0.state == "established" }, "\(after)")
            let rules = try hosts.ctl(["sg", "protected", "--json"], as: [SecurityGroupStatus].self).first?.rules
            #expect(rules?.contains { $0.rule.contains("tcp 22 ") } == false, "\(String(describing: rules))")
            #expect(rules?.first { $0.rule.contains("tcp 2222") }?.hits == 1, "\(String(describing: rules))")
            #expect(try !hosts.connects("a", "p", port: 22), "no new SSH connection either")
        }

        @Test func aSYNFloodFillsTheTableOrItsPortLimitWithoutDisturbingAnotherVMsFlow() throws {
            let hosts = try SecurityGroupHosts(ports: Self.ports)
            defer { hosts.remove() }
            let daemon = try hosts.start(config: try Self.config(hosts), label: "sg-limits")
            try hosts.serve("p", tcp: [2222], udp: [])
            try hosts.serve("n", tcp: [8080], udp: [])
            let p = try hosts.host("p")
            let n = try hosts.host("n")
            let flow = try hosts.background("a", ["stream", p.address, "2222"], label: "stream-limits")
            try flow.waitReady("the stream to 2222 to connect")
            try System.waitUntil("the stream to carry data", timeout: .seconds(20)) { flow.echoed > 2000 }
            func flowPackets() throws -> UInt64 {
                let list = try hosts.ctl(
                    ["conntrack", "list", "--port", "a", "--json"], as: [ConnectionStatus].self)
                guard let entry = list.first(where: { $0.destinationPort == 2222 && $0.state == "established" })
                else { throw TestFailure("the stream's connection is not listed as established: \(list)") }
                return entry.packetsOriginal + entry.packetsReply
            }

            // Phase 1: f floods n with SYNs of random ports; the table (1024) fills up before f's limit (4096).
            let packetsBefore = try flowPackets()
            let echoedBefore = flow.echoed
            let flood = try hosts.host("f").namespace.run(
                [SecurityGroupHosts.tool, "synflood", n.address, "--count", "3000", "--rate", "5000"],
                timeout: .seconds(60))
            #expect(flood.status == 0 && flood.output.contains("\"sent\": 3000"), "\(flood.output)")
            let full = try Self.stage(daemon)
            #expect((full.drops["ct-table-full"] ?? 0) > 0, "\(full.drops)")
            try System.waitUntil("the established stream to go on", timeout: .seconds(10)) {
                flow.echoed > echoedBefore + 5000
            }
            #expect(try flowPackets() > packetsBefore, "its packets are still counted")
            let stats = try hosts.ctl(["conntrack", "stats", "--json"], as: ConntrackStats.self)
            #expect(stats.capacity == 1024 && (stats.ports["f"] ?? 0) > 500, "\(stats)")

            // Phase 2: a limit of 32 per port, f's connections flushed, and another flood.
            try hosts.apply {
                $0.replacingOccurrences(of: "max-connections-per-port: 4096", with: "max-connections-per-port: 32")
            }
            let flushed = try hosts.ctl(["conntrack", "flush", "--port", "f", "--json"], as: ConntrackFlushResult.self)
            #expect(flushed.flushed > 500, "\(flushed)")
            // Flushed slots are reused after a grace period, at the control thread's next pass (about a second):
            // then another VM's new connection finds room again.
            try System.waitUntil("another VM's new connection to find room in the table", timeout: .seconds(30)) {
                try hosts.connects("a", "n", port: 8080)
            }
            let limitBefore = try Self.stage(daemon).drops["ct-port-limit"] ?? 0
            let echoedBefore2 = flow.echoed
            let second = try hosts.host("f").namespace.run(
                [SecurityGroupHosts.tool, "synflood", n.address, "--count", "500", "--rate", "5000", "--seed", "2"],
                timeout: .seconds(60))
            #expect(second.status == 0, "\(second.output)")
            let limited = try Self.stage(daemon)
            #expect((limited.drops["ct-port-limit"] ?? 0) >= limitBefore + 400, "\(limited.drops)")
            try System.waitUntil("the established stream to go on", timeout: .seconds(10)) {
                flow.echoed > echoedBefore2 + 5000
            }
            let capped = try hosts.ctl(["conntrack", "stats", "--json"], as: ConntrackStats.self)
            #expect((capped.ports["f"] ?? 0) <= 32 && capped.perPortLimit == 32, "\(capped)")
            // With f held to 32, the table keeps room for another VM's new connections.
            #expect(try hosts.connects("a", "n", port: 8080))
        }
    }
}
