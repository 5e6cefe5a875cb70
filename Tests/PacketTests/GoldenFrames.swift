import Packet
import Testing

/// A frame built byte by byte and the exact `PacketHeaders` it must parse to. The expected values are
/// written out by hand (not derived from the builder), so a builder mistake shows up as a failure too.
struct Golden: CustomTestStringConvertible, Sendable {
    let name: String
    let frame: [UInt8]
    let expected: PacketHeaders

    var testDescription: String { name }

    /// The same frame with an 802.1Q tag inserted after the source MAC: 4 bytes longer, every non-zero
    /// offset 4 further, `vlanTagged` set and the TCI reported.
    func tagged(tci: UInt16) -> Golden {
        var frame = self.frame
        frame.insert(contentsOf: [0x81, 0x00, UInt8(tci >> 8), UInt8(tci & 0xff)], at: 12)
        var e = expected
        e.flags.insert(.vlanTagged)
        e.vlanTCI = tci
        e.l3Offset += 4
        if e.l4Offset != 0 { e.l4Offset += 4 }
        e.payloadOffset += 4
        e.l3End += 4
        return Golden(name: "vlan-\(name)", frame: frame, expected: e)
    }
}

let hostC = EthernetAddress(0x02, 0x00, 0x00, 0x00, 0x00, 0x0c)
let hostD = EthernetAddress(0x02, 0x00, 0x00, 0x00, 0x00, 0x0d)

/// The untagged golden frames.
let baseGoldens: [Golden] = {
    var all: [Golden] = []
    func add(_ name: String, _ frame: [UInt8], _ expected: PacketHeaders) {
        all.append(Golden(name: name, frame: frame, expected: expected))
    }
    let innerFrame = Build.ethernet(
        dst: hostC, src: hostD, type: 0x0800,
        Build.ipv4(
            src: IPv4Address(192, 168, 0, 1), dst: IPv4Address(192, 168, 0, 2), proto: 17,
            Build.udp(dst: 9, Build.bytes(8))))  // 14 + 20 + 8 + 8 = 50 bytes

    add(
        "ipv4-udp",
        Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, Build.udp(src: 1234, dst: 5678, Build.bytes(18)))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .udp], l3Offset: 14, l4Offset: 34, payloadOffset: 42, l3End: 60,
            l4Protocol: 17))
    add(
        "ipv4-tcp-options",
        Build.ethernet(
            type: 0x0800,
            Build.ipv4(
                proto: 6,
                Build.tcp(
                    src: 33000, dst: 443, seq: 0x0102_0304, ack: 0x0506_0708, flags: 0x18,
                    options: [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7], Build.bytes(10)))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .tcp], l3Offset: 14, l4Offset: 34, payloadOffset: 66, l3End: 76,
            l4Protocol: 6))
    add(
        "ipv4-tcp-syn-padded",
        Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 6, Build.tcp(flags: 0x02, [])))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .tcp], l3Offset: 14, l4Offset: 34, payloadOffset: 54, l3End: 54,
            l4Protocol: 6))
    add(
        "ipv4-icmp-echo",
        Build.ethernet(type: 0x0800, Build.ipv4(proto: 1, Build.icmp(type: 8, rest: 0x0042_0001, Build.bytes(32)))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .icmp], l3Offset: 14, l4Offset: 34, payloadOffset: 42, l3End: 74,
            l4Protocol: 1))
    add(
        "arp-request",
        Build.padded(
            Build.ethernet(
                dst: .broadcast, type: 0x0806,
                Build.arp(
                    opcode: 1, sha: Build.hostA, spa: IPv4Address(10, 0, 0, 1), tha: .zero,
                    tpa: IPv4Address(10, 0, 0, 2)))),
        PacketHeaders(
            etherType: 0x0806, flags: [.arp, .broadcastDestination, .multicastDestination], l3Offset: 14,
            l4Offset: 0, payloadOffset: 42, l3End: 42, l4Protocol: 0))
    add(
        "arp-reply",
        Build.padded(
            Build.ethernet(
                dst: Build.hostA, src: Build.hostB, type: 0x0806,
                Build.arp(
                    opcode: 2, sha: Build.hostB, spa: IPv4Address(10, 0, 0, 2), tha: Build.hostA,
                    tpa: IPv4Address(10, 0, 0, 1)))),
        PacketHeaders(etherType: 0x0806, flags: [.arp], l3Offset: 14, payloadOffset: 42, l3End: 42))
    add(
        "ipv6-udp",
        Build.ethernet(type: 0x86dd, Build.ipv6(next: 17, Build.udp(src: 5353, dst: 5353, Build.bytes(20)))),
        PacketHeaders(
            etherType: 0x86dd, flags: [.ipv6, .udp], l3Offset: 14, l4Offset: 54, payloadOffset: 62, l3End: 82,
            l4Protocol: 17))
    add(
        "ipv6-icmpv6-neighbor-solicitation",
        Build.ethernet(
            dst: EthernetAddress("33:33:ff:00:00:02")!, type: 0x86dd,
            Build.ipv6(
                dst: IPv6Address("ff02::1:ff00:2")!, next: 58, hopLimit: 255,
                Build.icmp(type: 135, IPv6Address("2001:db8::2")!.bytes))),
        PacketHeaders(
            etherType: 0x86dd, flags: [.ipv6, .icmpv6, .multicastDestination], l3Offset: 14, l4Offset: 54,
            payloadOffset: 62, l3End: 78, l4Protocol: 58))
    add(
        "ipv6-hop-by-hop-fragment-udp",
        Build.ethernet(
            type: 0x86dd,
            Build.ipv6(
                next: 0,
                Build.ipv6Options(next: 44) + Build.ipv6Fragment(next: 17, offset: 0, more: true)
                    + Build.udp(dst: 5000, length: 1000, Build.bytes(24)))),
        PacketHeaders(
            etherType: 0x86dd, flags: [.ipv6, .udp, .ipFragment], l3Offset: 14, l4Offset: 70, payloadOffset: 78,
            l3End: 102, l4Protocol: 17))
    add(
        "ipv6-fragment-non-first",
        Build.ethernet(
            type: 0x86dd,
            Build.ipv6(next: 44, Build.ipv6Fragment(next: 6, offset: 185, more: false) + Build.bytes(40))),
        PacketHeaders(
            etherType: 0x86dd, flags: [.ipv6, .ipFragment], l3Offset: 14, l4Offset: 0, payloadOffset: 62,
            l3End: 102, l4Protocol: 6))
    add(
        "ipv6-destination-options-routing-tcp",
        Build.ethernet(
            type: 0x86dd,
            Build.ipv6(
                next: 60,
                Build.ipv6Options(next: 43, units: 1) + Build.ipv6Options(next: 6)
                    + Build.tcp(dst: 22, flags: 0x10, Build.bytes(12)))),
        PacketHeaders(
            etherType: 0x86dd, flags: [.ipv6, .tcp], l3Offset: 14, l4Offset: 78, payloadOffset: 98, l3End: 110,
            l4Protocol: 6))
    add(
        "ipv6-esp",
        Build.ethernet(type: 0x86dd, Build.ipv6(next: 50, Build.bytes(32))),
        PacketHeaders(
            etherType: 0x86dd, flags: [.ipv6], l3Offset: 14, l4Offset: 0, payloadOffset: 54, l3End: 86,
            l4Protocol: 50))
    add(
        "ipv6-no-next-header-padded",
        Build.padded(Build.ethernet(type: 0x86dd, Build.ipv6(next: 59, []))),
        PacketHeaders(
            etherType: 0x86dd, flags: [.ipv6], l3Offset: 14, l4Offset: 0, payloadOffset: 54, l3End: 54,
            l4Protocol: 59))
    add(
        "ipv4-fragment-non-first",
        Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, fragment: 0x00b9, Build.bytes(30))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .ipFragment], l3Offset: 14, l4Offset: 0, payloadOffset: 34,
            l3End: 64, l4Protocol: 17))
    add(
        "ipv4-fragment-first-udp",
        Build.ethernet(
            type: 0x0800, Build.ipv4(proto: 17, fragment: 0x2000, Build.udp(dst: 53, length: 2000, Build.bytes(40)))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .udp, .ipFragment], l3Offset: 14, l4Offset: 34, payloadOffset: 42,
            l3End: 82, l4Protocol: 17))
    add(
        "ipv4-options-udp-padded",
        Build.padded(
            Build.ethernet(
                type: 0x0800, Build.ipv4(proto: 17, options: [0x94, 0x04, 0, 0], Build.udp(dst: 7, Build.bytes(10))))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .ipv4Options, .udp], l3Offset: 14, l4Offset: 38, payloadOffset: 46,
            l3End: 56, l4Protocol: 17))
    add(
        "ipv4-udp-minimum-padded",
        Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, Build.udp(dst: 9, [0x61])))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .udp], l3Offset: 14, l4Offset: 34, payloadOffset: 42, l3End: 43,
            l4Protocol: 17))
    add(
        "ipv4-udp-shorter-than-ip-payload",
        Build.padded(
            Build.ethernet(type: 0x0800, Build.ipv4(proto: 17, Build.udp(dst: 9, length: 12, Build.bytes(10))))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .udp], l3Offset: 14, l4Offset: 34, payloadOffset: 42, l3End: 52,
            l4Protocol: 17))
    add(
        "ipv4-udp-broadcast-dhcp",
        Build.ethernet(
            dst: .broadcast, type: 0x0800,
            Build.ipv4(
                src: IPv4Address(0, 0, 0, 0), dst: IPv4Address(255, 255, 255, 255), proto: 17,
                Build.udp(src: 68, dst: 67, Build.bytes(20)))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .udp, .dhcpClient, .broadcastDestination, .multicastDestination],
            l3Offset: 14, l4Offset: 34, payloadOffset: 42, l3End: 62, l4Protocol: 17))
    add(
        "ipv4-udp-dhcp-request",  // a whole DHCPREQUEST (docs/dhcp.md): the responder's input in the fuzz corpus
        DHCPMessageTests.frame(DHCPMessageTests.requestMessage),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .udp, .dhcpClient, .broadcastDestination, .multicastDestination],
            l3Offset: 14, l4Offset: 34, payloadOffset: 42, l3End: 307, l4Protocol: 17))
    add(
        "ipv4-gre-unknown-protocol",
        Build.padded(Build.ethernet(type: 0x0800, Build.ipv4(proto: 47, Build.bytes(24)))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4], l3Offset: 14, l4Offset: 0, payloadOffset: 34, l3End: 58,
            l4Protocol: 47))
    add(
        "vxlan-ipv4",
        Build.ethernet(
            type: 0x0800,
            Build.ipv4(proto: 17, Build.udp(src: 51000, dst: 4789, Build.vxlan(vni: 0x12_3456, innerFrame)))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .udp, .vxlan], l3Offset: 14, l4Offset: 34, payloadOffset: 50,
            l3End: 100, l4Protocol: 17))
    add(
        "vxlan-ipv6",
        Build.ethernet(
            type: 0x86dd, Build.ipv6(next: 17, Build.udp(src: 51001, dst: 4789, Build.vxlan(vni: 42, innerFrame)))),
        PacketHeaders(
            etherType: 0x86dd, flags: [.ipv6, .udp, .vxlan], l3Offset: 14, l4Offset: 54, payloadOffset: 70,
            l3End: 120, l4Protocol: 17))
    add(
        "udp-4789-without-i-flag",
        Build.ethernet(
            type: 0x0800,
            Build.ipv4(proto: 17, Build.udp(src: 51000, dst: 4789, Build.vxlan(vni: 7, flags: 0x00, innerFrame)))),
        PacketHeaders(
            etherType: 0x0800, flags: [.ipv4, .udp], l3Offset: 14, l4Offset: 34, payloadOffset: 42, l3End: 100,
            l4Protocol: 17))
    add(
        "lldp-unknown-ethertype",
        Build.ethernet(dst: EthernetAddress("01:80:c2:00:00:0e")!, type: 0x88cc, Build.bytes(46)),
        PacketHeaders(
            etherType: 0x88cc, flags: [.multicastDestination], l3Offset: 14, l4Offset: 0, payloadOffset: 14,
            l3End: 60, l4Protocol: 0))
    add(
        "llc-802.3-length-field",
        Build.ethernet(dst: EthernetAddress("01:80:c2:00:00:00")!, type: 0x0026, Build.bytes(46)),
        PacketHeaders(etherType: 0x0026, flags: [.multicastDestination], l3Offset: 14, payloadOffset: 14, l3End: 60))
    return all
}()

/// Every golden frame: the untagged ones, then each with an 802.1Q tag (PCP 5, VID 100).
let allGoldens: [Golden] = baseGoldens + baseGoldens.map { $0.tagged(tci: 0xa064) }
