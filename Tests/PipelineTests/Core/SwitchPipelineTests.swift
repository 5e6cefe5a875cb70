import DPDK
import Packet
import Pipeline
import Testing

// The whole pipeline on a small network, through the real rx path: each frame is injected on a port's queue
// 1 (its "wire"), polled from there as a PMD does (`pollOnce`), and what the bridge transmits is read back
// from queue 0 of every port, byte for byte. (Tags are pushed and popped on the frame as it is: a padded
// 60-byte frame leaves a trunk as 64 bytes and an untagged 56; NICs pad short frames on the wire.)
//
//   port 0: access VLAN 10, host A, port security (A's MAC, IPv4 and IPv6)
//   port 1: access VLAN 10, host B (and, later, F on the same segment)
//   port 2: access VLAN 20, host C
//   port 3: trunk 10, 20, no native VLAN; behind it D (VLAN 10) and E (VLAN 20)
extension DPDKBackedTests {
    @Suite struct SwitchPipelineTests {
        static let a = Host.a, b = Host.b, c = Host.c, d = Host.d, e = Host.e, f = Host.f
        static let tag10 = F.dot1q(10), tag20 = F.dot1q(20)

        static func bridge() -> BridgeTables {
            BridgeTables(ports: [
                BridgePortSpec(
                    vlanMode: .access(vlan: 10), allowedMAC: a.mac, allowedIPv4: [a.ipv4], allowedIPv6: [a.ipv6]),
                BridgePortSpec(vlanMode: .access(vlan: 10)),
                BridgePortSpec(vlanMode: .access(vlan: 20)),
                BridgePortSpec(vlanMode: .trunk(allowed: [10, 20], native: nil)),
            ])
        }

        /// One scripted step: frames arriving together on a port, and what every port must transmit.
        struct Step {
            var what: String
            var ingress: Int
            var frames: [[UInt8]]
            var out: [Int: [[UInt8]]]
        }

        static let script: [Step] = {
            let (a, b, c, d, e, f) = (Self.a, Self.b, Self.c, Self.d, Self.e, Self.f)
            let (tag10, tag20) = (Self.tag10, Self.tag20)
            let arpAB = F.arpRequest(from: a, for: b.ipv4)
            let arpD = F.arpRequest(from: d, for: a.ipv4, tags: tag10)
            let arpC = F.arpRequest(from: c, for: e.ipv4)
            let arpE = F.arpReply(from: e, to: c, tags: tag20)
            let cToA = F.udp4(from: c, to: a)
            let aToC = F.udp4(from: a, to: c)
            return [
                Step(
                    what: "A asks for B: flooded in VLAN 10 (B, and the trunk tagged)", ingress: 0, frames: [arpAB],
                    out: [1: [arpAB], 3: [F.pushTag(arpAB, tci: 10)]]),
                Step(
                    what: "B answers A: unicast", ingress: 1, frames: [F.arpReply(from: b, to: a)],
                    out: [0: [F.arpReply(from: b, to: a)]]),
                Step(
                    what: "A to B, UDP and ICMPv6, in one burst", ingress: 0,
                    frames: [F.udp4(from: a, to: b), F.ping6(from: a, to: b)],
                    out: [1: [F.udp4(from: a, to: b), F.ping6(from: a, to: b)]]),
                Step(
                    what: "B pings A", ingress: 1, frames: [F.ping4(from: b, to: a)],
                    out: [0: [F.ping4(from: b, to: a)]]),
                Step(
                    what: "D asks for A through the trunk: untagged to both access ports", ingress: 3, frames: [arpD],
                    out: [0: [F.popTag(arpD)], 1: [F.popTag(arpD)]]),
                Step(
                    what: "A to D: tagged onto the trunk", ingress: 0, frames: [F.udp4(from: a, to: d)],
                    out: [3: [F.pushTag(F.udp4(from: a, to: d), tci: 10)]]),
                Step(
                    what: "D to A: untagged to A", ingress: 3, frames: [F.udp4(from: d, to: a, tags: tag10)],
                    out: [0: [F.popTag(F.udp4(from: d, to: a, tags: tag10))]]),
                Step(
                    what: "C asks for E: VLAN 20 has only the trunk besides C", ingress: 2, frames: [arpC],
                    out: [3: [F.pushTag(arpC, tci: 20)]]),
                Step(what: "E answers C from the trunk", ingress: 3, frames: [arpE], out: [2: [F.popTag(arpE)]]),
                Step(
                    what: "C pings E", ingress: 2, frames: [F.ping4(from: c, to: e)],
                    out: [3: [F.pushTag(F.ping4(from: c, to: e), tci: 20)]]),
                Step(
                    what: "C to A's MAC: unknown in VLAN 20, flooded there only, never to A's port", ingress: 2,
                    frames: [cToA],
                    out: [3: [F.pushTag(cToA, tci: 20)]]),
                Step(
                    what: "A to C's MAC: unknown in VLAN 10, flooded there only, never to C's port", ingress: 0,
                    frames: [aToC],
                    out: [1: [aToC], 3: [F.pushTag(aToC, tci: 10)]]),
                Step(
                    what: "trunk: VLAN 30 is not allowed, untagged has no native VLAN", ingress: 3,
                    frames: [F.udp4(from: d, to: a, tags: F.dot1q(30)), F.udp4(from: d, to: a)], out: [:]),
                Step(
                    what: "a tagged frame on an access port", ingress: 1, frames: [F.udp4(from: b, to: a, tags: tag10)],
                    out: [:]),
                Step(
                    what: "A's port spoofing B's MAC, and an ARP claiming B's address", ingress: 0,
                    frames: [
                        F.udp4(from: b, to: a),
                        F.ethernet(
                            dst: F.broadcast, src: a.mac, type: 0x0806,
                            F.arp(op: 1, sha: a.mac, spa: b.ipv4, tpa: c.ipv4)),
                    ],
                    out: [:]),
                Step(
                    what: "a malformed frame (IPv4 cut short)", ingress: 1,
                    frames: [Array(F.udp4(from: b, to: a)[0..<30])], out: [:]),
                Step(
                    what: "F, on B's segment, to B: learned, and dropped (B heard it already)", ingress: 1,
                    frames: [F.udp4(from: f, to: b)], out: [:]),
            ]
        }()

        @Test("scripted exchange on four ports: exact frames out of every port, exact counters of every stage")
        func scriptedExchange() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                let table = MACTable(capacity: 256, ports: 4, seed: 11)
                defer { withExtendedLifetime((tables, table)) {} }
                let targets = env.targets()
                var pipeline = makeSwitchPipeline(bridge: tables, table: table, targets: targets)
                var burst = PacketBurst(capacity: 32)
                var sent = [UInt64](repeating: 0, count: 4)
                var sentBytes = [UInt64](repeating: 0, count: 4)
                for step in Self.script {
                    #expect(env.inject(frames: step.frames, port: step.ingress, queue: 1) == step.frames.count)
                    let result = pollOnce(
                        &pipeline, burst: &burst, port: env.ports[step.ingress], queue: 1, ingress: UInt16(step.ingress)
                    )
                    #expect(result.received == step.frames.count && result.leftOver == 0, "\(step.what)")
                    env.expectOutputs(step.out, step.what)
                    for (port, frames) in step.out {
                        sent[port] += UInt64(frames.count)
                        sentBytes[port] += UInt64(frames.reduce(0) { $0 + $1.count })
                    }
                }
                #expect(sent == [4, 5, 1, 6])
                for port in 0..<4 {
                    #expect(
                        PortSnapshot(targets[port].counters)
                            == PortSnapshot(txPackets: sent[port], txBytes: sentBytes[port]), "port \(port)")
                }

                // 17 bursts, 20 frames. Parse drops the cut frame (its burst stops there); port security the two
                // spoofed frames; VLAN three frames; L2 the frame for B from B's own port.
                var parseDrops = [UInt64](repeating: 0, count: ParseStage.dropReasons.count)
                parseDrops[Int(ParseError.truncatedIPv4.rawValue)] = 1
                #expect(
                    pipeline.parse.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 17, packetsIn: 20, packetsOut: 19, drops: parseDrops))
                #expect(
                    pipeline.portSecurity.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 16, packetsIn: 19, packetsOut: 17, drops: [1, 0, 0, 0, 1]))
                #expect(
                    pipeline.vlan.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 15, packetsIn: 17, packetsOut: 14, drops: [1, 1, 1]))
                // Learned A, B, D, C, E, F; floods: three ARP broadcasts and two unknown unicasts.
                #expect(
                    pipeline.l2.snapshot.ignoringCycles()
                        == StageSnapshot(
                            calls: 13, packetsIn: 14, packetsOut: 13, drops: [1, 0], events: [6, 0, 0, 0, 0, 5, 2]))
                // 13 packets in, 3 flood copies (A's ARP, D's ARP, A to C), 16 out.
                #expect(
                    pipeline.transmit.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 12, packetsIn: 13, packetsOut: 16, drops: txDrops()))
                #expect(
                    pipeline.patch.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 0, packetsIn: 0, packetsOut: 0, drops: []))
                let learned = Set(table.entries(now: 0).map { [UInt64($0.vlan), $0.mac, UInt64($0.port)] })
                let expected: Set<[UInt64]> = [
                    [10, Self.a.mac.rawValue, 0], [10, Self.b.mac.rawValue, 1], [10, Self.d.mac.rawValue, 3],
                    [20, Self.c.mac.rawValue, 2], [20, Self.e.mac.rawValue, 3], [10, Self.f.mac.rawValue, 1],
                ]
                #expect(learned == expected)
            }
        }

        @Test("the same frames from a patched port bypass the bridge: untouched, nothing learned")
        func patchedPortBypassesBridge() throws {
            try TestDPDK.run { env in
                // Ports 0 and 1 patched; 2 and 3 bridged in VLAN 10.
                let tables = BridgeTables(ports: [
                    BridgePortSpec(bridged: false), BridgePortSpec(bridged: false),
                    BridgePortSpec(vlanMode: .access(vlan: 10)),
                    BridgePortSpec(vlanMode: .trunk(allowed: [10], native: nil)),
                ])
                let table = MACTable(capacity: 64, ports: 4, seed: 11)
                defer { withExtendedLifetime((tables, table)) {} }
                var pipeline = makeSwitchPipeline(
                    peers: [1, 0, nil, nil], bridge: tables, table: table, targets: env.targets())
                var burst = PacketBurst(capacity: 32)
                // Tagged, broadcast, even malformed: a patch cable does not look.
                let frames = [
                    F.udp4(from: Self.a, to: Self.b, tags: F.dot1q(99)), F.arpRequest(from: Self.a, for: Self.b.ipv4),
                    [1, 2, 3],
                ]
                env.inject(frames: frames, port: 0, queue: 1)
                pollOnce(&pipeline, burst: &burst, port: env.ports[0], queue: 1, ingress: 0)
                env.expectOutputs([1: frames])
                #expect(table.count == 0)
                // The bridged ports: A's ARP from port 2 floods to the trunk only.
                let arp = F.arpRequest(from: Self.a, for: Self.b.ipv4)
                env.inject(frames: [arp], port: 2, queue: 1)
                pollOnce(&pipeline, burst: &burst, port: env.ports[2], queue: 1, ingress: 2)
                env.expectOutputs([3: [F.pushTag(arp, tci: 10)]])
                #expect(
                    pipeline.patch.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 3, packetsOut: 3, drops: []))
                #expect(pipeline.parse.snapshot.packetsIn == 1)
                #expect(
                    pipeline.transmit.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 2, packetsIn: 4, packetsOut: 4, drops: txDrops()))
                #expect(table.count == 1)
            }
        }
    }
}
