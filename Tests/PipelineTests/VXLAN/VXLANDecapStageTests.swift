import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    /// The VXLAN decap stage on real mbufs, alone and followed by parse → port security → VLAN → L2.
    @Suite struct VXLANDecapStageTests {
        typealias Drop = VXLANDecapStage.Drop
        static let uplink: UInt16 = 2
        static let local = IPv4Address(192, 0, 2, 1)
        static let x = IPv4Address(192, 0, 2, 2), y = IPv4Address(192, 0, 2, 3)
        static let underlayRouter = EthernetAddress(rawValue: 0x02_00_00_00_00_fe)
        static let spec = VXLANSpec(
            uplink: uplink, local: local, vnis: [(vni: 1000, vlan: 100), (vni: 2000, vlan: 200)], remotes: [x, y])

        /// `inner` in VXLAN from `source` to `destination` (the local VTEP unless given), VNI `vni`.
        static func tunnelled(
            _ inner: [UInt8], vni: UInt32 = 1000, from source: IPv4Address = x, to destination: IPv4Address = local,
            underlayVLAN: UInt16 = 0, edit: (inout [UInt8]) -> Void = { _ in }
        ) -> [UInt8] {
            let header = VXLANEncapHeader(
                destinationMAC: Host.a.mac, sourceMAC: underlayRouter, underlayVLAN: underlayVLAN, source: source,
                destination: destination, ttl: 64, vni: vni)
            var frame = [UInt8](repeating: 0, count: header.length) + inner
            frame.withUnsafeMutableBytes {
                VXLANEncap.write(header, at: $0.baseAddress!, innerLength: inner.count, sourcePort: 0xc001)
            }
            edit(&frame)
            return frame
        }

        struct Out: Equatable {
            var bytes: [UInt8]
            var vlan: UInt16
            var source: UInt16
        }

        /// Runs `stage` over `frames` from `ingress`; the survivors' bytes, VLAN and source owner in order.
        static func run(
            _ stage: inout VXLANDecapStage, _ frames: [[UInt8]], ingress: UInt16 = uplink, punted: Int = 0,
            env: TestDPDK.Environment
        ) -> [Out] {
            var burst = PacketBurst(capacity: 32)
            env.fill(&burst, frames: frames, ingress: ingress)
            _ = stage.run(&burst, since: readTSC())
            let out = (0..<burst.count).map {
                Out(bytes: bytes(of: burst.packets[$0]), vlan: burst.meta[$0].vlan, source: burst.meta[$0].source)
            }
            #expect(burst.count + burst.dropped.count + punted == frames.count)
            burst.releaseDropped()
            burst.packets.freeAll()
            return out
        }

        @Test("a frame for the VTEP loses its outer headers and enters the VNI's VLAN from its remote VTEP")
        func decapsulates() throws {
            try TestDPDK.run { env in
                let tables = VXLANTables(Self.spec)
                defer { withExtendedLifetime(tables) {} }
                var stage = VXLANDecapStage(vxlan: tables.view)
                let inner1 = F.udp4(from: Host.a, to: Host.b)
                let inner2 = F.arpRequest(from: Host.c, for: Host.d.ipv4)
                let native = F.udp4(from: Host.e, to: Host.f)
                // For another address than the VTEP's: not the tunnel's, untouched (like the uplink's own VLANs).
                let elsewhere = Self.tunnelled(inner1, to: IPv4Address(192, 0, 2, 9))
                let out = Self.run(
                    &stage,
                    [Self.tunnelled(inner1), native, Self.tunnelled(inner2, vni: 2000, from: Self.y), elsewhere],
                    env: env)
                #expect(
                    out == [
                        Out(bytes: inner1, vlan: 100, source: MACOwner.remoteVTEP(0)),
                        Out(bytes: native, vlan: 0, source: PacketMeta.burstIngress),
                        Out(bytes: inner2, vlan: 200, source: MACOwner.remoteVTEP(1)),
                        Out(bytes: elsewhere, vlan: 0, source: PacketMeta.burstIngress),
                    ])
                #expect(stage.snapshot.events == [2, 0])
                // Per remote VTEP: one packet decapsulated from each.
                #expect(stage.vteps.load(slot: 0, VXLANVTEPCounters.rxPackets) == 1)
                #expect(stage.vteps.load(slot: 1, VXLANVTEPCounters.rxPackets) == 1)
                #expect(stage.vteps.load(slot: 0, VXLANVTEPCounters.rxDrops) == 0)
                // The same tunnel frame from another port than the uplink: not looked at.
                #expect(
                    Self.run(&stage, [Self.tunnelled(inner1)], ingress: 0, env: env).map(\.bytes) == [
                        Self.tunnelled(inner1)
                    ])
                // VXLAN off: nothing is looked at.
                let off = VXLANTables()
                defer { withExtendedLifetime(off) {} }
                var idle = VXLANDecapStage(vxlan: off.view)
                #expect(Self.run(&idle, [Self.tunnelled(inner1)], env: env).map(\.source) == [PacketMeta.burstIngress])
            }
        }

        @Test("the underlay's tag: decapsulated only with the configured one")
        func underlayVLAN() throws {
            try TestDPDK.run { env in
                var spec = Self.spec
                spec.underlayVLAN = 20
                let tables = VXLANTables(spec)
                defer { withExtendedLifetime(tables) {} }
                var stage = VXLANDecapStage(vxlan: tables.view)
                let inner = F.udp4(from: Host.a, to: Host.b)
                let out = Self.run(
                    &stage,
                    [
                        Self.tunnelled(inner, underlayVLAN: 20), Self.tunnelled(inner, underlayVLAN: 21),
                        Self.tunnelled(inner),
                    ], env: env)
                #expect(out.map(\.bytes) == [inner, Self.tunnelled(inner, underlayVLAN: 21), Self.tunnelled(inner)])
                #expect(out.map(\.vlan) == [100, 0, 0])
            }
        }

        @Test("every drop reason: each refused frame is counted under its name")
        func dropReasons() throws {
            try TestDPDK.run { env in
                let tables = VXLANTables(Self.spec)
                defer { withExtendedLifetime(tables) {} }
                var stage = VXLANDecapStage(vxlan: tables.view)
                let inner = F.udp4(from: Host.a, to: Host.b)
                let frame = Self.tunnelled(inner)
                // Offsets in an untagged outer frame: IPv4 at 14, UDP at 34, VXLAN at 42, inner at 50.
                let bad: [(Drop, [UInt8])] = [
                    (.truncatedOuter, Array(frame[0..<46])),
                    (.badOuterLength, Self.tunnelled(inner) { $0[17] &+= 1 }),  // IPv4 total length
                    (.outerFragment, Self.tunnelled(inner) { $0[20] |= 0x20 }),  // MF
                    (.flagIClear, Self.tunnelled(inner) { $0[42] = 0 }),
                    (.truncatedInner, Self.tunnelled(Array(inner[0..<10]))),
                    (.innerVLANTag, Self.tunnelled(F.pushTag(inner, tci: 100))),
                    (.unknownVNI, Self.tunnelled(inner, vni: 3000)),
                    (.unknownVTEP, Self.tunnelled(inner, from: IPv4Address(192, 0, 2, 7))),
                ]
                // The last reason, punt-ring-full, is the punt test's.
                #expect(Drop.allCases.count == bad.count + 1)
                for (reason, frame) in bad {
                    #expect(Self.run(&stage, [frame], env: env).isEmpty, "\(reason.name)")
                }
                #expect(stage.snapshot.drops == [UInt64](repeating: 1, count: bad.count) + [0])
                // Only the unknown VNI came from a known VTEP (slot 0): the one drop counted against it.
                #expect(stage.vteps.load(slot: 0, VXLANVTEPCounters.rxDrops) == 1)
                #expect(stage.vteps.load(slot: 0, VXLANVTEPCounters.rxPackets) == 0)
                #expect(
                    stage.descriptor.dropReasons == [
                        "truncated-outer", "bad-outer-length", "outer-fragment", "flag-i-clear", "truncated-inner",
                        "inner-vlan-tag", "unknown-vni", "unknown-vtep", "punt-ring-full",
                    ])
                #expect(stage.descriptor.eventNames == ["decapsulated", "punted"])
                #expect(stage.snapshot.events == [0, 0])
            }
        }

        @Test("random outer and inner corruption: no crash, each frame decapsulated as classified, passed or counted")
        func randomCorruption() throws {
            try TestDPDK.run { env in
                let tables = VXLANTables(Self.spec)
                defer { withExtendedLifetime(tables) {} }
                var stage = VXLANDecapStage(vxlan: tables.view)
                var random = FuzzRandom(seed: 0x7e57_0012)
                let inners = [
                    F.udp4(from: Host.a, to: Host.b), F.arpRequest(from: Host.c, for: Host.d.ipv4),
                    F.ping4(from: Host.e, to: Host.f), F.pushTag(F.udp4(from: Host.a, to: Host.b), tci: 100),
                    Array(F.udp4(from: Host.a, to: Host.b)[0..<10]),  // shorter than an Ethernet header
                ]
                var decapsulated = 0
                var passed = 0
                for round in 0..<200 {
                    var frames: [[UInt8]] = []
                    for _ in 0..<8 {
                        let inner = inners[Int(random.next() % UInt64(inners.count))]
                        var frame = Self.tunnelled(
                            inner, vni: random.next() % 4 == 0 ? 3000 : 1000,
                            from: random.next() % 5 == 0 ? IPv4Address(192, 0, 2, 7) : Self.x)
                        // Flip bytes in the outer headers and the first inner bytes, then maybe cut the frame.
                        for _ in 0..<Int(random.next() % 4) {
                            frame[Int(random.next() % UInt64(min(70, frame.count)))] ^= UInt8(
                                truncatingIfNeeded: random.next() | 1)
                        }
                        if random.next() % 4 == 0 {
                            frame = Array(frame[0..<max(1, Int(random.next() % UInt64(frame.count)))])
                        }
                        frames.append(frame)
                    }
                    let before = stage.snapshot
                    let out = Self.run(&stage, frames, env: env)
                    // The expectation, from the classifier (golden-tested in PacketTests) and the tables.
                    var expected: [Out] = []
                    var drops = 0
                    for frame in frames {
                        let verdict = frame.withUnsafeBytes {
                            VXLANDecap.classify(
                                $0.baseAddress!, length: frame.count, local: Self.local, underlayVLAN: 0)
                        }
                        switch verdict {
                        case .notTunnel:
                            expected.append(Out(bytes: frame, vlan: 0, source: PacketMeta.burstIngress))
                        case .drop:
                            drops += 1
                        case .tunnel(let vni, let offset, let source):
                            let vlan = tables.view.vlan(ofVNI: vni)
                            let slot = tables.view.remoteSlot(of: source)
                            if vlan == 0 || slot < 0 {
                                drops += 1
                            } else {
                                // Up to the end of the outer IP packet (its total length at 16).
                                let end = 14 + Int(frame[16]) << 8 + Int(frame[17])
                                expected.append(
                                    Out(
                                        bytes: Array(frame[offset..<end]), vlan: vlan,
                                        source: MACOwner.remoteVTEP(slot)))
                            }
                        }
                    }
                    #expect(out == expected, "round \(round)")
                    let after = stage.snapshot
                    #expect(after.drops.reduce(0, +) - before.drops.reduce(0, +) == UInt64(drops), "round \(round)")
                    decapsulated += out.filter { $0.source != PacketMeta.burstIngress }.count
                    passed += out.filter { $0.source == PacketMeta.burstIngress }.count
                }
                // The corpus reaches every outcome.
                #expect(decapsulated > 100 && passed > 10)
                #expect(stage.snapshot.drops.dropLast().allSatisfy { $0 > 0 }, "\(stage.snapshot.drops)")
            }
        }

        @Test("ARP and ICMP for the VTEP address are punted (with the underlay tag only); a full ring drops them")
        func punts() throws {
            try TestDPDK.run { env in
                let tables = VXLANTables(Self.spec)
                let tagged = VXLANTables(
                    VXLANSpec(uplink: Self.uplink, local: Self.local, underlayVLAN: 20, vnis: [], remotes: []))
                let punt = PuntPath.allocate(capacity: 4)
                defer {
                    while let entry = punt.nextPunted() { Mbuf(entry.mbuf).free() }
                    punt.deallocate()
                    withExtendedLifetime((tables, tagged)) {}
                }
                var stage = VXLANDecapStage(vxlan: tables.view, punt: punt)
                let peer = Host.c
                let forVTEP = F.arpRequest(from: peer, for: Self.local)
                let replyToVTEP = F.ethernet(
                    dst: Host.a.mac, src: peer.mac, type: 0x0806,
                    F.arp(op: 2, sha: peer.mac, spa: peer.ipv4, tha: Host.a.mac, tpa: Self.local))
                let echo = F.ethernet(
                    dst: Host.a.mac, src: peer.mac, type: 0x0800,
                    F.ipv4(src: peer.ipv4, dst: Self.local, proto: 1, F.echo()))
                let forOther = F.arpRequest(from: peer, for: Host.d.ipv4)
                let pingOther = F.ping4(from: peer, to: Host.d)
                let taggedForVTEP = F.arpRequest(from: peer, for: Self.local, tags: F.dot1q(20))
                let out = Self.run(
                    &stage, [forVTEP, forOther, replyToVTEP, pingOther, echo, taggedForVTEP], punted: 3, env: env)
                #expect(out.map(\.bytes) == [forOther, pingOther, taggedForVTEP])
                var punted: [[UInt8]] = []
                while let entry = punt.nextPunted() {
                    #expect(entry.kind == .vxlanUnderlay && entry.port == Self.uplink)
                    punted.append(bytes(of: Mbuf(entry.mbuf)))
                    Mbuf(entry.mbuf).free()
                }
                #expect(punted == [forVTEP, replyToVTEP, echo])
                #expect(stage.snapshot.events == [0, 3])
                // With the underlay's tag, only the tagged one; a full ring (4 entries) drops the rest.
                var taggedStage = VXLANDecapStage(vxlan: tagged.view, punt: punt)
                let six = [[UInt8]](repeating: taggedForVTEP, count: 6)
                #expect(Self.run(&taggedStage, [forVTEP] + six, punted: 4, env: env).map(\.bytes) == [forVTEP])
                #expect(taggedStage.snapshot.events == [0, 4])
                #expect(taggedStage.snapshot.drops.last == 2)
            }
        }

        @Test("Ethernet padding after the outer IP packet is not part of the inner frame")
        func padding() throws {
            try TestDPDK.run { env in
                let tables = VXLANTables(Self.spec)
                defer { withExtendedLifetime(tables) {} }
                var stage = VXLANDecapStage(vxlan: tables.view)
                let inner = F.udp4(from: Host.a, to: Host.b)
                let padded = Self.tunnelled(inner) + [UInt8](repeating: 0xee, count: 7)
                let out = Self.run(&stage, [padded], env: env)
                #expect(out == [Out(bytes: inner, vlan: 100, source: MACOwner.remoteVTEP(0))])
            }
        }

        @Test("followed by the bridge stages: the inner frame keeps its VLAN, skips port security, is learned behind X")
        func throughTheBridge() throws {
            try TestDPDK.run { env in
                let tables = VXLANTables(Self.spec)
                let bridge = BridgeTables(ports: [
                    BridgePortSpec(vlanMode: .access(vlan: 100)), BridgePortSpec(vlanMode: .access(vlan: 200)),
                    // The uplink: a trunk of VLAN 300 only, with port security for its underlay router.
                    BridgePortSpec(vlanMode: .trunk(allowed: [300], native: nil), allowedMAC: Self.underlayRouter),
                ])
                let macs = MACTable(capacity: 256, ports: MACOwner.count, seed: 7)
                defer { withExtendedLifetime((tables, bridge, macs)) {} }
                var decap = VXLANDecapStage(vxlan: tables.view)
                var parse = ParseStage(bridge: bridge.view)
                var security = PortSecurityStage(bridge: bridge.view)
                var vlan = VLANStage(bridge: bridge.view)
                var l2 = L2Stage(table: macs.view, tscHz: EAL.tscHz)
                var burst = PacketBurst(capacity: 32)
                let inner = F.udp4(from: Host.a, to: Host.b)
                // Port 0 (VLAN 100) knows B; A comes through the tunnel from X.
                _ = macs.view.learn(vlan: 100, mac: Host.b.mac.rawValue, port: 0, now: 0)
                // The untagged native frame is refused by the trunk (no native VLAN), as without VXLAN.
                env.fill(
                    &burst, frames: [Self.tunnelled(inner), F.udp4(from: Host.c, to: Host.b)], ingress: Self.uplink)
                _ = decap.run(&burst, since: 0)
                _ = parse.run(&burst, since: 0)
                _ = security.run(&burst, since: 0)
                _ = vlan.run(&burst, since: 0)
                _ = l2.run(&burst, since: 0)
                #expect(burst.count == 1)
                #expect(bytes(of: burst.packets[0]) == inner)
                #expect(burst.meta[0].vlan == 100 && !burst.meta[0].tagged && burst.meta[0].egress == 0)
                #expect(macs.entry(vlan: 100, mac: Host.a.mac.rawValue, now: 0)?.port == MACOwner.remoteVTEP(0))
                #expect(security.snapshot.drops.reduce(0, +) == 1)  // the native frame: source MAC
                #expect(vlan.snapshot.drops.reduce(0, +) == 0)
                burst.releaseDropped()
                burst.packets.freeAll()
            }
        }
    }
}
