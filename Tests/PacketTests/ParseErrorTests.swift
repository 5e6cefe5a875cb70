import Packet
import Testing

/// One or more frames crafted to trigger exactly `error` (and nothing earlier in the parse). The switch is
/// exhaustive: a new ParseError case does not compile until it has its frames.
func framesTriggering(_ error: ParseError) -> [(String, [UInt8])] {
    let udp = Build.udp(dst: 9, Build.bytes(10))
    let ipv4UDP = Build.ipv4(proto: 17, udp)
    switch error {
    case .truncatedEthernet:
        return [("13 bytes", Build.bytes(13)), ("empty", []), ("1 byte", [0xff])]
    case .truncatedVLAN:
        let tagged = Build.ethernet(vlan: 5, type: 0x0800, ipv4UDP)
        return [("tag cut after the TCI", Array(tagged[0..<16])), ("inner type cut", Array(tagged[0..<17]))]
    case .stackedVLAN:
        return [
            ("802.1ad outer", Build.ethernet(vlan: 5, tpid: 0x88a8, type: 0x0800, ipv4UDP)),
            ("0x9100 outer", Build.ethernet(vlan: 5, tpid: 0x9100, type: 0x0800, ipv4UDP)),
            (
                "0x88a8 outer, cut before its TCI",
                Array(Build.ethernet(vlan: 5, tpid: 0x88a8, type: 0x0800, [])[0..<14])
            ),
            ("double 802.1Q", Build.ethernet(vlan: 5, type: 0x8100, Build.be16(6) + Build.be16(0x0800) + ipv4UDP)),
            (
                "802.1Q then 802.1ad",
                Build.ethernet(vlan: 5, type: 0x88a8, Build.be16(6) + Build.be16(0x0800) + ipv4UDP)
            ),
            ("802.1Q then 0x9100", Build.ethernet(vlan: 5, type: 0x9100, Build.be16(6) + Build.be16(0x0800) + ipv4UDP)),
        ]
    case .truncatedARP:
        let arp = Build.arp(
            opcode: 1, sha: Build.hostA, spa: IPv4Address(1, 2, 3, 4), tha: .zero, tpa: IPv4Address(1, 2, 3, 5))
        return [
            ("27 bytes of ARP", Build.ethernet(type: 0x0806, Array(arp[0..<27]))),
            ("no ARP at all", Build.ethernet(type: 0x0806, [])),
            ("tagged, 27 bytes", Build.ethernet(vlan: 1, type: 0x0806, Array(arp[0..<27]))),
        ]
    case .badARP:
        func arp(htype: UInt16 = 1, ptype: UInt16 = 0x0800, hlen: UInt8 = 6, plen: UInt8 = 4) -> [UInt8] {
            Build.padded(
                Build.ethernet(
                    type: 0x0806,
                    Build.arp(
                        opcode: 1, sha: Build.hostA, spa: IPv4Address(1, 2, 3, 4), tha: .zero,
                        tpa: IPv4Address(1, 2, 3, 5),
                        htype: htype, ptype: ptype, hlen: hlen, plen: plen)))
        }
        return [
            ("htype 6", arp(htype: 6)), ("ptype IPv6", arp(ptype: 0x86dd)), ("hlen 8", arp(hlen: 8)),
            ("plen 16", arp(plen: 16)),
        ]
    case .truncatedIPv4:
        return [
            ("19 bytes of IPv4", Build.ethernet(type: 0x0800, Array(ipv4UDP[0..<19]))),
            ("tagged, none", Build.ethernet(vlan: 1, type: 0x0800, [])),
        ]
    case .badIPv4Version:
        return [
            ("version 6", Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, version: 6, udp))),
            ("version 0", Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, version: 0, udp))),
        ]
    case .badIPv4HeaderLength:
        return [
            ("IHL 4", Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, ihl: 4, udp))),
            ("IHL 0", Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, ihl: 0, udp))),
            // 60-byte header, 30 bytes available.
            (
                "IHL 15 past the frame",
                Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, totalLength: 30, ihl: 15, Build.bytes(10)))
            ),
        ]
    case .badIPv4TotalLength:
        return [
            ("total 19", Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, totalLength: 19, udp)))),
            (
                "total 23 with a 24-byte header",
                Build.padded(
                    Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, options: [1, 1, 1, 0], totalLength: 23, udp)))
            ),
            ("one byte past the frame", Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, totalLength: 39, udp))),
            ("65535", Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, totalLength: 0xffff, udp))),
        ]
    case .truncatedIPv6:
        return [("39 bytes of IPv6", Build.ethernet(type: 0x86dd, Array(Build.ipv6(next: 17, udp)[0..<39])))]
    case .badIPv6Version:
        return [("version 4", Build.ethernet(type: 0x86dd, Build.ipv6(next: 17, version: 4, udp)))]
    case .badIPv6PayloadLength:
        return [
            ("one byte past the frame", Build.ethernet(type: 0x86dd, Build.ipv6(next: 17, payloadLength: 19, udp))),
            ("65535", Build.ethernet(type: 0x86dd, Build.ipv6(next: 17, payloadLength: 0xffff, udp))),
        ]
    case .badIPv6ExtensionHeader:
        var nine: [UInt8] = []
        for _ in 0..<8 { nine += Build.ipv6Options(next: 60) }
        nine += Build.ipv6Options(next: 17) + udp
        var nineFragments: [UInt8] = []
        for _ in 0..<9 { nineFragments += Build.ipv6Fragment(next: 44, offset: 0, more: true) }
        return [
            (
                "hop-by-hop longer than the payload",
                Build.ethernet(type: 0x86dd, Build.ipv6(next: 0, Array(Build.ipv6Options(next: 17, units: 2)[0..<16])))
            ),
            ("hop-by-hop with one byte", Build.padded(Build.ethernet(type: 0x86dd, Build.ipv6(next: 0, [17])))),
            (
                "routing header cut by the payload length (padding after it)",
                Build.padded(
                    Build.ethernet(type: 0x86dd, Build.ipv6(next: 43, payloadLength: 7, Build.ipv6Options(next: 17))),
                    to: 80)
            ),
            (
                "fragment header with 7 bytes",
                Build.ethernet(
                    type: 0x86dd,
                    Build.ipv6(next: 44, Array(Build.ipv6Fragment(next: 17, offset: 0, more: true)[0..<7])))
            ),
            ("nine destination-options headers", Build.ethernet(type: 0x86dd, Build.ipv6(next: 60, nine))),
            (
                "nine fragment headers",
                Build.ethernet(type: 0x86dd, Build.ipv6(next: 44, nineFragments + Build.bytes(8)))
            ),
        ]
    case .truncatedTCP:
        let tcp = Build.tcp([])
        return [
            // The frame is padded past the TCP header, but the IP datagram ends one byte short: IP bounds win.
            (
                "19 bytes in the IPv4 payload",
                Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 6, Array(tcp[0..<19]))), to: 80)
            ),
            ("19 bytes in the IPv6 payload", Build.ethernet(type: 0x86dd, Build.ipv6(next: 6, Array(tcp[0..<19])))),
            (
                "tiny first fragment",
                Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 6, fragment: 0x2000, Array(tcp[0..<16]))))
            ),
        ]
    case .badTCPDataOffset:
        return [
            (
                "data offset 4",
                Build.ethernet(type: 0x0800, Build.ipv4(proto: 6, Build.tcp(dataOffset: 4, Build.bytes(8))))
            ),
            ("data offset 0", Build.ethernet(type: 0x86dd, Build.ipv6(next: 6, Build.tcp(dataOffset: 0, [])))),
            (
                "options past the IP payload",
                Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 6, Build.tcp(dataOffset: 6, []))), to: 80)
            ),
            (
                "data offset 15, 40 bytes",
                Build.ethernet(type: 0x0800, Build.ipv4(proto: 6, Build.tcp(dataOffset: 15, Build.bytes(20))))
            ),
        ]
    case .truncatedUDP:
        return [
            (
                "7 bytes in the IPv4 payload",
                Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, Array(udp[0..<7]))))
            ),
            ("no IPv6 payload", Build.padded(Build.ethernet(type: 0x86dd, Build.ipv6(next: 17, [])), to: 80)),
            (
                "after a hop-by-hop header",
                Build.ethernet(type: 0x86dd, Build.ipv6(next: 0, Build.ipv6Options(next: 17) + Array(udp[0..<4])))
            ),
        ]
    case .badUDPLength:
        return [
            (
                "length 7",
                Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, Build.udp(dst: 9, length: 7, Build.bytes(10))))
            ),
            (
                "length 0 in a first fragment",
                Build.ethernet(
                    type: 0x0800, Build.ipv4(proto: 17, fragment: 0x2000, Build.udp(dst: 9, length: 0, Build.bytes(10)))
                )
            ),
            (
                "one past the IP payload (padding after it)",
                Build.padded(
                    Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, Build.udp(dst: 9, length: 19, Build.bytes(10)))))
            ),
            (
                "one past the IPv6 payload",
                Build.ethernet(type: 0x86dd, Build.ipv6(next: 17, Build.udp(dst: 9, length: 19, Build.bytes(10))))
            ),
        ]
    case .truncatedICMP:
        return [
            (
                "7 bytes of ICMP",
                Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 1, Array(Build.icmp(type: 8, [])[0..<7]))))
            ),
            (
                "4 bytes of ICMPv6",
                Build.padded(Build.ethernet(type: 0x86dd, Build.ipv6(next: 58, [128, 0, 0, 0])), to: 80)
            ),
        ]
    case .truncatedVXLAN:
        let inner = Build.ethernet(dst: hostC, src: hostD, type: 0x0800, [])
        return [
            (
                "inner frame 13 bytes",
                Build.padded(
                    Build.ethernet(
                        type: 0x0800,
                        Build.ipv4(proto: 17, Build.udp(dst: 4789, Build.vxlan(vni: 1, Array(inner[0..<13]))))))
            ),
            (
                "UDP length cuts the inner frame (IP payload longer)",
                Build.ethernet(
                    type: 0x0800,
                    Build.ipv4(
                        proto: 17, Build.udp(dst: 4789, length: 29, Build.vxlan(vni: 1, inner + Build.bytes(20)))))
            ),
            (
                "no VXLAN header",
                Build.padded(Build.ethernet(type: 0x86dd, Build.ipv6(next: 17, Build.udp(dst: 4789, []))))
            ),
            (
                "I flag clear, still too short",
                Build.padded(
                    Build.ethernet(
                        type: 0x0800, Build.ipv4(proto: 17, Build.udp(dst: 4789, Build.vxlan(vni: 1, flags: 0, [])))))
            ),
        ]
    case .frameTooLong:
        return [("65536 bytes", Build.ethernet(type: 0x88b5, [UInt8](repeating: 0, count: 65536 - 14)))]
    case .groupSourceMAC:
        let multicast = EthernetAddress("01:00:5e:00:00:01")!
        let broadcast = EthernetAddress("ff:ff:ff:ff:ff:ff")!
        // Only the I/G bit of the first byte counts: 03:... is group, locally administered.
        let local = EthernetAddress("03:00:00:00:00:01")!
        return [
            (
                "multicast source, IPv4/UDP (the fast path's shape)",
                Build.padded(Build.ethernet(src: multicast, type: 0x0800, ipv4UDP))
            ),
            ("broadcast source, ARP", Build.padded(Build.ethernet(dst: broadcast, src: broadcast, type: 0x0806, []))),
            ("group source, tagged", Build.padded(Build.ethernet(src: local, vlan: 5, type: 0x0800, ipv4UDP))),
            (
                "group source, otherwise malformed (stacked tags)",
                Build.ethernet(src: multicast, vlan: 5, tpid: 0x88a8, type: 0x0800, [])
            ),
            ("group source, bare 14-byte header", Build.ethernet(src: multicast, type: 0x88b5, [])),
        ]
    case .exceedsMTU:
        // At `parseErrorTestMTU` (1500): one byte more than the MTU after the Ethernet header (and tag).
        let big = Build.ipv4(proto: 17, Build.udp(dst: 9, Build.bytes(1501 - 28)))
        return [
            (
                "untagged IPv4/UDP, 1501 bytes after the header (the fast path's shape)",
                Build.ethernet(type: 0x0800, big)
            ),
            ("tagged IPv4/UDP, 1501 bytes after the tag", Build.ethernet(vlan: 5, type: 0x0800, big)),
            ("unknown EtherType, 1501 bytes", Build.ethernet(type: 0x88b5, Build.bytes(1501))),
            (
                "over the MTU and a malformed IPv4 header: the MTU is checked first",
                Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, version: 5, Build.bytes(1481)))
            ),
        ]
    }
}

/// The MTU the crafted frames are parsed with: only `exceedsMTU`'s frames are longer.
let parseErrorTestMTU = 1500

@Suite struct ParseErrorTests {
    let buffer = GuardedBuffer()

    @Test(arguments: ParseError.allCases)
    func craftedFramesTriggerExactlyThisError(error: ParseError) {
        let frames = framesTriggering(error)
        #expect(!frames.isEmpty)
        for (what, frame) in frames {
            let (headers, found) = parseGuarded(frame, mtu: parseErrorTestMTU, buffer: buffer)
            #expect(found == error, "\(error.name) / \(what): got \(found?.name ?? "success") for \(hex(frame))")
            #expect(headers == sentinelHeaders, "\(what): a failed parse must not touch the headers")
            let reference = ReferenceParser.parse(frame, mtu: parseErrorTestMTU)
            #expect(reference == .failure(RefError(rawValue: error.name)!), "\(what): reference says \(reference)")
            // Without an MTU (the three-argument parse), only `exceedsMTU` frames change their outcome.
            if error != .exceedsMTU {
                #expect(parseGuarded(frame, buffer: buffer).1 == error, "\(what) without an MTU")
            }
        }
    }

    /// The MTU bounds what follows the Ethernet header and tag: exactly the MTU passes, untagged and tagged,
    /// and a frame whose first segment is short but whose whole length is over is refused.
    @Test func mtuBoundary() {
        let payload = Build.ipv4(proto: 17, Build.udp(dst: 9, Build.bytes(1500 - 28)))
        for tagged in [false, true] {
            let frame = Build.ethernet(vlan: tagged ? 5 : nil, type: 0x0800, payload)
            let (headers, error) = parseGuarded(frame, mtu: 1500, buffer: buffer)
            #expect(error == nil, "tagged \(tagged)")
            #expect(headers.l3End == (tagged ? 1518 : 1514))
            #expect(ReferenceParser.parse(frame, mtu: 1500) == .success(headers))
            #expect(parseGuarded(frame, mtu: 1499, buffer: buffer).1 == .exceedsMTU, "tagged \(tagged)")
            #expect(ReferenceParser.parse(frame, mtu: 1499) == .failure(.exceedsMTU))
        }
        // A 64-byte first segment of a 1515-byte frame: the whole length counts.
        let head = Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, Build.udp(dst: 9, []))), to: 64)
        #expect(parseGuarded(head, frameLength: 1515, mtu: 1500, buffer: buffer).1 == .exceedsMTU)
        #expect(ReferenceParser.parse(head, frameLength: 1515, mtu: 1500) == .failure(.exceedsMTU))
        #expect(parseGuarded(head, frameLength: 1514, mtu: 1500, buffer: buffer).1 == nil)
    }

    @Test func namesAreStableKebabCase() {
        let expected: [ParseError: String] = [
            .truncatedEthernet: "truncated-ethernet", .truncatedVLAN: "truncated-vlan", .stackedVLAN: "stacked-vlan",
            .truncatedARP: "truncated-arp", .badARP: "bad-arp", .truncatedIPv4: "truncated-ipv4",
            .badIPv4Version: "bad-ipv4-version", .badIPv4HeaderLength: "bad-ipv4-header-length",
            .badIPv4TotalLength: "bad-ipv4-total-length", .truncatedIPv6: "truncated-ipv6",
            .badIPv6Version: "bad-ipv6-version", .badIPv6PayloadLength: "bad-ipv6-payload-length",
            .badIPv6ExtensionHeader: "bad-ipv6-extension-header", .truncatedTCP: "truncated-tcp",
            .badTCPDataOffset: "bad-tcp-data-offset", .truncatedUDP: "truncated-udp", .badUDPLength: "bad-udp-length",
            .truncatedICMP: "truncated-icmp", .truncatedVXLAN: "truncated-vxlan", .frameTooLong: "frame-too-long",
            .groupSourceMAC: "group-source-mac", .exceedsMTU: "exceeds-mtu",
        ]
        #expect(ParseError.allCases.count == expected.count)
        for error in ParseError.allCases {
            #expect(error.name == expected[error])
            #expect(error.description == error.name)
        }
        #expect(Set(ParseError.allCases.map(\.name)).count == ParseError.allCases.count)
    }

    @Test func rawValuesAreDenseAndStable() {
        #expect(ParseError.allCases.map(\.rawValue) == Array(0..<UInt8(ParseError.allCases.count)))
        #expect(ParseError.truncatedEthernet.rawValue == 0)
        #expect(ParseError.truncatedVXLAN.rawValue == 18)
        #expect(ParseError.frameTooLong.rawValue == 19)
        #expect(ParseError.groupSourceMAC.rawValue == 20)
        #expect(ParseError.exceedsMTU.rawValue == 21)
    }

    /// Lengths that are not valid buffer sizes are rejected without reading.
    @Test func negativeLengthIsTruncatedEthernet() {
        var headers = sentinelHeaders
        let error = [UInt8](repeating: 0, count: 64).withUnsafeBytes {
            PacketParser.parse($0.baseAddress!, length: -1, into: &headers)
        }
        #expect(error == .truncatedEthernet)
        #expect(headers == sentinelHeaders)
    }

    /// The largest accepted frame: 65535 bytes with an IPv4 datagram ending at byte 65535.
    @Test func maximumLengthFrameParses() {
        let payloadLength = 65535 - 14 - 20 - 8
        let frame = Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, Build.udp(dst: 9, Build.bytes(payloadLength))))
        #expect(frame.count == PacketParser.maximumFrameLength)
        let (headers, error) = parseGuarded(frame, buffer: buffer)
        #expect(error == nil)
        #expect(
            headers
                == PacketHeaders(
                    etherType: 0x0800, flags: [.ipv4, .udp], l3Offset: 14, l4Offset: 34, payloadOffset: 42,
                    l3End: 65535,
                    l4Protocol: 17))
    }
}
