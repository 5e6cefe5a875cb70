import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests.SecurityGroupStageTests {
    /// An ICMP error toward a filtered port passes as RELATED only when the packet it quotes belongs to a tracked
    /// connection (A's UDP to B, opened by A's default egress); quoting an untracked flow, or cut short, it is
    /// ct-invalid. No ingress rule allows ICMP errors from B, so only the connection table can let one in.
    @Test("ICMP errors quoting a tracked connection pass as related; others are ct-invalid")
    func icmpErrorsAreRelatedOnlyToTrackedConnections() throws {
        try TestDPDK.run { env in
            let a = Self.a
            let b = Self.b
            let (groups, hits) = Self.tables()
            let bridge = Self.bridge()
            let conns = ConnTable(capacity: 1024, ports: 64, seed: 5)
            defer { withExtendedLifetime((groups, bridge, conns)) { hits.deallocate() } }
            var stage = SecurityGroupStage(
                groups: groups.view(pmd: 0), bridge: bridge.view, table: conns.view, tscHz: 1_000_000)

            // A (port 0) opens UDP 40000 → B:7.
            let request = F.udp4(from: a, to: b)
            #expect(Self.run(&stage, [(request, 1)], ingress: 0, env: env).count == 1)
            #expect(conns.entries().count == 1)

            /// B's "port unreachable" quoting `quoted` (an IPv4 packet: its header and 8 bytes of UDP).
            func unreachable(quoting quoted: [UInt8]) -> [UInt8] {
                let icmp: [UInt8] = [3, 3, 0, 0, 0, 0, 0, 0] + quoted
                return F.ethernet(
                    dst: a.mac, src: b.mac, type: 0x0800, F.ipv4(src: b.ipv4, dst: a.ipv4, proto: 1, icmp))
            }
            let trackedQuote = Array(request[14..<(14 + 28)])
            var untrackedQuote = trackedQuote
            untrackedQuote[20] = 0x9d  // another source port: 0x9d40 (40256) instead of 40000 (0x9c40)
            let errors: [([UInt8], UInt16)] = [
                (unreachable(quoting: trackedQuote), 0),
                (unreachable(quoting: untrackedQuote), 0),
                (unreachable(quoting: Array(trackedQuote[0..<20])), 0),  // the UDP header cut off
            ]
            let survivors = Self.run(&stage, errors, ingress: 1, env: env)
            #expect(survivors.map(\.0) == [errors[0].0])
            let snapshot = stage.snapshot
            #expect(snapshot.drops == [0, 2, 0, 0, 0], "both refusals are ct-invalid")
            #expect(snapshot.events[2] == 1, "one ct-related event")
            #expect(conns.entries().count == 1, "an ICMP error never opens a connection")
        }
    }
}
