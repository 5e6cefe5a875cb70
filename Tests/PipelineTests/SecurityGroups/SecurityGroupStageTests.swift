import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    /// The security-group stage on real mbufs: port 0 (host A) is filtered, allowing TCP 22 from 10.0.0.0/24
    /// and ICMP echo from host C only, with the default allow-all egress; port 1 (host B) and port 2 (host C)
    /// are not filtered.
    @Suite struct SecurityGroupStageTests {
        typealias Drop = SecurityGroupStage.Drop
        static let a = Host.a, b = Host.b, c = Host.c

        static func tables(limit: Int = 100) -> (SecurityGroupTables, UnsafeMutablePointer<UInt64>) {
            let hits = UnsafeMutablePointer<UInt64>.allocate(capacity: 8)
            hits.initialize(repeating: 0, count: 8)
            let ingress = [
                SGRule(
                    family: 4, proto: 6, portLow: 22, portHigh: 22, remoteLow: 0x0a00_0000, maskLow: 0xffff_ff00,
                    counter: 1),
                SGRule(
                    family: 4, proto: 1, icmpType: 8, remoteLow: UInt64(c.ipv4.rawValue), maskLow: 0xffff_ffff,
                    counter: 2),
            ]
            let egress = [SGRule(family: 4, counter: 3), SGRule(family: 6, counter: 4)]
            let tables = SecurityGroupTables(
                ports: [SGPortSpec(ingress: ingress, egress: egress), nil, nil], hits: hits, hitStride: 8,
                perPortLimit: limit)
            return (tables, hits)
        }

        static func bridge() -> BridgeTables {
            BridgeTables(ports: [BridgePortSpec(), BridgePortSpec(), BridgePortSpec()])
        }

        static func tcp(
            from s: Host, to d: Host, sport: UInt16 = 40000, dport: UInt16 = 22, flags: UInt8, seq: UInt32,
            ack: UInt32 = 0
        ) -> [UInt8] {
            let header =
                F.u16(sport) + F.u16(dport) + F.u32(seq) + F.u32(ack) + [0x50, flags] + F.u16(0xffff)
                + [0, 0, 0, 0]
            return F.ethernet(dst: d.mac, src: s.mac, type: 0x0800, F.ipv4(src: s.ipv4, dst: d.ipv4, proto: 6, header))
        }

        static func ping(from s: Host, to d: Host, type: UInt8 = 8) -> [UInt8] {
            F.ethernet(
                dst: d.mac, src: s.mac, type: 0x0800, F.ipv4(src: s.ipv4, dst: d.ipv4, proto: 1, F.echo(type: type)))
        }

        /// Parses `frames` from `ingress`, sets each one's egress, runs the stage; returns the survivors' bytes
        /// and their flood exclusions.
        static func run(
            _ stage: inout SecurityGroupStage, _ frames: [([UInt8], UInt16)], ingress: UInt16,
            env: TestDPDK.Environment, capacity: Int = 32
        ) -> [([UInt8], UInt64)] {
            var parse = ParseStage()
            var burst = PacketBurst(capacity: capacity)
            env.fill(&burst, frames: frames.map(\.0), ingress: ingress)
            _ = parse.run(&burst, since: readTSC())
            #expect(burst.count == frames.count, "the test frames all parse")
            for i in 0..<burst.count {
                burst.meta[i].egress = frames[i].1
                burst.meta[i].vlan = 1
            }
            _ = stage.run(&burst, since: readTSC())
            var survivors: [([UInt8], UInt64)] = []
            for i in 0..<burst.count {
                // The excluded ports of the test's few slots, as a mask (bit i: port i).
                survivors.append((bytes(of: burst.packets[i]), burst.floodExclusion(of: i)?.words[0] ?? 0))
            }
            burst.releaseDropped()
            burst.packets.freeAll()
            return survivors
        }

        static let syn: UInt8 = 0x02, ack: UInt8 = 0x10, synAck: UInt8 = 0x12

        @Test("ingress rules, stateful replies, stray ACKs, ICMP by source, default egress")
        func cloudSemantics() throws {
            try TestDPDK.run { env in
                let a = Self.a
                let b = Self.b
                let c = Self.c
                let (groups, hits) = Self.tables()
                let bridge = Self.bridge()
                let conns = ConnTable(capacity: 1024, ports: 64, seed: 3)
                defer { withExtendedLifetime((groups, bridge, conns)) { hits.deallocate() } }
                var stage = SecurityGroupStage(
                    groups: groups.view(pmd: 0), bridge: bridge.view, table: conns.view, tscHz: 1_000_000)
                // B (port 1) toward A (port 0).
                let toA: [([UInt8], UInt16)] = [
                    (Self.tcp(from: b, to: a, flags: Self.syn, seq: 1000), 0),  // allowed: TCP 22 from 10.0.0.0/24
                    (Self.tcp(from: b, to: a, dport: 80, flags: Self.syn, seq: 1000), 0),  // no rule for 80
                    (Self.tcp(from: b, to: a, sport: 40001, flags: Self.ack, seq: 1000, ack: 1), 0),  // stray ACK
                    (Self.ping(from: b, to: a), 0),  // ICMP only from C
                    (F.arpRequest(from: b, for: a.ipv4), 0),  // ARP always
                    (F.udp4(from: b, to: a), 0),  // no UDP rule
                ]
                let survivors = Self.run(&stage, toA, ingress: 1, env: env)
                #expect(survivors.map(\.0) == [toA[0].0, toA[4].0])
                #expect(stage.snapshot.drops == [3, 1, 0, 0, 0])
                // A answers: the SYN-ACK is a reply of a tracked connection; A's own ping to B opens one
                // (default egress), and B's echo reply comes back.
                let fromA: [([UInt8], UInt16)] = [
                    (Self.tcp(from: a, to: b, sport: 22, dport: 40000, flags: Self.synAck, seq: 5000, ack: 1001), 1),
                    (Self.ping(from: a, to: b), 1),
                ]
                #expect(Self.run(&stage, fromA, ingress: 0, env: env).count == 2)
                let back: [([UInt8], UInt16)] = [
                    (Self.tcp(from: b, to: a, flags: Self.ack, seq: 1001, ack: 5001), 0),
                    (Self.ping(from: b, to: a, type: 0), 0),
                    (Self.ping(from: c, to: a), 0),  // C may ping A
                ]
                #expect(Self.run(&stage, back, ingress: 1, env: env).count == 3)
                let entries = conns.entries()
                #expect(entries.count == 3)
                #expect(entries.contains { $0.key.proto == 6 && $0.state == TCPState.established.rawValue })
                #expect(hits[1] == 1 && hits[2] == 1 && hits[3] == 1, "per-rule hits count new connections")
                #expect(stage.snapshot.drops == [3, 1, 0, 0, 0])
            }
        }

        @Test("a flood skips the filtered ports whose rules refuse it; the per-port limit refuses new connections")
        func floodsAndLimits() throws {
            try TestDPDK.run { env in
                let a = Self.a
                let b = Self.b
                let c = Self.c
                let (groups, hits) = Self.tables(limit: 2)
                let bridge = BridgeTables(ports: [BridgePortSpec(), BridgePortSpec(), BridgePortSpec()])
                let conns = ConnTable(capacity: 1024, ports: 64, seed: 3)
                defer { withExtendedLifetime((groups, bridge, conns)) { hits.deallocate() } }
                var stage = SecurityGroupStage(
                    groups: groups.view(pmd: 0), bridge: bridge.view, table: conns.view, tscHz: 1_000_000)
                // From C (port 2), flooded: A (port 0) refuses UDP, B (port 1) is unfiltered.
                let flooded = Self.run(&stage, [(F.udp4(from: c, to: a), PacketMeta.flood)], ingress: 2, env: env)
                #expect(flooded.count == 1 && flooded.first?.1 == 1, "port 0 is excluded from the flood")
                // A opens connections: the third is over its limit of 2 and refused; established ones pass.
                let opens: [([UInt8], UInt16)] = (0..<3).map {
                    (Self.tcp(from: a, to: b, sport: 1000 + UInt16($0), dport: 80, flags: Self.syn, seq: 1), 1)
                }
                #expect(Self.run(&stage, opens, ingress: 0, env: env).count == 2)
                #expect(stage.snapshot.drops[Drop.portLimit.rawValue] == 1)
                let reply = Self.tcp(from: b, to: a, sport: 80, dport: 1000, flags: Self.synAck, seq: 9, ack: 2)
                #expect(Self.run(&stage, [(reply, 0)], ingress: 1, env: env).count == 1)
            }
        }

        @Test(
            "a burst is looked up in chunks: a new connection's second packet in the same chunk finds the first's entry"
        )
        func chunkedBursts() throws {
            try TestDPDK.run { env in
                let a = Self.a
                let b = Self.b
                let (groups, hits) = Self.tables()
                let bridge = Self.bridge()
                let conns = ConnTable(capacity: 1024, ports: 64, seed: 3)
                defer { withExtendedLifetime((groups, bridge, conns)) { hits.deallocate() } }
                var stage = SecurityGroupStage(
                    groups: groups.view(pmd: 0), bridge: bridge.view, table: conns.view, tscHz: 1_000_000)
                func udp(_ sport: UInt16) -> ([UInt8], UInt16) {
                    let frame = F.ethernet(
                        dst: b.mac, src: a.mac, type: 0x0800,
                        F.ipv4(src: a.ipv4, dst: b.ipv4, proto: 17, F.udp(src: sport, dst: 53, [1, 2, 3])))
                    return (frame, 1)
                }
                // Flow 0 twice in the first chunk, then flows 1...39 twice, across three chunks of 32.
                let frames = [udp(1000), udp(1000)] + (1..<40).map { udp(1000 + $0) } + (1..<40).map { udp(1000 + $0) }
                let survivors = Self.run(&stage, frames, ingress: 0, env: env, capacity: 128)
                #expect(survivors.count == 80)
                #expect(conns.liveCount == 40, "one entry per connection, even within one chunk")
                let events = stage.snapshot.events
                #expect(events[SecurityGroupStage.Event.new.rawValue] == 40)
                #expect(events[SecurityGroupStage.Event.tracked.rawValue] == 40)
                #expect(conns.entries().allSatisfy { $0.packetsOriginal == 2 && $0.packetsReply == 0 })
            }
        }
    }
}
