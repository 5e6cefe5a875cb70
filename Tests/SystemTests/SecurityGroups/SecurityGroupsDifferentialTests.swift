import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// The differential test against Linux netfilter conntrack (issue 13; docs/security-groups.md): the same
    /// crafted frames (tools/sg-diff.py: TCP lifecycles, RSTs in and out of window, a stray ACK, a SYN to an
    /// established connection, retransmissions, UDP request/reply, ICMP echo and errors quoting a tracked
    /// connection) sent one at a time between two silent interfaces (a client 10.77.0.1 and a server 10.77.0.2)
    /// through (a) a Linux bridge whose bridged IPv4 crosses an nftables `ct state` forward chain, and (b)
    /// sluiced with the server on a filtered port; the verdict of every frame (it arrived on the far side or
    /// not) must be the same, except for the deliberate differences listed in `deliberate`.
    @Suite("Security groups: differential test against netfilter", .serialized)
    struct SecurityGroupsDifferential {
        /// The server's group: TCP 22, UDP 53 and ping in from anyone, everything out (no egress key).
        static let group = """
            security-groups:
              - name: srv
                ingress:
                  - {protocol: tcp, ports: 22}
                  - {protocol: udp, ports: 53}
                  - {protocol: icmp, icmp-type: 8}
            """

        /// The same policy as a netfilter ruleset: what is established or related passes, a new connection
        /// passes when the server opens it or when it is one the group admits; nothing else.
        static let ruleset = """
            table inet sg {
              chain forward {
                type filter hook forward priority 0; policy drop;
                ct state established,related accept
                ct state new ip saddr 10.77.0.2 accept
                ct state new ip daddr 10.77.0.2 tcp dport 22 accept
                ct state new ip daddr 10.77.0.2 udp dport 53 accept
                ct state new ip daddr 10.77.0.2 icmp type echo-request accept
              }
            }
            """

        /// Frames ("scenario/step") whose verdicts differ on purpose: netfilter's verdict, Sluice's, and why.
        static let deliberate: [String: (kernel: String, sluice: String, why: String)] = [
            "rst-in-window/3": (
                "pass", "drop",
                "an RST inside the window but not at the sender's next sequence: netfilter passes it (and keeps the "
                    + "connection); Sluice applies RFC 5961's exact-sequence rule, as Linux's own TCP does, and drops it"
            )
        ]

        struct Verdict: Decodable {
            let scenario: String
            let step: Int
            let what: String
            let from: String
            let verdict: String
        }

        /// Runs tools/sg-diff.py in `namespace` between its interfaces `client` and `server`.
        static func verdicts(_ namespace: Namespace, client: String, server: String) throws -> [String: Verdict] {
            let output = try namespace.exec(
                [System.repositoryFile("tools/sg-diff.py"), "run", client, server], timeout: .seconds(180))
            var result: [String: Verdict] = [:]
            var done = -1
            for line in output.split(separator: "\n") where line.hasPrefix("{") {
                let data = Data(line.utf8)
                if let verdict = try? JSONDecoder().decode(Verdict.self, from: data) {
                    result["\(verdict.scenario)/\(verdict.step)"] = verdict
                } else if let object = try JSONSerialization.jsonObject(with: data) as? [String: Int] {
                    done = object["done"] ?? -1
                }
            }
            guard done == result.count, done > 0 else {
                throw TestFailure("sg-diff.py did not finish (\(done) of \(result.count)):\n\(output)")
            }
            return result
        }

        /// (a): the bridge in its own namespace, both hosts' interfaces in another.
        static func kernelVerdicts(tag: String) throws -> [String: Verdict] {
            let bridge = try Namespace.create("\(tag)kb")
            defer { bridge.delete() }
            let hosts = try Namespace.create("\(tag)kh")
            defer { hosts.delete() }
            for ns in [bridge, hosts] {
                try ns.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
                try ns.exec(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
            }
            try bridge.exec(["ip", "link", "add", "br0", "type", "bridge"])
            try bridge.exec(["ip", "link", "set", "br0", "up"])
            for (inner, outer, mac) in [("bc", "ec", "02:00:00:77:00:01"), ("bs", "es", "02:00:00:77:00:02")] {
                try bridge.exec([
                    "ip", "link", "add", inner, "type", "veth", "peer", "name", outer, "netns", hosts.name,
                ])
                try bridge.exec(["ip", "link", "set", inner, "master", "br0", "up"])
                try hosts.exec(["ip", "link", "set", outer, "address", mac, "up"])
            }
            // Bridged IPv4 through the inet hooks (br_netfilter); a mid-stream ACK never opens a connection
            // (as in Sluice: only a SYN does).
            try bridge.exec(["sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1"])
            try bridge.exec(["sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0"])
            let rules = try System.scratchDirectory("sgt-nft").appendingPathComponent("rules.nft")
            defer { try? FileManager.default.removeItem(at: rules.deletingLastPathComponent()) }
            try ruleset.write(to: rules, atomically: true, encoding: .utf8)
            try bridge.exec(["nft", "-f", rules.path])
            return try verdicts(hosts, client: "ec", server: "es")
        }

        /// (b): sluiced with the client on an unfiltered port and the server in group `srv`.
        static func sluiceVerdicts(tag: String) throws -> [String: Verdict] {
            let hosts = try Namespace.create("\(tag)sh")
            defer { hosts.delete() }
            let (client, server) = ("\(tag)tc", "\(tag)ts")
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    \(group)
                    ports:
                      - name: c
                        devargs: "net_tap_dc,iface=\(client)"
                      - name: s
                        devargs: "net_tap_ds,iface=\(server)"
                        security-groups: [srv]
                    """, label: "sg-diff")
            defer {
                _ = try? daemon.stop()
                daemon.removeDirectory()
            }
            try daemon.waitReady()
            try hosts.adoptSilent(interface: client, mac: "02:00:00:77:00:01")
            try hosts.adoptSilent(interface: server, mac: "02:00:00:77:00:02")
            return try verdicts(hosts, client: client, server: server)
        }

        @Test func verdictsAgreeWithNetfilterConntrack() throws {
            let tag = "sgt\(getpid() % 100_000)"
            let kernel = try Self.kernelVerdicts(tag: tag)
            let sluice = try Self.sluiceVerdicts(tag: tag)
            #expect(kernel.keys.sorted() == sluice.keys.sorted())
            // Both sides drop and pass: a firewall that lets nothing (or everything) through agrees with nothing.
            #expect(kernel.values.contains { $0.verdict == "drop" } && kernel.values.contains { $0.verdict == "pass" })
            var disagreements: [String] = []
            for key in kernel.keys.sorted() {
                guard let k = kernel[key], let s = sluice[key] else { continue }
                let expected = Self.deliberate[key]
                let want = expected.map { ($0.kernel, $0.sluice) } ?? (k.verdict, k.verdict)
                if (k.verdict, s.verdict) != want {
                    disagreements.append(
                        "\(key) (\(k.what), from the \(k.from == "c" ? "client" : "server")): netfilter \(k.verdict), "
                            + "Sluice \(s.verdict)" + (expected.map { ", expected \($0.kernel)/\($0.sluice)" } ?? ""))
                }
            }
            #expect(disagreements.isEmpty, "\(disagreements.joined(separator: "\n"))")
        }
    }
}
