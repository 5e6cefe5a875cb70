import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    /// Remote VTEPs as owners of the shared MAC table (issue 12, step 1): the L2 stage on real mbufs whose
    /// `PacketMeta.source` says which remote VTEP they were decapsulated from.
    @Suite struct RemoteVTEPOwnerTests {
        static let flood = PacketMeta.flood, none = PacketMeta.noEgress
        static let uplink: UInt16 = 3
        static let x = MACOwner.remoteVTEP(0), y = MACOwner.remoteVTEP(5)

        /// Runs `stage` over `frames` arriving on the uplink in `vlan`, each from the owner in `sources`
        /// (`PacketMeta.burstIngress`: the uplink itself); returns each packet's egress, `none` if dropped.
        static func run(
            _ stage: inout L2Stage, _ frames: [[UInt8]], from sources: [UInt16], vlan: UInt16,
            ingress: UInt16 = uplink, env: TestDPDK.Environment
        ) -> [UInt16] {
            precondition(frames.count == sources.count)
            var burst = PacketBurst(capacity: 32)
            env.fill(&burst, frames: frames, ingress: ingress)
            for i in 0..<burst.count {
                burst.meta[i].vlan = vlan
                burst.meta[i].source = sources[i]
            }
            let buffers = (0..<burst.count).map { burst.packets[$0].raw }
            _ = stage.run(&burst, since: readTSC())
            var egress: [UInt16] = []
            var next = 0
            for (index, buffer) in buffers.enumerated() {
                if next < burst.count && burst.packets[next].raw == buffer {
                    #expect(bytes(of: burst.packets[next]) == frames[index])
                    egress.append(burst.meta[next].egress)
                    next += 1
                } else {
                    egress.append(none)
                }
            }
            #expect(next == burst.count && burst.dropped.count == frames.count - next)
            burst.releaseDropped()
            burst.packets.freeAll()
            return egress
        }

        static func table(limits vtepLimit: Int = MACTable.unlimited) -> MACTable {
            var limits = [Int](repeating: MACTable.unlimited, count: PortLimit.maxPorts)
            limits += [Int](repeating: vtepLimit, count: MACOwner.maxRemoteVTEPs)
            return MACTable(capacity: 256, ports: MACOwner.count, limits: limits, seed: 7)
        }

        @Test("owner indexes: ports first, then remote VTEPs, all below the special egress values")
        func ownerIndexes() {
            #expect(MACOwner.remoteVTEP(0) == UInt16(PortLimit.maxPorts))
            #expect(Int(MACOwner.remoteVTEP(MACOwner.maxRemoteVTEPs - 1)) == MACOwner.count - 1)
            #expect(MACOwner.count < Int(PacketMeta.flood))
            #expect(!MACOwner.isRemoteVTEP(0) && !MACOwner.isRemoteVTEP(UInt16(PortLimit.maxPorts - 1)))
            #expect(!MACOwner.isRemoteVTEP(PacketMeta.flood) && !MACOwner.isRemoteVTEP(PacketMeta.noEgress))
            #expect(!MACOwner.isRemoteVTEP(PacketMeta.burstIngress))
            #expect(MACOwner.remoteVTEPSlot(of: MACOwner.remoteVTEP(5)) == 5)
            #expect(MACOwner.remoteVTEPSlot(of: 2) == nil)
            #expect(PacketMeta().source == PacketMeta.burstIngress)
        }

        @Test("a decapsulated frame's source is learned behind its VTEP; frames to it get the VTEP as egress")
        func learnBehindVTEP() throws {
            try TestDPDK.run { env in
                let table = Self.table()
                defer { withExtendedLifetime(table) {} }
                var stage = L2Stage(table: table.view, tscHz: EAL.tscHz)
                let (a, b, c) = (Host.a, Host.b, Host.c)
                // A behind VTEP X to B (unknown): flooded, A learned behind X.
                #expect(Self.run(&stage, [F.udp4(from: a, to: b)], from: [Self.x], vlan: 100, env: env) == [Self.flood])
                #expect(table.entry(vlan: 100, mac: a.mac.rawValue, now: 0)?.port == Self.x)
                #expect(table.learnedCount(port: Int(Self.x)) == 1)
                // B on access port 0 answers: unicast to X (for the encap stage).
                #expect(
                    Self.run(
                        &stage, [F.udp4(from: b, to: a)], from: [PacketMeta.burstIngress], vlan: 100, ingress: 0,
                        env: env) == [Self.x])
                // One burst on the uplink mixing a native frame (C, from the uplink itself) and a decapsulated one
                // (A again, from X): C is learned on the uplink port, A stays behind X; both reach B on port 0.
                #expect(
                    Self.run(
                        &stage, [F.udp4(from: c, to: b), F.udp4(from: a, to: b)],
                        from: [PacketMeta.burstIngress, Self.x], vlan: 100, env: env) == [0, 0])
                #expect(table.entry(vlan: 100, mac: c.mac.rawValue, now: 0)?.port == Self.uplink)
                #expect(table.entry(vlan: 100, mac: a.mac.rawValue, now: 0)?.port == Self.x)
                // A moves behind VTEP Y: a move, like between two ports.
                #expect(Self.run(&stage, [F.udp4(from: a, to: b)], from: [Self.y], vlan: 100, env: env) == [0])
                #expect(table.entry(vlan: 100, mac: a.mac.rawValue, now: 0)?.port == Self.y)
                #expect(table.learnedCount(port: Int(Self.x)) == 0 && table.learnedCount(port: Int(Self.y)) == 1)
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(
                            calls: 4, packetsIn: 5, packetsOut: 5, drops: [0, 0],
                            events: L2StageTests.events(learned: 3, moved: 1, flooded: 1, unknownUnicast: 1)))
            }
        }

        @Test("split horizon: a frame from a VTEP to a MAC behind another VTEP is dropped; behind the same, same-port")
        func splitHorizon() throws {
            try TestDPDK.run { env in
                let table = Self.table()
                defer { withExtendedLifetime(table) {} }
                var stage = L2Stage(table: table.view, tscHz: EAL.tscHz)
                let (a, b, d) = (Host.a, Host.b, Host.d)
                // A learned behind X, D behind Y (flooded: unknown destinations).
                #expect(
                    Self.run(
                        &stage, [F.arpRequest(from: a, for: b.ipv4), F.arpRequest(from: d, for: b.ipv4)],
                        from: [Self.x, Self.y], vlan: 100, env: env) == [Self.flood, Self.flood])
                // From Y to A (behind X): split horizon. From X to A (behind X): same owner. From the uplink port
                // itself (a native frame) to A: forwarded to X, the uplink is not a VTEP.
                #expect(
                    Self.run(
                        &stage, [F.udp4(from: d, to: a), F.udp4(from: b, to: a), F.udp4(from: b, to: a)],
                        from: [Self.y, Self.x, PacketMeta.burstIngress], vlan: 100, env: env)
                        == [Self.none, Self.none, Self.x])
                #expect(stage.snapshot.drops == [1, 1])
                #expect(stage.descriptor.dropReasons == ["same-port", "split-horizon"])
            }
        }

        @Test("a remote VTEP at its limit learns no new MAC and takes none over; its frames still go through")
        func vtepLimit() throws {
            try TestDPDK.run { env in
                let table = Self.table(limits: 1)
                defer { withExtendedLifetime(table) {} }
                var stage = L2Stage(table: table.view, tscHz: EAL.tscHz)
                let (a, b, c) = (Host.a, Host.b, Host.c)
                #expect(
                    Self.run(
                        &stage, [F.udp4(from: a, to: c), F.udp4(from: b, to: c)], from: [Self.x, Self.x], vlan: 100,
                        env: env) == [Self.flood, Self.flood])
                #expect(table.learnedCount(port: Int(Self.x)) == 1)
                #expect(table.limitReachedCount(port: Int(Self.x)) == 1)
                #expect(table.entry(vlan: 100, mac: b.mac.rawValue, now: 0) == nil)
                #expect(
                    stage.snapshot.events == L2StageTests.events(learned: 1, limit: 1, flooded: 2, unknownUnicast: 2))
            }
        }

        @Test("entries behind a VTEP age out and flush like a port's; the other owners' entries stay")
        func agingAndFlush() throws {
            let table = Self.table()
            defer { withExtendedLifetime(table) {} }
            let view = table.view
            #expect(view.learn(vlan: 100, mac: Host.a.mac.rawValue, port: Self.x, now: 10) == .learned)
            #expect(view.learn(vlan: 100, mac: Host.b.mac.rawValue, port: Self.x, now: 100) == .learned)
            #expect(view.learn(vlan: 100, mac: Host.c.mac.rawValue, port: Self.y, now: 10) == .learned)
            #expect(view.learn(vlan: 100, mac: Host.d.mac.rawValue, port: 1, now: 10) == .learned)
            #expect(table.age(now: 400, maxAge: 300) == 3)  // A, C, D: last seen at 10
            #expect(table.entries(now: 400).map(\.port) == [Self.x])
            #expect(view.learn(vlan: 100, mac: Host.c.mac.rawValue, port: Self.y, now: 400) == .learned)
            #expect(table.flush(port: Self.x) == 1)
            #expect(table.entries(now: 400).map(\.port) == [Self.y])
            #expect(table.learnedCount(port: Int(Self.x)) == 0 && table.learnedCount(port: Int(Self.y)) == 1)
        }
    }
}
