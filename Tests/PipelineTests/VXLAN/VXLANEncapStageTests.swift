import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    /// The VXLAN encap stage on real mbufs: golden outer headers, and every drop reason.
    @Suite struct VXLANEncapStageTests {
        typealias Drop = VXLANEncapStage.Drop
        static let uplink: UInt16 = 2
        static let local = IPv4Address(192, 0, 2, 1)
        static let x = IPv4Address(192, 0, 2, 2), y = IPv4Address(198, 51, 100, 7)
        static let uplinkMAC = EthernetAddress(rawValue: 0x02_00_00_00_00_01)
        static let xMAC = EthernetAddress(rawValue: 0x02_00_00_00_00_02)
        static let gatewayMAC = EthernetAddress(rawValue: 0x02_00_00_00_00_fe)
        static func spec(underlayVLAN: UInt16 = 0, mtu: Int = 1500) -> VXLANSpec {
            VXLANSpec(
                uplink: uplink, local: local, underlayVLAN: underlayVLAN, vnis: [(vni: 1000, vlan: 100)],
                remotes: [x, y], sourceMAC: uplinkMAC, ttl: 17, mtu: mtu)
        }

        struct Out: Equatable {
            var bytes: [UInt8]
            var egress: UInt16
            var vlan: UInt16
        }

        /// Runs `stage` over `frames` (already through L2: `egress`, VLAN 100, `tagged`) from port 0.
        static func run(
            _ stage: inout VXLANEncapStage, _ frames: [[UInt8]], egress: [UInt16], tagged: Bool = false,
            env: TestDPDK.Environment
        ) -> [Out] {
            var burst = PacketBurst(capacity: 32)
            env.fill(&burst, frames: frames, ingress: 0)
            for i in 0..<burst.count {
                burst.meta[i].vlan = 100
                burst.meta[i].tagged = tagged
                burst.meta[i].egress = egress[i]
            }
            _ = stage.run(&burst, since: readTSC())
            let out = (0..<burst.count).map {
                Out(bytes: bytes(of: burst.packets[$0]), egress: burst.meta[$0].egress, vlan: burst.meta[$0].vlan)
            }
            #expect(burst.count + burst.dropped.count == frames.count)
            burst.releaseDropped()
            burst.packets.freeAll()
            return out
        }

        /// What the stage must produce: `VXLANEncap.write`'s headers (golden-tested in PacketTests) in front of
        /// the untagged inner frame, with the inner flow's entropy port.
        static func expected(
            _ inner: [UInt8], to destination: IPv4Address, via nextHop: EthernetAddress, underlayVLAN: UInt16 = 0
        ) -> [UInt8] {
            let header = VXLANEncapHeader(
                destinationMAC: nextHop, sourceMAC: uplinkMAC, underlayVLAN: underlayVLAN, source: local,
                destination: destination, ttl: 17, vni: 1000)
            let port = inner.withUnsafeBytes { VXLANEncap.sourcePort(inner: $0.baseAddress!, length: inner.count) }
            var frame = [UInt8](repeating: 0, count: header.length) + inner
            frame.withUnsafeMutableBytes {
                VXLANEncap.write(header, at: $0.baseAddress!, innerLength: inner.count, sourcePort: port)
            }
            return frame
        }

        @Test("a frame for a MAC behind a VTEP is encapsulated once toward it and leaves on the uplink")
        func encapsulates() throws {
            try TestDPDK.run { env in
                let tables = VXLANTables(Self.spec())
                let hops = VXLANNextHops()
                defer { withExtendedLifetime((tables, hops)) {} }
                hops.resolve(slot: 0, mac: Self.xMAC)
                hops.resolve(slot: 1, mac: Self.gatewayMAC)
                var stage = VXLANEncapStage(vxlan: tables.view, nextHops: hops.view)
                let toX = F.udp4(from: Host.a, to: Host.b)
                let toY = F.ping4(from: Host.a, to: Host.c)
                let local = F.udp4(from: Host.a, to: Host.d)
                let out = Self.run(
                    &stage, [toX, local, toY, local],
                    egress: [MACOwner.remoteVTEP(0), 1, MACOwner.remoteVTEP(1), PacketMeta.flood], env: env)
                #expect(
                    out == [
                        Out(bytes: Self.expected(toX, to: Self.x, via: Self.xMAC), egress: Self.uplink, vlan: 0),
                        Out(bytes: local, egress: 1, vlan: 100),
                        Out(bytes: Self.expected(toY, to: Self.y, via: Self.gatewayMAC), egress: Self.uplink, vlan: 0),
                        Out(bytes: local, egress: PacketMeta.flood, vlan: 100),
                    ])
                #expect(out[0].bytes[22] == 17 && out[0].bytes[20] == 0x40)  // TTL, DF
                #expect(stage.snapshot.events == [2, 0])
                #expect(stage.snapshot.drops == [0, 0, 0, 0, 0, 0, 0])
                // Per remote VTEP: one packet to each.
                #expect(stage.vteps.load(slot: 0, VXLANVTEPCounters.txPackets) == 1)
                #expect(stage.vteps.load(slot: 1, VXLANVTEPCounters.txPackets) == 1)
                #expect(stage.vteps.load(slot: 0, VXLANVTEPCounters.txDrops) == 0)
                // A tagged inner frame (from a trunk) travels untagged; the underlay tag is added.
                let tagged = VXLANTables(Self.spec(underlayVLAN: 20))
                defer { withExtendedLifetime(tagged) {} }
                var taggingStage = VXLANEncapStage(vxlan: tagged.view, nextHops: hops.view)
                #expect(
                    Self.run(
                        &taggingStage, [F.pushTag(toX, tci: 100)], egress: [MACOwner.remoteVTEP(0)], tagged: true,
                        env: env
                    ).map(\.bytes) == [Self.expected(toX, to: Self.x, via: Self.xMAC, underlayVLAN: 20)])
            }
        }

        @Test("the entropy port is stable per flow and spreads flows")
        func entropy() throws {
            try TestDPDK.run { env in
                let tables = VXLANTables(Self.spec())
                let hops = VXLANNextHops()
                defer { withExtendedLifetime((tables, hops)) {} }
                hops.resolve(slot: 0, mac: Self.xMAC)
                var stage = VXLANEncapStage(vxlan: tables.view, nextHops: hops.view)
                let flows = (0..<8).map { F.udp4(from: Host(UInt8(0x20 + $0)), to: Host.b) }
                let egress = [UInt16](repeating: MACOwner.remoteVTEP(0), count: flows.count)
                let first = Self.run(&stage, flows, egress: egress, env: env).map {
                    UInt16($0.bytes[34]) << 8 | UInt16($0.bytes[35])
                }
                let again = Self.run(&stage, flows, egress: egress, env: env).map {
                    UInt16($0.bytes[34]) << 8 | UInt16($0.bytes[35])
                }
                #expect(first == again)
                #expect(Set(first).count > 1)
                #expect(first.allSatisfy { $0 >= VXLANWire.sourcePortBase })
            }
        }

        @Test("every drop reason: unresolved next hop, underlay MTU, stale destination")
        func dropReasons() throws {
            try TestDPDK.run { env in
                // MTU 576: an inner frame of up to 540 bytes fits.
                let tables = VXLANTables(Self.spec(mtu: 576))
                let hops = VXLANNextHops()
                defer { withExtendedLifetime((tables, hops)) {} }
                hops.resolve(slot: 0, mac: Self.xMAC)
                var stage = VXLANEncapStage(vxlan: tables.view, nextHops: hops.view)
                let fits = F.udp4(from: Host.a, to: Host.b, payload: [UInt8](repeating: 7, count: 540 - 42))
                let tooLong = F.udp4(from: Host.a, to: Host.b, payload: [UInt8](repeating: 7, count: 541 - 42))
                #expect(fits.count == 540 && tooLong.count == 541)
                let x = MACOwner.remoteVTEP(0)
                let out = Self.run(
                    &stage, [fits, tooLong, fits, fits],
                    egress: [x, x, MACOwner.remoteVTEP(1), MACOwner.remoteVTEP(2)],
                    env: env)
                #expect(out.map(\.bytes) == [Self.expected(fits, to: Self.x, via: Self.xMAC)])
                // VLAN 200 has no VNI (any more): stale.
                var burst = PacketBurst(capacity: 4)
                env.fill(&burst, frames: [fits], ingress: 0)
                burst.meta[0].vlan = 200
                burst.meta[0].egress = x
                _ = stage.run(&burst, since: 0)
                #expect(burst.count == 0)
                burst.releaseDropped()
                // Forgotten next hop: dropped again.
                hops.forget(slot: 0)
                #expect(Self.run(&stage, [fits], egress: [x], env: env).isEmpty)
                #expect(stage.snapshot.drops == [2, 1, 0, 2, 0, 0, 0])
                // Per remote VTEP: X sent one and dropped three (too long, stale VLAN, forgotten next hop), Y
                // (unresolved) and slot 2 (no VTEP) one each.
                let v = stage.vteps
                #expect(
                    v.load(slot: 0, VXLANVTEPCounters.txPackets) == 1 && v.load(slot: 0, VXLANVTEPCounters.txDrops) == 3
                )
                #expect(
                    v.load(slot: 1, VXLANVTEPCounters.txDrops) == 1 && v.load(slot: 2, VXLANVTEPCounters.txDrops) == 1)
            }
        }

        @Test("head-end replication: a flood of a VNI's VLAN stays for the local ports, one copy per resolved VTEP")
        func replication() throws {
            try TestDPDK.run { env in
                var spec = Self.spec()
                spec.flood = [100: [0, 1]]
                let tables = VXLANTables(spec)
                let hops = VXLANNextHops()
                defer { withExtendedLifetime((tables, hops)) {} }
                hops.resolve(slot: 0, mac: Self.xMAC)
                let uplink = env.targets()[Int(Self.uplink)]
                var stage = VXLANEncapStage(vxlan: tables.view, nextHops: hops.view, uplink: uplink, capacity: 2)
                let broadcast = F.arpRequest(from: Host.a, for: Host.b.ipv4)
                let unknown = F.udp4(from: Host.a, to: Host.c)
                let fromVTEP = F.arpRequest(from: Host.d, for: Host.b.ipv4)
                let frames = [broadcast, unknown, fromVTEP, F.udp4(from: Host.a, to: Host.b)]
                var burst = PacketBurst(capacity: 8)
                env.fill(&burst, frames: frames, ingress: 0)
                for i in 0..<burst.count { burst.meta[i].vlan = 100 }
                for i in 0..<3 { burst.meta[i].egress = PacketMeta.flood }
                burst.meta[2].source = MACOwner.remoteVTEP(1)  // decapsulated: split horizon
                burst.meta[3].egress = 1
                _ = stage.run(&burst, since: 0)
                // Every frame stays in the burst as it was, for the transmit stage.
                #expect((0..<burst.count).map { bytes(of: burst.packets[$0]) } == frames)
                #expect(
                    (0..<burst.count).map { burst.meta[$0].egress } == [
                        PacketMeta.flood, PacketMeta.flood, PacketMeta.flood, 1,
                    ])
                burst.packets.freeAll()
                // X (resolved) gets a copy of the two floods of a local station; Y (unresolved) none.
                #expect(
                    env.drainBytes(port: Int(Self.uplink)) == [
                        Self.expected(broadcast, to: Self.x, via: Self.xMAC),
                        Self.expected(unknown, to: Self.x, via: Self.xMAC),
                    ])
                #expect(stage.snapshot.drops == [2, 0, 0, 0, 0, 0, 0])
                #expect(stage.snapshot.events == [0, 2])
                #expect(stage.vteps.load(slot: 0, VXLANVTEPCounters.txPackets) == 2)
                #expect(stage.vteps.load(slot: 1, VXLANVTEPCounters.txDrops) == 2)
                // Y resolved (through the gateway): both get a copy, in slot order.
                hops.resolve(slot: 1, mac: Self.gatewayMAC)
                env.fill(&burst, frames: [broadcast], ingress: 0)
                burst.meta[0].vlan = 100
                burst.meta[0].egress = PacketMeta.flood
                _ = stage.run(&burst, since: 0)
                burst.packets.freeAll()
                #expect(
                    env.drainBytes(port: Int(Self.uplink)) == [
                        Self.expected(broadcast, to: Self.x, via: Self.xMAC),
                        Self.expected(broadcast, to: Self.y, via: Self.gatewayMAC),
                    ])
                // A VLAN without a VNI: no copies.
                env.fill(&burst, frames: [broadcast], ingress: 0)
                burst.meta[0].vlan = 200
                burst.meta[0].egress = PacketMeta.flood
                _ = stage.run(&burst, since: 0)
                burst.packets.freeAll()
                #expect(env.drainBytes(port: Int(Self.uplink)).isEmpty)
                #expect(stage.snapshot.events == [0, 4])
                #expect(stage.vteps.load(slot: 0, VXLANVTEPCounters.txPackets) == 3)
                #expect(stage.vteps.load(slot: 1, VXLANVTEPCounters.txPackets) == 1)
                #expect(
                    stage.descriptor.dropReasons == [
                        "next-hop-unresolved", "exceeds-underlay-mtu", "no-headroom", "stale-destination",
                        "copy-failed",
                        "tx-queue-full", "uplink-down",
                    ])
                #expect(stage.descriptor.eventNames == ["encapsulated", "replicated"])
            }
        }

        @Test("the prebuilt outer headers follow the next hop (moved, forgotten, back) and the bound generation")
        func templatesFollowNextHopAndGeneration() throws {
            try TestDPDK.run { env in
                let tables = VXLANTables(Self.spec())
                let hops = VXLANNextHops()
                // The next generation: X's slot now holds another address, another TTL and an underlay tag.
                var nextSpec = Self.spec(underlayVLAN: 30)
                nextSpec.remotes = [Self.y, Self.x]
                nextSpec.ttl = 9
                let next = VXLANTables(nextSpec)
                let bridge = BridgeTables(ports: Array(repeating: BridgePortSpec(), count: 4))
                let targets = env.targets()
                let targetMemory = UnsafeMutablePointer<TxTarget>.allocate(capacity: ForwardingTables.maxPorts)
                for slot in 0..<ForwardingTables.maxPorts {
                    (targetMemory + slot).initialize(
                        to: slot < targets.count
                            ? targets[slot]
                            : TxTarget(port: EthPort(id: .max), queue: 0, counters: .allocate(), enabled: false))
                }
                let peers = UnsafeMutablePointer<UInt16>.allocate(capacity: ForwardingTables.maxPorts)
                peers.initialize(repeating: PacketMeta.noEgress, count: ForwardingTables.maxPorts)
                let queues = UnsafeMutablePointer<RxQueueRef>.allocate(capacity: 1)
                let enabled = PortSet.allocate(0..<3)
                defer {
                    withExtendedLifetime((tables, hops, next, bridge)) {}
                    enabled.deallocate()
                    targetMemory.deallocate()
                    peers.deallocate()
                    queues.deallocate()
                }
                hops.resolve(slot: 0, mac: Self.xMAC)
                var stage = VXLANEncapStage(vxlan: tables.view, nextHops: hops.view)
                let frame = F.udp4(from: Host.a, to: Host.b)
                let x = MACOwner.remoteVTEP(0)
                #expect(
                    Self.run(&stage, [frame], egress: [x], env: env).map(\.bytes) == [
                        Self.expected(frame, to: Self.x, via: Self.xMAC)
                    ])
                // The next hop moves (X is now reached through the gateway): the next packet goes there.
                hops.resolve(slot: 0, mac: Self.gatewayMAC)
                #expect(
                    Self.run(&stage, [frame, frame], egress: [x, x], env: env).map(\.bytes) == [
                        Self.expected(frame, to: Self.x, via: Self.gatewayMAC),
                        Self.expected(frame, to: Self.x, via: Self.gatewayMAC),
                    ])
                // Forgotten: dropped, not sent with the old headers; resolved again: sent.
                hops.forget(slot: 0)
                #expect(Self.run(&stage, [frame], egress: [x], env: env).isEmpty)
                hops.resolve(slot: 0, mac: Self.gatewayMAC)
                #expect(
                    Self.run(&stage, [frame], egress: [x], env: env).map(\.bytes) == [
                        Self.expected(frame, to: Self.x, via: Self.gatewayMAC)
                    ])
                #expect(stage.snapshot.drops == [1, 0, 0, 0, 0, 0, 0])
                // A new generation: slot 0 is Y now, with the new TTL and the underlay tag.
                stage.bind(
                    ForwardingTables(
                        bridge: bridge.view, peers: peers, targets: targetMemory, enabled: enabled,
                        rxQueues: queues, rxQueueCount: 0, generationID: 2, vxlan: next.view))
                let out = Self.run(&stage, [frame], egress: [x], env: env).map(\.bytes)
                let header = VXLANEncapHeader(
                    destinationMAC: Self.gatewayMAC, sourceMAC: Self.uplinkMAC, underlayVLAN: 30, source: Self.local,
                    destination: Self.y, ttl: 9, vni: 1000)
                let port = frame.withUnsafeBytes { VXLANEncap.sourcePort(inner: $0.baseAddress!, length: frame.count) }
                var expected = [UInt8](repeating: 0, count: header.length) + frame
                expected.withUnsafeMutableBytes {
                    VXLANEncap.write(header, at: $0.baseAddress!, innerLength: frame.count, sourcePort: port)
                }
                #expect(out == [expected])
                // And back to the first generation: X again, untagged, TTL 17.
                stage.bind(
                    ForwardingTables(
                        bridge: bridge.view, peers: peers, targets: targetMemory, enabled: enabled,
                        rxQueues: queues, rxQueueCount: 0, generationID: 3, vxlan: tables.view))
                #expect(
                    Self.run(&stage, [frame], egress: [x], env: env).map(\.bytes) == [
                        Self.expected(frame, to: Self.x, via: Self.gatewayMAC)
                    ])
                #expect(stage.vteps.load(slot: 0, VXLANVTEPCounters.txPackets) == 6)
                #expect(stage.vteps.load(slot: 0, VXLANVTEPCounters.txDrops) == 1)
            }
        }

        @Test("VXLAN off: nothing is touched")
        func off() throws {
            try TestDPDK.run { env in
                let tables = VXLANTables()
                let hops = VXLANNextHops()
                defer { withExtendedLifetime((tables, hops)) {} }
                var stage = VXLANEncapStage(vxlan: tables.view, nextHops: hops.view)
                let frame = F.udp4(from: Host.a, to: Host.b)
                #expect(
                    Self.run(&stage, [frame], egress: [1], env: env) == [Out(bytes: frame, egress: 1, vlan: 100)])
            }
        }
    }
}
