import DPDK
import Packet
import Pipeline
import Testing

// The transmit stage on bridged packets: flood expansion and per-port VLAN tagging, byte for byte.
//
// How the stage's counters add up when it floods: a flood to n ports is one packet in and n packets out (n - 1
// copies and the original), so the identity is
//     packets-in + copies = packets-out + sum(drops)
// where `copies` is, over every flooded packet with at least one output port, (its output ports - 1). Copies
// that could not be made count once each under copy-failed; packets-out counts what the ports took.
extension DPDKBackedTests {
    @Suite struct TransmitVLANTests {
        typealias Drop = TransmitStage.Drop
        static let flood = PacketMeta.flood

        /// Port 0 and 1: access VLAN 10. Port 2: trunk 10, 20 without native VLAN. Port 3: trunk 10, 20 with
        /// native VLAN 20.
        static func bridge() -> BridgeTables {
            BridgeTables(ports: [
                BridgePortSpec(vlanMode: .access(vlan: 10)),
                BridgePortSpec(vlanMode: .access(vlan: 10)),
                BridgePortSpec(vlanMode: .trunk(allowed: [10, 20], native: nil)),
                BridgePortSpec(vlanMode: .trunk(allowed: [10, 20], native: 20)),
            ])
        }

        struct Packet {
            var frame: [UInt8]
            /// The bridge VLAN (what the VLAN stage decided).
            var vlan: UInt16
            var egress: UInt16
        }

        static let unknown = Host(0x77)
        /// Untagged from A to an unknown host; tagged VID 10 with PCP 5; tagged VID 20; priority-tagged (PCP 5, VID 0).
        static let untagged = F.udp4(from: Host.a, to: unknown)
        static let tagged10 = F.udp4(from: Host.d, to: unknown, tags: F.dot1q(0xa00a))
        static let tagged20 = F.udp4(from: Host.e, to: unknown, tags: F.dot1q(0x0014))
        static let priority = F.udp4(from: Host.a, to: unknown, tags: F.dot1q(0xa000))

        /// Fills a burst from `ingress` with `packets`, their metadata as the earlier stages leave it (headers
        /// parsed, VLAN, tag flag, egress), runs the stage and returns the buffers the packets came in.
        @discardableResult
        static func run(
            _ stage: inout TransmitStage, _ packets: [Packet], ingress: UInt16, env: TestDPDK.Environment,
            headroom: Int? = nil
        ) -> [OpaquePointer] {
            var burst = PacketBurst(capacity: 32)
            for packet in packets { burst.packets.append(env.mbuf(packet.frame, headroom: headroom)) }
            burst.beginBurst(ingress: ingress)
            for (i, packet) in packets.enumerated() {
                _ = packet.frame.withUnsafeBytes {
                    PacketParser.parse($0.baseAddress!, length: $0.count, into: &burst.meta[i].headers)
                }
                burst.meta[i].vlan = packet.vlan
                burst.meta[i].tagged = burst.meta[i].headers.flags.contains(.vlanTagged)
                burst.meta[i].egress = packet.egress
            }
            let buffers = (0..<burst.count).map { burst.packets[$0].raw }
            _ = stage.run(&burst, since: readTSC())
            #expect(burst.count == 0, "the stage hands on or drops every packet")
            burst.releaseDropped()
            return buffers
        }

        /// Checks the identity in the header comment.
        static func expectAccounted(
            _ stage: borrowing TransmitStage, copies: UInt64, sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let c = stage.snapshot
            #expect(c.packetsIn + copies == c.packetsOut + c.drops.reduce(0, +), "\(c)", sourceLocation: sourceLocation)
        }

        @Test("flood from an access port: a copy per extra port, the original to the last; tag pushed toward trunks")
        func floodFromAccess() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                let targets = env.targets()
                var stage = TransmitStage(targets: targets, bridge: tables.view, capacity: 32)
                let original = Self.run(
                    &stage, [Packet(frame: Self.untagged, vlan: 10, egress: Self.flood)], ingress: 0, env: env)[0]
                let out = (0..<4).map { env.drainPackets(port: $0) }
                #expect(out[0].isEmpty, "never back to the ingress port")
                #expect(out[1].map(\.bytes) == [Self.untagged])
                #expect(out[2].map(\.bytes) == [F.pushTag(Self.untagged, tci: 10)])
                #expect(out[3].map(\.bytes) == [F.pushTag(Self.untagged, tci: 10)])
                #expect(out[3].first?.buffer == original, "the original goes to the last port")
                #expect(out[1].first?.buffer != original && out[2].first?.buffer != original)
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 1, packetsOut: 3, drops: txDrops()))
                Self.expectAccounted(stage, copies: 2)
                #expect(PortSnapshot(targets[0].counters) == PortSnapshot())
                #expect(PortSnapshot(targets[1].counters) == PortSnapshot(txPackets: 1, txBytes: 60))
                #expect(PortSnapshot(targets[2].counters) == PortSnapshot(txPackets: 1, txBytes: 64))
                #expect(PortSnapshot(targets[3].counters) == PortSnapshot(txPackets: 1, txBytes: 64))
            }
        }

        @Test(
            "floods from trunks: tag popped toward access ports and a native VLAN, kept trunk to trunk, pushed for a native VLAN"
        )
        func floodFromTrunks() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = TransmitStage(targets: env.targets(), bridge: tables.view, capacity: 32)
                Self.run(&stage, [Packet(frame: Self.tagged10, vlan: 10, egress: Self.flood)], ingress: 2, env: env)
                env.expectOutputs(
                    [0: [F.popTag(Self.tagged10)], 1: [F.popTag(Self.tagged10)], 3: [Self.tagged10]],
                    "VLAN 10 from port 2")
                Self.run(&stage, [Packet(frame: Self.tagged20, vlan: 20, egress: Self.flood)], ingress: 2, env: env)
                env.expectOutputs([3: [F.popTag(Self.tagged20)]], "VLAN 20 from port 2: port 3's native VLAN")
                let native = F.udp4(from: Host.e, to: Self.unknown)
                Self.run(&stage, [Packet(frame: native, vlan: 20, egress: Self.flood)], ingress: 3, env: env)
                env.expectOutputs([2: [F.pushTag(native, tci: 20)]], "native VLAN 20 from port 3")
                Self.run(&stage, [Packet(frame: Self.tagged10, vlan: 10, egress: Self.flood)], ingress: 3, env: env)
                env.expectOutputs(
                    [0: [F.popTag(Self.tagged10)], 1: [F.popTag(Self.tagged10)], 2: [Self.tagged10]],
                    "VLAN 10 from port 3")
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 4, packetsIn: 4, packetsOut: 8, drops: txDrops()))
                Self.expectAccounted(stage, copies: 2 + 0 + 0 + 2)
            }
        }

        @Test("priority-tagged frames: VID rewritten (priority kept) toward trunks, tag popped toward access ports")
        func priorityTagged() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = TransmitStage(targets: env.targets(), bridge: tables.view, capacity: 32)
                let p = Self.priority
                Self.run(&stage, [Packet(frame: p, vlan: 10, egress: Self.flood)], ingress: 0, env: env)
                env.expectOutputs([1: [F.popTag(p)], 2: [F.setTCI(p, 0xa00a)], 3: [F.setTCI(p, 0xa00a)]])
                Self.run(
                    &stage, [Packet(frame: p, vlan: 10, egress: 2), Packet(frame: p, vlan: 10, egress: 1)], ingress: 0,
                    env: env)
                env.expectOutputs([1: [F.popTag(p)], 2: [F.setTCI(p, 0xa00a)]])
                Self.expectAccounted(stage, copies: 2)
            }
        }

        @Test("unicast: each packet tagged as its port needs, per-port order following the burst, floods interleaved")
        func unicastAndOrder() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = TransmitStage(targets: env.targets(), bridge: tables.view, capacity: 32)
                let u = Self.untagged
                let u2 = F.ping4(from: Host.a, to: Host.b)
                let f2 = F.arpRequest(from: Host.a, for: Host.b.ipv4)
                Self.run(
                    &stage,
                    [
                        Packet(frame: u, vlan: 10, egress: Self.flood),
                        Packet(frame: u2, vlan: 10, egress: 1),
                        Packet(frame: u, vlan: 10, egress: 3),
                        Packet(frame: f2, vlan: 10, egress: Self.flood),
                        Packet(frame: u2, vlan: 10, egress: 2),
                    ], ingress: 0, env: env)
                env.expectOutputs([
                    1: [u, u2, f2],
                    2: [F.pushTag(u, tci: 10), F.pushTag(f2, tci: 10), F.pushTag(u2, tci: 10)],
                    3: [F.pushTag(u, tci: 10), F.pushTag(u, tci: 10), F.pushTag(f2, tci: 10)],
                ])
                // From a trunk: kept toward the other trunk, popped toward an access port and the native VLAN.
                Self.run(
                    &stage,
                    [
                        Packet(frame: Self.tagged10, vlan: 10, egress: 3),
                        Packet(frame: Self.tagged10, vlan: 10, egress: 0),
                        Packet(frame: Self.tagged20, vlan: 20, egress: 3),
                    ], ingress: 2, env: env)
                env.expectOutputs([0: [F.popTag(Self.tagged10)], 3: [Self.tagged10, F.popTag(Self.tagged20)]])
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 2, packetsIn: 8, packetsOut: 12, drops: txDrops()))
                Self.expectAccounted(stage, copies: 4)
            }
        }

        @Test("one-port bursts: all pushed, all popped, or per packet when mixed — the same frames either way")
        func onePortBursts() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = TransmitStage(targets: env.targets(), bridge: tables.view, capacity: 32)
                let u = Self.untagged
                let u2 = F.ping4(from: Host.a, to: Host.b)
                // Untagged VLAN 10 to a trunk that tags it: every frame gets the tag (the whole-burst push).
                Self.run(
                    &stage,
                    [
                        Packet(frame: u, vlan: 10, egress: 2), Packet(frame: u2, vlan: 10, egress: 2),
                        Packet(frame: u, vlan: 10, egress: 2),
                    ], ingress: 0, env: env)
                env.expectOutputs([2: [F.pushTag(u, tci: 10), F.pushTag(u2, tci: 10), F.pushTag(u, tci: 10)]])
                // Tagged VLAN 10 to an access port, and priority-tagged frames of port 3's native VLAN to it:
                // every tag comes off (the whole-burst pop).
                Self.run(
                    &stage,
                    [
                        Packet(frame: Self.tagged10, vlan: 10, egress: 0),
                        Packet(frame: Self.tagged10, vlan: 10, egress: 0),
                    ], ingress: 2, env: env)
                env.expectOutputs([0: [F.popTag(Self.tagged10), F.popTag(Self.tagged10)]])
                Self.run(
                    &stage,
                    [
                        Packet(frame: Self.priority, vlan: 20, egress: 3),
                        Packet(frame: Self.tagged20, vlan: 20, egress: 3),
                    ], ingress: 2, env: env)
                env.expectOutputs([3: [F.popTag(Self.priority), F.popTag(Self.tagged20)]])
                // Mixed tagged and untagged frames of VLAN 10 to a trunk: per packet (pushed, kept, pushed).
                Self.run(
                    &stage,
                    [
                        Packet(frame: u, vlan: 10, egress: 3), Packet(frame: Self.tagged10, vlan: 10, egress: 3),
                        Packet(frame: u2, vlan: 10, egress: 3),
                    ], ingress: 2, env: env)
                env.expectOutputs([3: [F.pushTag(u, tci: 10), Self.tagged10, F.pushTag(u2, tci: 10)]])
                // Untagged and priority-tagged frames of VLAN 10 to an access port: per packet (the untagged
                // one as it is, the tag of the other popped).
                Self.run(
                    &stage,
                    [
                        Packet(frame: u, vlan: 10, egress: 1), Packet(frame: Self.priority, vlan: 10, egress: 1),
                    ], ingress: 0, env: env)
                env.expectOutputs([1: [u, F.popTag(Self.priority)]])
                // Priority-tagged frames of VLAN 10 to a trunk: the VID is rewritten, the priority kept.
                Self.run(&stage, [Packet(frame: Self.priority, vlan: 10, egress: 2)], ingress: 3, env: env)
                env.expectOutputs([2: [F.setTCI(Self.priority, 0xa00a)]])
                // One VLAN, but the port is not a member: every packet is dropped as vlan-not-member.
                Self.run(
                    &stage,
                    [
                        Packet(frame: Self.tagged20, vlan: 20, egress: 0),
                        Packet(frame: Self.tagged20, vlan: 20, egress: 0),
                    ], ingress: 2, env: env)
                env.expectOutputs([:])
                // The whole-burst push with no headroom: every packet dropped as no-headroom, none leaked.
                let before = env.pool.available
                let big = F.udp4(from: Host.a, to: Self.unknown, payload: [UInt8](repeating: 0x5a, count: 150))
                Self.run(
                    &stage, [Packet(frame: big, vlan: 10, egress: 2), Packet(frame: big, vlan: 10, egress: 2)],
                    ingress: 0, env: env, headroom: 3)
                env.expectOutputs([:])
                #expect(env.pool.available == before)
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(
                            calls: 8, packetsIn: 17, packetsOut: 13, drops: txDrops(notMember: 2, noHeadroom: 2)))
                Self.expectAccounted(stage, copies: 0)
            }
        }

        @Test("port-down, vlan-not-member, flood-no-ports and no-egress; floods skip down ports")
        func drops() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = TransmitStage(
                    targets: env.targets(enabled: [true, false, true, true]), bridge: tables.view, capacity: 32)
                let u = Self.untagged
                Self.run(
                    &stage,
                    [
                        Packet(frame: u, vlan: 10, egress: Self.flood),  // port 1 is down: ports 2 and 3
                        Packet(frame: u, vlan: 10, egress: 1),  // port-down
                        Packet(frame: u, vlan: 20, egress: 0),  // port 0 does not carry VLAN 20
                        Packet(frame: u, vlan: 30, egress: Self.flood),  // no port carries VLAN 30
                        Packet(frame: u, vlan: 10, egress: PacketMeta.noEgress),
                        Packet(frame: u, vlan: 10, egress: 7),  // no such port
                    ], ingress: 0, env: env)
                env.expectOutputs([2: [F.pushTag(u, tci: 10)], 3: [F.pushTag(u, tci: 10)]])
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(
                            calls: 1, packetsIn: 6, packetsOut: 2,
                            drops: txDrops(noEgress: 2, portDown: 1, floodNoPorts: 1, notMember: 1)))
                Self.expectAccounted(stage, copies: 1)
                // VLAN 20 from port 3 with port 2 down: only the ingress is left.
                var stage2 = TransmitStage(
                    targets: env.targets(enabled: [true, true, false, true]), bridge: tables.view, capacity: 32)
                Self.run(&stage2, [Packet(frame: Self.tagged20, vlan: 20, egress: Self.flood)], ingress: 3, env: env)
                env.expectOutputs([:])
                #expect(
                    stage2.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 1, packetsOut: 0, drops: txDrops(floodNoPorts: 1)))
                #expect(env.pool.available == before)
            }
        }

        @Test("no headroom for a tag: that port's packet is dropped; copies (with their own headroom) still go out")
        func noHeadroom() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = TransmitStage(targets: env.targets(), bridge: tables.view, capacity: 32)
                let big = F.udp4(from: Host.a, to: Self.unknown, payload: [UInt8](repeating: 0x5a, count: 150))
                Self.run(
                    &stage,
                    [
                        Packet(frame: big, vlan: 10, egress: 2),  // needs a tag: no room
                        Packet(frame: big, vlan: 10, egress: 1),  // stays untagged: fine
                    ], ingress: 0, env: env, headroom: 2)
                env.expectOutputs([1: [big]])
                // The original's push toward port 3 fails; the copies for 1 and 2 were made with full headroom.
                Self.run(&stage, [Packet(frame: big, vlan: 10, egress: Self.flood)], ingress: 0, env: env, headroom: 3)
                env.expectOutputs([1: [big], 2: [F.pushTag(big, tci: 10)]])
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 2, packetsIn: 3, packetsOut: 3, drops: txDrops(noHeadroom: 2)))
                Self.expectAccounted(stage, copies: 2)
                // Exactly enough headroom (4 bytes) is enough.
                Self.run(&stage, [Packet(frame: big, vlan: 10, egress: 3)], ingress: 0, env: env, headroom: 4)
                env.expectOutputs([3: [F.pushTag(big, tci: 10)]])
            }
        }

        @Test("copy-failed when the pool is empty: the original still goes to the last port")
        func copyFailed() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = TransmitStage(targets: env.targets(), bridge: tables.view, capacity: 32)
                var burst = PacketBurst(capacity: 4)
                env.fill(&burst, frames: [Self.untagged], ingress: 0)
                burst.meta[0].vlan = 10
                burst.meta[0].egress = Self.flood
                var hoard = MbufBurst(capacity: TestDPDK.poolSize)
                while let mbuf = env.pool.allocate() { hoard.append(mbuf) }
                #expect(env.pool.available == 0)
                _ = stage.run(&burst, since: readTSC())
                hoard.freeAll()
                burst.releaseDropped()
                env.expectOutputs([3: [F.pushTag(Self.untagged, tci: 10)]])
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 1, packetsOut: 1, drops: txDrops(copyFailed: 2)))
                Self.expectAccounted(stage, copies: 2)
            }
        }

        @Test("a flood copy a full tx queue refuses is dropped as tx-queue-full; the other ports get theirs")
        func floodIntoFullQueue() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                let targets = env.targets()
                var stage = TransmitStage(targets: targets, bridge: tables.view, capacity: 32)
                #expect(env.inject(tags: 0..<UInt32(TestDPDK.ringCapacity), port: 1, queue: 0) == TestDPDK.ringCapacity)
                Self.run(&stage, [Packet(frame: Self.untagged, vlan: 10, egress: Self.flood)], ingress: 0, env: env)
                #expect(env.drain(port: 1, queue: 0) == frames(0..<UInt32(TestDPDK.ringCapacity)))
                env.expectOutputs([2: [F.pushTag(Self.untagged, tci: 10)], 3: [F.pushTag(Self.untagged, tci: 10)]])
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 1, packetsOut: 2, drops: txDrops(txQueueFull: 1)))
                #expect(PortSnapshot(targets[1].counters) == PortSnapshot(txDropped: 1))
                Self.expectAccounted(stage, copies: 2)
            }
        }
    }
}
