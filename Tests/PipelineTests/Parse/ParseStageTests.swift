import CDPDK
import DPDK
import Packet
import Pipeline
import Testing

/// The bytes of a packet's first segment.
func bytes(of mbuf: Mbuf) -> [UInt8] { Array(UnsafeRawBufferPointer(mbuf.bytes)) }

extension DPDKBackedTests {
    @Suite struct ParseStageTests {
        static let a = Host.a, b = Host.b

        /// Four well-formed frames and the headers the parser must record for each, worked out by hand.
        static let good: [(frame: [UInt8], headers: PacketHeaders)] = [
            // ARP request, broadcast, padded to 60: ARP is 28 bytes after the 14-byte Ethernet header.
            (
                F.arpRequest(from: a, for: b.ipv4),
                PacketHeaders(
                    etherType: 0x0806, flags: [.arp, .broadcastDestination, .multicastDestination], l3Offset: 14,
                    payloadOffset: 42, l3End: 42)
            ),
            // IPv4/UDP "hello" behind a tag (PCP 1, VID 20): IP total length 20 + 8 + 5 = 33 from offset 18.
            (
                F.udp4(from: a, to: b, tags: F.dot1q(0x2014)),
                PacketHeaders(
                    etherType: 0x0800, vlanTCI: 0x2014, flags: [.vlanTagged, .ipv4, .udp], l3Offset: 18,
                    l4Offset: 38, payloadOffset: 46, l3End: 51, l4Protocol: 17)
            ),
            // IPv6 ICMPv6 echo: 40-byte header, 8-byte ICMPv6 header, "ping"; 66 bytes, no padding.
            (
                F.ping6(from: a, to: b),
                PacketHeaders(
                    etherType: 0x86dd, flags: [.ipv6, .icmpv6], l3Offset: 14, l4Offset: 54, payloadOffset: 62,
                    l3End: 66, l4Protocol: 58)
            ),
            // An EtherType the parser does not know, to a multicast group: it stops after Ethernet.
            (
                F.ethernet(dst: F.ipv4Multicast, src: a.mac, type: 0x88b5, [1, 2, 3]),
                PacketHeaders(
                    etherType: 0x88b5, flags: [.multicastDestination], l3Offset: 14, payloadOffset: 14, l3End: 60)
            ),
        ]

        /// One malformed frame per reason the parser has (two for stacked-vlan), with the reason.
        static let malformed: [(frame: [UInt8], reason: ParseError)] = {
            let (a, b) = (Self.a, Self.b)
            let eth = { (type: UInt16, payload: [UInt8]) in
                F.ethernet(dst: b.mac, src: a.mac, type: type, payload, minimum: 0)
            }
            let ip4 = { (proto: UInt8, payload: [UInt8]) in
                eth(0x0800, F.ipv4(src: a.ipv4, dst: b.ipv4, proto: proto, payload))
            }
            return [
                (Array(F.udp4(from: a, to: b)[0..<13]), .truncatedEthernet),
                (Array(F.udp4(from: a, to: b, tags: F.dot1q(10))[0..<17]), .truncatedVLAN),
                (F.udp4(from: a, to: b, tags: [(0x88a8, 100), (0x8100, 10)]), .stackedVLAN),
                (F.udp4(from: a, to: b, tags: [(0x8100, 10), (0x8100, 20)]), .stackedVLAN),
                (eth(0x0806, Array(F.arp(op: 1, sha: a.mac, spa: a.ipv4, tpa: b.ipv4)[0..<27])), .truncatedARP),
                (
                    F.ethernet(
                        dst: F.broadcast, src: a.mac, type: 0x0806,
                        F.arp(op: 1, sha: a.mac, spa: a.ipv4, tpa: b.ipv4, htype: 6)), .badARP
                ),
                (eth(0x0800, Array(F.ipv4(src: a.ipv4, dst: b.ipv4, proto: 17, [])[0..<19])), .truncatedIPv4),
                (
                    eth(0x0800, F.ipv4(src: a.ipv4, dst: b.ipv4, proto: 17, version: 5, F.udp(src: 1, dst: 2, []))),
                    .badIPv4Version
                ),
                (
                    eth(0x0800, F.ipv4(src: a.ipv4, dst: b.ipv4, proto: 17, ihl: 4, F.udp(src: 1, dst: 2, []))),
                    .badIPv4HeaderLength
                ),
                (
                    eth(
                        0x0800, F.ipv4(src: a.ipv4, dst: b.ipv4, proto: 17, totalLength: 200, F.udp(src: 1, dst: 2, []))
                    ), .badIPv4TotalLength
                ),
                (eth(0x86dd, Array(F.ipv6(src: a.ipv6, dst: b.ipv6, next: 59, [])[0..<39])), .truncatedIPv6),
                (eth(0x86dd, F.ipv6(src: a.ipv6, dst: b.ipv6, next: 59, version: 4, [])), .badIPv6Version),
                (
                    eth(0x86dd, F.ipv6(src: a.ipv6, dst: b.ipv6, next: 58, payloadLength: 100, F.echo(type: 128))),
                    .badIPv6PayloadLength
                ),
                (eth(0x86dd, F.ipv6(src: a.ipv6, dst: b.ipv6, next: 0, [59])), .badIPv6ExtensionHeader),
                (ip4(6, [UInt8](repeating: 0, count: 10)), .truncatedTCP),
                (ip4(6, F.tcp(src: 1, dst: 80, dataOffset: 4)), .badTCPDataOffset),
                (ip4(17, [UInt8](repeating: 0, count: 7)), .truncatedUDP),
                (ip4(17, F.udp(src: 1, dst: 2, length: 6, [])), .badUDPLength),
                (ip4(1, [8, 0, 0, 0]), .truncatedICMP),
                (ip4(17, F.udp(src: 1, dst: 4789, [0x08, 0, 0, 0, 0, 0, 1, 0, 0, 0])), .truncatedVXLAN),
                (
                    F.ethernet(
                        dst: b.mac, src: F.ipv4Multicast, type: 0x0800,
                        F.ipv4(src: a.ipv4, dst: b.ipv4, proto: 17, F.udp(src: 1, dst: 2, []))), .groupSourceMAC
                ),
                (ip4(17, F.udp(src: 1, dst: 2, [UInt8](repeating: 7, count: Self.mtu - 28 + 1))), .exceedsMTU),
            ]
        }()

        /// The MTU of every port in these tests: the `exceedsMTU` frame is one byte over it.
        static let mtu = 1500

        /// Bridge rows for ports 0...3, all with `mtu`.
        static let bridge = BridgeTables(ports: Array(repeating: BridgePortSpec(mtu: mtu), count: 4))

        @Test("the malformed frames are what they say they are, the good ones parse (checks the test data)")
        func testDataIsRight() {
            for (frame, reason) in Self.malformed {
                var headers = PacketHeaders()
                #expect(
                    frame.withUnsafeBytes {
                        PacketParser.parse(
                            $0.baseAddress!, length: $0.count, frameLength: $0.count, mtu: Self.mtu, into: &headers)
                    } == reason)
            }
            #expect(Set(Self.malformed.map(\.reason)) == Set(ParseError.allCases).subtracting([.frameTooLong]))
        }

        @Test("drops each malformed frame under its reason; good frames keep their headers, bytes and order")
        func goldenBurst() throws {
            try TestDPDK.run { env in
                var stage = ParseStage(bridge: Self.bridge.view)
                var burst = PacketBurst(capacity: 32)
                // Interleave: good 0, bad 0..5, good 1, bad 6..11, good 2, bad 12..17, good 3, bad 18..21.
                var frames: [[UInt8]] = []
                var expectedDropped: [[UInt8]] = []
                for (g, good) in Self.good.enumerated() {
                    frames.append(good.frame)
                    for bad in Self.malformed[min(g * 6, Self.malformed.count)..<min(g * 6 + 6, Self.malformed.count)] {
                        frames.append(bad.frame)
                        expectedDropped.append(bad.frame)
                    }
                }
                #expect(expectedDropped.count == Self.malformed.count)
                env.fill(&burst, frames: frames, ingress: 2)
                _ = stage.run(&burst, since: readTSC())
                var drops = [UInt64](repeating: 0, count: ParseError.allCases.count)
                drops[Int(ParseError.stackedVLAN.rawValue)] = 2
                for reason in ParseError.allCases where reason != .stackedVLAN && reason != .frameTooLong {
                    drops[Int(reason.rawValue)] = 1
                }
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 26, packetsOut: 4, drops: drops))
                #expect(burst.count == 4)
                for i in 0..<burst.count {
                    #expect(bytes(of: burst.packets[i]) == Self.good[i].frame, "survivor \(i) bytes")
                    #expect(burst.meta[i].headers == Self.good[i].headers, "survivor \(i) headers")
                    #expect(
                        burst.meta[i].egress == PacketMeta.noEgress && burst.meta[i].vlan == 0 && !burst.meta[i].tagged)
                }
                #expect((0..<burst.dropped.count).map { bytes(of: burst.dropped[$0]) } == expectedDropped)
                burst.releaseDropped()
                burst.packets.freeAll()
            }
        }

        @Test("a burst of only malformed frames ends empty; counters add up over bursts")
        func allDropped() throws {
            try TestDPDK.run { env in
                var stage = ParseStage()
                var burst = PacketBurst(capacity: 8)
                env.fill(&burst, frames: [[], [1, 2, 3], Self.malformed[2].frame], ingress: 0)
                _ = stage.run(&burst, since: readTSC())
                #expect(burst.count == 0 && burst.dropped.count == 3)
                burst.releaseDropped()
                env.fill(&burst, frames: Self.good.map(\.frame), ingress: 1)
                _ = stage.run(&burst, since: readTSC())
                #expect(burst.count == 4)
                burst.packets.freeAll()
                var drops = [UInt64](repeating: 0, count: ParseError.allCases.count)
                drops[Int(ParseError.truncatedEthernet.rawValue)] = 2
                drops[Int(ParseError.stackedVLAN.rawValue)] = 1
                let counters = stage.snapshot.ignoringCycles()
                #expect(counters == StageSnapshot(calls: 2, packetsIn: 7, packetsOut: 4, drops: drops))
                #expect(counters.packetsIn == counters.packetsOut + counters.drops.reduce(0, +))
            }
        }

        @Test("descriptor: the parser's reasons, in raw-value order")
        func descriptor() {
            let stage = ParseStage()
            #expect(stage.descriptor.name == "parse")
            #expect(stage.descriptor.dropReasons.count == 22)
            #expect(stage.descriptor.dropReasons.first == "truncated-ethernet")
            #expect(
                stage.descriptor.dropReasons[Int(ParseError.badIPv6PayloadLength.rawValue)] == "bad-ipv6-payload-length"
            )
            #expect(stage.descriptor.dropReasons[19] == "frame-too-long")
            #expect(stage.descriptor.dropReasons[20] == "group-source-mac")
            #expect(stage.descriptor.dropReasons.last == "exceeds-mtu")
        }

        /// Frames of exactly `payload` bytes after the Ethernet header (and tag), as the switch receives them.
        static func frame(payload: Int, tagged: Bool) -> [UInt8] {
            let udp = F.udp(src: 1, dst: 2, [UInt8](repeating: 7, count: payload - 28))
            return F.ethernet(
                dst: b.mac, src: a.mac, tags: tagged ? F.dot1q(5) : [], type: 0x0800,
                F.ipv4(src: a.ipv4, dst: b.ipv4, proto: 17, udp))
        }

        @Test("each port's own MTU bounds what follows the Ethernet header and tag; exactly the MTU passes")
        func mtuPerIngressPort() throws {
            try TestDPDK.run { env in
                let bridge = BridgeTables(ports: [BridgePortSpec(mtu: 1500), BridgePortSpec(mtu: 9000)])
                var stage = ParseStage(bridge: bridge.view)
                var burst = PacketBurst(capacity: 8)
                let fits = [Self.frame(payload: 1500, tagged: false), Self.frame(payload: 1500, tagged: true)]
                let over = [Self.frame(payload: 1501, tagged: false), Self.frame(payload: 1501, tagged: true)]
                #expect(fits.map(\.count) == [1514, 1518])
                env.fill(&burst, frames: [fits[0], over[0], fits[1], over[1]], ingress: 0)
                _ = stage.run(&burst, since: readTSC())
                #expect((0..<burst.count).map { bytes(of: burst.packets[$0]) } == fits)
                #expect((0..<burst.dropped.count).map { bytes(of: burst.dropped[$0]) } == over)
                burst.releaseDropped()
                burst.packets.freeAll()
                // The same frames from the 9000-byte port all pass.
                env.fill(&burst, frames: fits + over, ingress: 1)
                _ = stage.run(&burst, since: readTSC())
                #expect(burst.count == 4 && burst.dropped.count == 0)
                burst.packets.freeAll()
                var drops = [UInt64](repeating: 0, count: ParseError.allCases.count)
                drops[Int(ParseError.exceedsMTU.rawValue)] = 2
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 2, packetsIn: 8, packetsOut: 6, drops: drops))
            }
        }

        @Test("a frame over the MTU is refused by its whole length, also when its first segment is short")
        func mtuCountsEverySegment() throws {
            try TestDPDK.run { env in
                var stage = ParseStage(bridge: Self.bridge.view)
                var burst = PacketBurst(capacity: 4)
                // 1515 bytes (1501 after the header) in two segments: 64 bytes, then the rest.
                let whole = Self.frame(payload: 1501, tagged: false)
                let head = env.mbuf(Array(whole[0..<64]))
                let tail = env.mbuf(Array(whole[64...]))
                #expect(rte_pktmbuf_chain(head.raw, tail.raw) == 0)
                #expect(head.dataLength == 64 && head.packetLength == 1515 && head.segmentCount == 2)
                burst.packets.append(head)
                burst.beginBurst(ingress: 0)
                _ = stage.run(&burst, since: readTSC())
                #expect(burst.count == 0 && burst.dropped.count == 1)
                burst.releaseDropped()
                #expect(stage.snapshot.drops[Int(ParseError.exceedsMTU.rawValue)] == 1)
            }
        }

        @Test("a group source MAC is dropped at parse, before any later stage: multicast, broadcast, tagged")
        func groupSourceMAC() throws {
            try TestDPDK.run { env in
                let (a, b) = (Self.a, Self.b)
                var stage = ParseStage(bridge: Self.bridge.view)
                var burst = PacketBurst(capacity: 8)
                let ip = F.ipv4(src: a.ipv4, dst: b.ipv4, proto: 17, F.udp(src: 1, dst: 2, [1, 2, 3]))
                let sources = [F.ipv4Multicast, F.broadcast, EthernetAddress("03:00:00:00:00:01")!]
                let bad =
                    sources.map { F.ethernet(dst: b.mac, src: $0, type: 0x0800, ip) }
                    + [
                        F.ethernet(
                            dst: F.broadcast, src: F.broadcast, type: 0x0806,
                            F.arp(op: 1, sha: a.mac, spa: a.ipv4, tpa: b.ipv4)),
                        F.ethernet(dst: b.mac, src: F.ipv6Multicast, tags: F.dot1q(5), type: 0x0800, ip),
                    ]
                // A locally administered unicast source (02:...) is individual: it passes.
                let good = F.ethernet(dst: b.mac, src: EthernetAddress("02:00:00:00:00:09")!, type: 0x0800, ip)
                env.fill(&burst, frames: bad + [good], ingress: 1)
                _ = stage.run(&burst, since: readTSC())
                #expect(burst.count == 1 && bytes(of: burst.packets[0]) == good)
                #expect((0..<burst.dropped.count).map { bytes(of: burst.dropped[$0]) } == bad)
                burst.releaseDropped()
                burst.packets.freeAll()
                #expect(stage.snapshot.drops[Int(ParseError.groupSourceMAC.rawValue)] == 5)
            }
        }
    }
}
