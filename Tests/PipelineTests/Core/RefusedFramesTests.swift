import DPDK
import Packet
import Pipeline
import Testing

// What a switch must refuse, and what it must not, through the whole pipeline (the real rx and tx path, as
// SwitchPipelineTests): a group source MAC is dropped at parse, so it is never learned and never flooded; a
// frame over its ingress port's MTU is dropped; frames shorter than the 60-byte Ethernet minimum are
// forwarded as they are (docs/packet-parsing.md, "Short frames").
//
//   port 0: access VLAN 10, MTU 1500     port 1: access VLAN 10, MTU 1500
//   port 2: access VLAN 20, MTU 9000     port 3: trunk 10, 20, no native VLAN, MTU 9000
extension DPDKBackedTests {
    @Suite struct RefusedFramesTests {
        static let a = Host.a, b = Host.b, c = Host.c, d = Host.d

        static func bridge() -> BridgeTables {
            BridgeTables(ports: [
                BridgePortSpec(vlanMode: .access(vlan: 10), mtu: 1500),
                BridgePortSpec(vlanMode: .access(vlan: 10), mtu: 1500),
                BridgePortSpec(vlanMode: .access(vlan: 20), mtu: 9000),
                BridgePortSpec(vlanMode: .trunk(allowed: [10, 20], native: nil), mtu: 9000),
            ])
        }

        /// An IPv4/UDP frame from `from` to `to` with exactly `payload` bytes after the Ethernet header and tag.
        static func frame(from: Host, to: Host, payload: Int, tags: [(UInt16, UInt16)] = []) -> [UInt8] {
            F.ethernet(
                dst: to.mac, src: from.mac, tags: tags, type: 0x0800,
                F.ipv4(
                    src: from.ipv4, dst: to.ipv4, proto: 17,
                    F.udp(src: 1, dst: 2, [UInt8](repeating: 0x5a, count: payload - 28))))
        }

        @Test("a multicast or broadcast source MAC is dropped at parse: not learned, not flooded, counted")
        func groupSourceIsRefused() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                let table = MACTable(capacity: 64, ports: 4, seed: 11)
                defer { withExtendedLifetime((tables, table)) {} }
                var pipeline = makeSwitchPipeline(bridge: tables, table: table, targets: env.targets())
                var burst = PacketBurst(capacity: 32)
                let udp = F.udp(src: 1, dst: 2, [1, 2, 3])
                let refused = [
                    // A multicast source, to a broadcast: would be flooded to port 1 and the trunk.
                    F.ethernet(
                        dst: F.broadcast, src: F.ipv4Multicast, type: 0x0800,
                        F.ipv4(src: Self.a.ipv4, dst: Self.b.ipv4, proto: 17, udp)),
                    // A broadcast source, to an unknown unicast: would be flooded too.
                    F.ethernet(
                        dst: Self.b.mac, src: F.broadcast, type: 0x0806,
                        F.arp(op: 1, sha: Self.a.mac, spa: Self.a.ipv4, tpa: Self.b.ipv4)),
                    // An IPv6 multicast source, tagged with VID 0 (priority): the tag changes nothing.
                    F.ethernet(
                        dst: Self.b.mac, src: F.ipv6Multicast, tags: F.dot1q(0), type: 0x0800,
                        F.ipv4(src: Self.a.ipv4, dst: Self.b.ipv4, proto: 17, udp)),
                ]
                #expect(env.inject(frames: refused, port: 0, queue: 1) == 3)
                let result = pollOnce(&pipeline, burst: &burst, port: env.ports[0], queue: 1, ingress: 0)
                #expect(result.received == 3 && result.leftOver == 0)
                env.expectOutputs([:], "group sources")
                #expect(table.count == 0)
                #expect(pipeline.parse.snapshot.drops[Int(ParseError.groupSourceMAC.rawValue)] == 3)
                #expect(pipeline.l2.snapshot.packetsIn == 0)
                // The same broadcast from A's own (individual) address floods as usual.
                let arp = F.arpRequest(from: Self.a, for: Self.b.ipv4)
                env.inject(frames: [arp], port: 0, queue: 1)
                pollOnce(&pipeline, burst: &burst, port: env.ports[0], queue: 1, ingress: 0)
                env.expectOutputs([1: [arp], 3: [F.pushTag(arp, tci: 10)]], "A's broadcast")
                #expect(table.count == 1)
            }
        }

        @Test("a frame over its ingress port's MTU is dropped; exactly the MTU passes, tagged and untagged")
        func ingressMTU() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                let table = MACTable(capacity: 64, ports: 4, seed: 11)
                defer { withExtendedLifetime((tables, table)) {} }
                var pipeline = makeSwitchPipeline(bridge: tables, table: table, targets: env.targets())
                var burst = PacketBurst(capacity: 32)
                // Port 1 (MTU 1500): 1500 bytes after the header pass, 1501 do not.
                let fits = Self.frame(from: Self.b, to: Self.a, payload: 1500)
                let over = Self.frame(from: Self.b, to: Self.a, payload: 1501)
                env.inject(frames: [over, fits], port: 1, queue: 1)
                pollOnce(&pipeline, burst: &burst, port: env.ports[1], queue: 1, ingress: 1)
                env.expectOutputs([0: [fits], 3: [F.pushTag(fits, tci: 10)]], "port 1, MTU 1500")
                // The trunk (MTU 9000): a tagged frame with 1501 bytes after the tag passes.
                let tagged = Self.frame(from: Self.d, to: Self.c, payload: 1501, tags: F.dot1q(20))
                env.inject(frames: [tagged], port: 3, queue: 1)
                pollOnce(&pipeline, burst: &burst, port: env.ports[3], queue: 1, ingress: 3)
                env.expectOutputs([2: [F.popTag(tagged)]], "trunk, MTU 9000")
                var drops = [UInt64](repeating: 0, count: ParseStage.dropReasons.count)
                drops[Int(ParseError.exceedsMTU.rawValue)] = 1
                #expect(
                    pipeline.parse.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 2, packetsIn: 3, packetsOut: 2, drops: drops))
            }
        }

        @Test("frames shorter than 60 bytes are forwarded as they are: not padded, not dropped")
        func shortFramesAreForwardedUnchanged() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                let table = MACTable(capacity: 64, ports: 4, seed: 11)
                defer { withExtendedLifetime((tables, table)) {} }
                var pipeline = makeSwitchPipeline(bridge: tables, table: table, targets: env.targets())
                var burst = PacketBurst(capacity: 32)
                // An ARP request as a virtio guest sends it: 42 bytes, no padding.
                let arp = F.ethernet(
                    dst: F.broadcast, src: Self.a.mac, type: 0x0806,
                    F.arp(op: 1, sha: Self.a.mac, spa: Self.a.ipv4, tpa: Self.b.ipv4), minimum: 0)
                // A bare Ethernet header with an EtherType the parser does not know: 14 bytes, the shortest.
                let bare = F.ethernet(dst: Self.b.mac, src: Self.a.mac, type: 0x88b5, minimum: 0)
                #expect(arp.count == 42 && bare.count == 14)
                env.inject(frames: [arp, bare], port: 0, queue: 1)
                pollOnce(&pipeline, burst: &burst, port: env.ports[0], queue: 1, ingress: 0)
                env.expectOutputs(
                    [1: [arp, bare], 3: [F.pushTag(arp, tci: 10), F.pushTag(bare, tci: 10)]], "short frames")
                // Popping a tag makes a short frame shorter still: 46 bytes in on the trunk, 42 out.
                let tagged = F.ethernet(
                    dst: F.broadcast, src: Self.d.mac, tags: F.dot1q(10), type: 0x0806,
                    F.arp(op: 1, sha: Self.d.mac, spa: Self.d.ipv4, tpa: Self.a.ipv4), minimum: 0)
                env.inject(frames: [tagged], port: 3, queue: 1)
                pollOnce(&pipeline, burst: &burst, port: env.ports[3], queue: 1, ingress: 3)
                env.expectOutputs([0: [F.popTag(tagged)], 1: [F.popTag(tagged)]], "short tagged frame")
                #expect(F.popTag(tagged).count == 42)
                #expect(pipeline.parse.snapshot.drops.allSatisfy { $0 == 0 })
            }
        }
    }
}
