import Packet

// Frames for the pipeline tests, written out byte by byte so that every expected output is spelled in the
// test rather than computed by the code under test. Builders nest from the inside out (a header function
// takes its payload), so length fields are right unless a test overrides them on purpose. Checksums are
// left 0 except the IPv4 header's: nothing in the pipeline reads them.

/// A station on the test network: its MAC and addresses.
struct Host: Sendable {
    var mac: EthernetAddress
    var ipv4: IPv4Address
    var ipv6: IPv6Address

    init(_ last: UInt8) {
        mac = EthernetAddress(0x02, 0x00, 0x00, 0x00, 0x00, last)
        ipv4 = IPv4Address(10, 0, 0, last)
        ipv6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: UInt64(last))
    }

    static let a = Host(0x0a), b = Host(0x0b), c = Host(0x0c), d = Host(0x0d), e = Host(0x0e), f = Host(0x0f)
}

enum F {
    static let broadcast = EthernetAddress.broadcast
    /// 01:00:5e:00:00:fb (IPv4 multicast 224.0.0.251) and 33:33:00:00:00:01 (IPv6 all-nodes).
    static let ipv4Multicast = EthernetAddress(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb)
    static let ipv6Multicast = EthernetAddress(0x33, 0x33, 0x00, 0x00, 0x00, 0x01)

    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)] }
    static func u32(_ value: UInt32) -> [UInt8] { u16(UInt16(value >> 16)) + u16(UInt16(truncatingIfNeeded: value)) }
    static func bytes(_ mac: EthernetAddress) -> [UInt8] {
        let b = mac.bytes
        return [b.0, b.1, b.2, b.3, b.4, b.5]
    }
    static func bytes(_ address: IPv4Address) -> [UInt8] { u32(address.rawValue) }

    /// An Ethernet II header and `payload`; `tags` are (TPID, TCI) pairs inserted after the source MAC, outermost
    /// first. The result is padded with zeros to `minimum` bytes (60, the shortest frame without FCS).
    static func ethernet(
        dst: EthernetAddress, src: EthernetAddress, tags: [(UInt16, UInt16)] = [], type: UInt16,
        _ payload: [UInt8] = [],
        minimum: Int = 60
    ) -> [UInt8] {
        var frame = bytes(dst) + bytes(src)
        for (tpid, tci) in tags { frame += u16(tpid) + u16(tci) }
        frame += u16(type) + payload
        if frame.count < minimum { frame += [UInt8](repeating: 0, count: minimum - frame.count) }
        return frame
    }

    /// One 802.1Q tag with `tci`, the common case of `ethernet(tags:)`.
    static func dot1q(_ tci: UInt16) -> [(UInt16, UInt16)] { [(0x8100, tci)] }

    static func arp(
        op: UInt16, sha: EthernetAddress, spa: IPv4Address, tha: EthernetAddress = .zero, tpa: IPv4Address,
        htype: UInt16 = 1
    ) -> [UInt8] {
        u16(htype) + u16(0x0800) + [6, 4] + u16(op) + bytes(sha) + bytes(spa) + bytes(tha) + bytes(tpa)
    }

    /// An ARP request from `host` for `target`, broadcast: the classic first frame of a conversation.
    static func arpRequest(from host: Host, for target: IPv4Address, tags: [(UInt16, UInt16)] = []) -> [UInt8] {
        ethernet(
            dst: broadcast, src: host.mac, tags: tags, type: 0x0806,
            arp(op: 1, sha: host.mac, spa: host.ipv4, tpa: target))
    }

    static func arpReply(from host: Host, to target: Host, tags: [(UInt16, UInt16)] = []) -> [UInt8] {
        ethernet(
            dst: target.mac, src: host.mac, tags: tags, type: 0x0806,
            arp(op: 2, sha: host.mac, spa: host.ipv4, tha: target.mac, tpa: target.ipv4))
    }

    static func ipv4(
        src: IPv4Address, dst: IPv4Address, proto: UInt8, totalLength: UInt16? = nil, ihl: UInt8 = 5,
        version: UInt8 = 4, _ payload: [UInt8]
    ) -> [UInt8] {
        let options = [UInt8](repeating: 1, count: max(Int(ihl) - 5, 0) * 4)  // NOPs
        var header = [version << 4 | ihl, 0] + u16(totalLength ?? UInt16(20 + options.count + payload.count))
        header += [0x12, 0x34, 0x40, 0x00, 64, proto, 0, 0] + bytes(src) + bytes(dst) + options
        var sum: UInt32 = 0
        for i in stride(from: 0, to: header.count, by: 2) { sum += UInt32(header[i]) << 8 | UInt32(header[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        header[10] = UInt8(~sum >> 8 & 0xff)
        header[11] = UInt8(~sum & 0xff)
        return header + payload
    }

    static func ipv6(
        src: IPv6Address, dst: IPv6Address, next: UInt8, payloadLength: UInt16? = nil, version: UInt8 = 6,
        _ payload: [UInt8]
    ) -> [UInt8] {
        [version << 4, 0, 0, 0] + u16(payloadLength ?? UInt16(payload.count)) + [next, 64] + src.bytes + dst.bytes
            + payload
    }

    static func udp(src: UInt16, dst: UInt16, length: UInt16? = nil, _ payload: [UInt8]) -> [UInt8] {
        u16(src) + u16(dst) + u16(length ?? UInt16(8 + payload.count)) + [0, 0] + payload
    }

    static func tcp(src: UInt16, dst: UInt16, dataOffset: UInt8 = 5, _ payload: [UInt8] = []) -> [UInt8] {
        u16(src) + u16(dst) + u32(1) + u32(0) + [dataOffset << 4, 0x02] + u16(0xffff) + [0, 0, 0, 0]
            + [UInt8](repeating: 0, count: max(Int(dataOffset) - 5, 0) * 4) + payload
    }

    /// ICMP (or ICMPv6) echo request: type, code, checksum, id, sequence, data.
    static func echo(type: UInt8 = 8, id: UInt16 = 1, sequence: UInt16 = 1, _ data: [UInt8] = Array("ping".utf8))
        -> [UInt8]
    {
        [type, 0, 0, 0] + u16(id) + u16(sequence) + data
    }

    /// IPv4 UDP between two hosts, the workhorse unicast frame.
    static func udp4(
        from src: Host, to dst: Host, tags: [(UInt16, UInt16)] = [], payload: [UInt8] = Array("hello".utf8)
    )
        -> [UInt8]
    {
        ethernet(
            dst: dst.mac, src: src.mac, tags: tags, type: 0x0800,
            ipv4(src: src.ipv4, dst: dst.ipv4, proto: 17, udp(src: 40000, dst: 7, payload)))
    }

    static func ping4(from src: Host, to dst: Host, tags: [(UInt16, UInt16)] = []) -> [UInt8] {
        ethernet(
            dst: dst.mac, src: src.mac, tags: tags, type: 0x0800, ipv4(src: src.ipv4, dst: dst.ipv4, proto: 1, echo()))
    }

    static func ping6(from src: Host, to dst: Host, srcIP: IPv6Address? = nil, tags: [(UInt16, UInt16)] = []) -> [UInt8]
    {
        ethernet(
            dst: dst.mac, src: src.mac, tags: tags, type: 0x86dd,
            ipv6(src: srcIP ?? src.ipv6, dst: dst.ipv6, next: 58, echo(type: 128)))
    }

    // MARK: Edits of finished frames (what the transmit stage is expected to do, written independently)

    /// `frame` with an 802.1Q tag (TPID 0x8100, `tci`) inserted after the MAC addresses.
    static func pushTag(_ frame: [UInt8], tci: UInt16) -> [UInt8] {
        Array(frame[0..<12]) + u16(0x8100) + u16(tci) + Array(frame[12...])
    }

    /// `frame` without the 4 bytes of tag after the MAC addresses.
    static func popTag(_ frame: [UInt8]) -> [UInt8] { Array(frame[0..<12]) + Array(frame[16...]) }

    /// `frame` with the TCI after the MAC addresses replaced.
    static func setTCI(_ frame: [UInt8], _ tci: UInt16) -> [UInt8] {
        var copy = frame
        copy[14] = UInt8(tci >> 8)
        copy[15] = UInt8(tci & 0xff)
        return copy
    }
}

/// Hex dump for failure messages: "0a0b0c ..." in groups of 16 bytes.
func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var text = ""
    for (i, byte) in bytes.enumerated() {
        if i > 0 { text += i % 16 == 0 ? " | " : " " }
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0xf)])
    }
    return text
}
