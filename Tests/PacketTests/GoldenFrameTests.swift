import Packet
import Testing

@Suite struct GoldenFrameTests {
    let buffer = GuardedBuffer()

    @Test(arguments: allGoldens)
    func parsesToExactHeaders(golden: Golden) {
        let (headers, error) = parseGuarded(golden.frame, buffer: buffer)
        #expect(error == nil)
        #expect(headers == golden.expected, "\(golden.name): \(hex(golden.frame))")
        #expect(brokenInvariant(headers, length: golden.frame.count) == nil)
    }

    @Test(arguments: allGoldens)
    func referenceParserAgrees(golden: Golden) {
        #expect(ReferenceParser.parse(golden.frame) == .success(golden.expected))
    }

    @Test func goldenNamesAreUnique() {
        #expect(Set(allGoldens.map(\.name)).count == allGoldens.count)
        #expect(allGoldens.count == 52)
    }

    /// A tagged frame spelled out in full rather than derived with `tagged(tci:)`.
    @Test func taggedIPv4UDPByHand() {
        let frame = Build.ethernet(
            vlan: 0x0064, type: 0x0800, Build.ipv4(proto: 17, Build.udp(src: 1, dst: 2, Build.bytes(18))))
        let (headers, error) = parseGuarded(frame, buffer: buffer)
        #expect(error == nil)
        #expect(
            headers
                == PacketHeaders(
                    etherType: 0x0800, vlanTCI: 0x0064, flags: [.vlanTagged, .ipv4, .udp], l3Offset: 18, l4Offset: 38,
                    payloadOffset: 46, l3End: 64, l4Protocol: 17))
        #expect(headers.vlanID == 100)
        #expect(headers.vlanPriority == 0)
        #expect(headers.payloadLength == 18)
    }

    @Test func priorityTagWithVIDZeroIsTagged() {
        let frame = Build.padded(
            Build.ethernet(vlan: 0xe000, type: 0x0800, Build.ipv4(proto: 17, Build.udp(dst: 9, []))))
        let (headers, error) = parseGuarded(frame, buffer: buffer)
        #expect(error == nil)
        #expect(headers.flags.contains(.vlanTagged))
        #expect(headers.vlanTCI == 0xe000)
        #expect(headers.vlanID == 0)
        #expect(headers.vlanPriority == 7)
        #expect(headers.l3Offset == 18)
    }

    @Test func multicastIsNotBroadcast() {
        let frame = Build.padded(
            Build.ethernet(
                dst: EthernetAddress("01:00:5e:00:00:fb")!, type: 0x0800,
                Build.ipv4(proto: 17, Build.udp(dst: 5353, []))))
        let (headers, _) = parseGuarded(frame, buffer: buffer)
        #expect(headers.flags.contains(.multicastDestination))
        #expect(!headers.flags.contains(.broadcastDestination))
        // All ones but the group bit clear in the last byte is still only multicast.
        var almost = frame
        for i in 0..<5 { almost[i] = 0xff }
        almost[5] = 0xfe
        let (other, _) = parseGuarded(almost, buffer: buffer)
        #expect(other.flags.contains(.multicastDestination))
        #expect(!other.flags.contains(.broadcastDestination))
    }

    /// A VXLAN first fragment is plain UDP: the inner frame is incomplete.
    @Test func fragmentedVXLANIsNotDecapsulated() {
        let frame = Build.ethernet(
            type: 0x0800,
            Build.ipv4(
                proto: 17, fragment: 0x2000, Build.udp(dst: 4789, length: 3000, Build.vxlan(vni: 5, Build.bytes(20)))))
        let (headers, error) = parseGuarded(frame, buffer: buffer)
        #expect(error == nil)
        #expect(
            headers
                == PacketHeaders(
                    etherType: 0x0800, flags: [.ipv4, .udp, .ipFragment], l3Offset: 14, l4Offset: 34, payloadOffset: 42,
                    l3End: 70, l4Protocol: 17))
    }

    /// ICMP numbers only count under their own IP version.
    @Test func icmpUnderTheWrongIPVersionIsUnknown() {
        let v6 = Build.ethernet(type: 0x86dd, Build.ipv6(next: 1, Build.icmp(type: 8, [])))
        let v4 = Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 58, Build.icmp(type: 128, []))))
        let (h6, e6) = parseGuarded(v6, buffer: buffer)
        let (h4, e4) = parseGuarded(v4, buffer: buffer)
        #expect(e6 == nil && e4 == nil)
        #expect(
            h6
                == PacketHeaders(
                    etherType: 0x86dd, flags: [.ipv6], l3Offset: 14, payloadOffset: 54, l3End: 62, l4Protocol: 1))
        #expect(
            h4
                == PacketHeaders(
                    etherType: 0x0800, flags: [.ipv4], l3Offset: 14, payloadOffset: 34, l3End: 42, l4Protocol: 58))
    }

    /// Exactly 8 extension headers are walked; the ninth is an error (see ParseErrorTests).
    @Test func eightExtensionHeadersAreAccepted() {
        var chain: [UInt8] = []
        for _ in 0..<7 { chain += Build.ipv6Options(next: 60) }
        chain += Build.ipv6Options(next: 17) + Build.udp(dst: 9, [])
        let frame = Build.ethernet(type: 0x86dd, Build.ipv6(next: 60, chain))
        let (headers, error) = parseGuarded(frame, buffer: buffer)
        #expect(error == nil)
        #expect(
            headers
                == PacketHeaders(
                    etherType: 0x86dd, flags: [.ipv6, .udp], l3Offset: 14, l4Offset: 118, payloadOffset: 126,
                    l3End: 126,
                    l4Protocol: 17))
    }

    /// The smallest non-zero fragment offset (8 bytes) already means "no L4 header here".
    @Test func fragmentOffsetOneIsNonFirst() {
        let v4 = Build.ethernet(type: 0x0800, Build.ipv4(proto: 6, fragment: 0x2001, Build.bytes(40)))
        let v6 = Build.ethernet(
            type: 0x86dd, Build.ipv6(next: 44, Build.ipv6Fragment(next: 17, offset: 1, more: true) + Build.bytes(40)))
        let (h4, e4) = parseGuarded(v4, buffer: buffer)
        let (h6, e6) = parseGuarded(v6, buffer: buffer)
        #expect(e4 == nil && e6 == nil)
        #expect(
            h4
                == PacketHeaders(
                    etherType: 0x0800, flags: [.ipv4, .ipFragment], l3Offset: 14, payloadOffset: 34, l3End: 74,
                    l4Protocol: 6))
        #expect(
            h6
                == PacketHeaders(
                    etherType: 0x86dd, flags: [.ipv6, .ipFragment], l3Offset: 14, payloadOffset: 62, l3End: 102,
                    l4Protocol: 17))
    }

    /// The DF bit and the reserved bit do not make a fragment; an atomic IPv6 fragment (offset 0, M clear) is one.
    @Test func fragmentBits() {
        let reserved = Build.ethernet(
            type: 0x0800, Build.ipv4(proto: 17, fragment: 0xc000, Build.udp(dst: 9, Build.bytes(18))))
        let atomic = Build.ethernet(
            type: 0x86dd,
            Build.ipv6(
                next: 44, Build.ipv6Fragment(next: 17, offset: 0, more: false) + Build.udp(dst: 9, Build.bytes(10))))
        let (h4, _) = parseGuarded(reserved, buffer: buffer)
        let (h6, _) = parseGuarded(atomic, buffer: buffer)
        #expect(h4.flags == [.ipv4, .udp])
        #expect(
            h6
                == PacketHeaders(
                    etherType: 0x86dd, flags: [.ipv6, .udp, .ipFragment], l3Offset: 14, l4Offset: 62, payloadOffset: 70,
                    l3End: 80, l4Protocol: 17))
    }

    /// On success every field is overwritten, whatever `headers` held before.
    @Test func successOverwritesEveryField() {
        let golden = baseGoldens[0]
        golden.frame.withUnsafeBytes { raw in
            var headers = sentinelHeaders
            #expect(PacketParser.parse(raw.baseAddress!, length: raw.count, into: &headers) == nil)
            #expect(headers == golden.expected)
        }
    }
}

/// Reading fields through the views of golden frames.
@Suite struct HeaderViewTests {
    func withParsed(_ frame: [UInt8], _ body: (UnsafeRawPointer, PacketHeaders) -> Void) {
        frame.withUnsafeBytes { raw in
            var headers = PacketHeaders()
            let error = PacketParser.parse(raw.baseAddress!, length: raw.count, into: &headers)
            #expect(error == nil)
            body(raw.baseAddress!, headers)
        }
    }

    @Test func ethernetAndVLAN() {
        let frame = Build.ethernet(
            vlan: 0xb00a, type: 0x0800, Build.ipv4(proto: 17, Build.udp(dst: 9, Build.bytes(18))))
        withParsed(frame) { data, h in
            let eth = h.ethernetHeader(in: data)
            #expect(eth.destination == Build.hostB)
            #expect(eth.source == Build.hostA)
            #expect(eth.etherType == 0x8100)
            let tag = h.vlanTag(in: data)
            #expect(tag?.tpid == 0x8100)
            #expect(tag?.tci == 0xb00a)
            #expect(tag?.priority == 5)
            #expect(tag?.dropEligible == true)
            #expect(tag?.vlanID == 10)
            #expect(tag?.etherType == 0x0800)
            #expect(h.arpHeader(in: data) == nil)
            #expect(h.ipv6Header(in: data) == nil)
        }
        withParsed(baseGoldens[0].frame) { data, h in #expect(h.vlanTag(in: data) == nil) }
    }

    @Test func arp() {
        withParsed(baseGoldens.first { $0.name == "arp-reply" }!.frame) { data, h in
            let arp = h.arpHeader(in: data)!
            #expect(arp.hardwareType == 1)
            #expect(arp.protocolType == 0x0800)
            #expect(arp.hardwareLength == 6)
            #expect(arp.protocolLength == 4)
            #expect(arp.opcode == ARPHeader.reply)
            #expect(arp.senderHardwareAddress == Build.hostB)
            #expect(arp.senderProtocolAddress == IPv4Address(10, 0, 0, 2))
            #expect(arp.targetHardwareAddress == Build.hostA)
            #expect(arp.targetProtocolAddress.description == "10.0.0.1")
        }
    }

    @Test func ipv4AndTCP() {
        withParsed(baseGoldens.first { $0.name == "ipv4-tcp-options" }!.frame) { data, h in
            let ip = h.ipv4Header(in: data)!
            #expect(ip.version == 4)
            #expect(ip.headerLength == 20)
            #expect(ip.totalLength == 62)
            #expect(ip.identification == 0x1234)
            #expect(ip.dontFragment && !ip.moreFragments && ip.fragmentOffset == 0)
            #expect(ip.timeToLive == 64)
            #expect(ip.protocolNumber == 6)
            #expect(ip.source == IPv4Address(10, 0, 0, 1))
            #expect(ip.destination == IPv4Address(rawValue: 0x0a00_0002))
            let header = UnsafeRawBufferPointer(start: data + 14, count: 20)
            #expect(Build.checksum(Array(header)) == 0, "the builder's IPv4 checksum verifies")
            let tcp = h.tcpHeader(in: data)!
            #expect(tcp.sourcePort == 33000)
            #expect(tcp.destinationPort == 443)
            #expect(tcp.sequenceNumber == 0x0102_0304)
            #expect(tcp.acknowledgmentNumber == 0x0506_0708)
            #expect(tcp.headerLength == 32)
            #expect(tcp.flags == [.psh, .ack])
            #expect(tcp.window == 65535)
            #expect(h.udpHeader(in: data) == nil)
        }
        withParsed(baseGoldens.first { $0.name == "ipv4-fragment-non-first" }!.frame) { data, h in
            let ip = h.ipv4Header(in: data)!
            #expect(!ip.dontFragment && !ip.moreFragments)
            #expect(ip.fragmentOffset == 1480)
        }
    }

    @Test func ipv6UDPAndVXLAN() {
        withParsed(baseGoldens.first { $0.name == "vxlan-ipv6" }!.frame) { data, h in
            let ip = h.ipv6Header(in: data)!
            #expect(ip.version == 6)
            #expect(ip.trafficClass == 0)
            #expect(ip.flowLabel == 0)
            #expect(ip.payloadLength == 66)
            #expect(ip.nextHeader == 17)
            #expect(ip.hopLimit == 64)
            #expect(ip.source == IPv6Address("2001:db8::1"))
            #expect(ip.destination.description == "2001:db8::2")
            let udp = h.udpHeader(in: data)!
            #expect(udp.sourcePort == 51001)
            #expect(udp.destinationPort == VXLANHeader.udpPort)
            #expect(udp.length == 66)
            #expect(udp.checksum == 0)
            let vxlan = h.vxlanHeader(in: data)!
            #expect(vxlan.flags == 0x08)
            #expect(vxlan.hasValidVNI)
            #expect(vxlan.vni == 42)
            // The inner frame starts at payloadOffset.
            let inner = EthernetHeader(data + Int(h.payloadOffset))
            #expect(inner.destination == hostC)
            #expect(inner.source == hostD)
            #expect(inner.etherType == 0x0800)
        }
        withParsed(baseGoldens.first { $0.name == "vxlan-ipv4" }!.frame) { data, h in
            #expect(h.vxlanHeader(in: data)?.vni == 0x12_3456)
        }
        withParsed(baseGoldens.first { $0.name == "udp-4789-without-i-flag" }!.frame) { data, h in
            #expect(h.vxlanHeader(in: data) == nil)
        }
    }

    @Test func icmp() {
        withParsed(baseGoldens.first { $0.name == "ipv4-icmp-echo" }!.frame) { data, h in
            let icmp = h.icmpHeader(in: data)!
            #expect(icmp.type == 8)
            #expect(icmp.code == 0)
            #expect(icmp.restOfHeader == 0x0042_0001)
        }
        withParsed(baseGoldens.first { $0.name == "ipv6-icmpv6-neighbor-solicitation" }!.frame) { data, h in
            #expect(h.icmpHeader(in: data)?.type == 135)
            #expect(h.ipv6Header(in: data)?.destination == IPv6Address("ff02::1:ff00:2"))
        }
    }
}
