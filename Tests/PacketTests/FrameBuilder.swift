import Packet

/// Builds frames byte by byte, inside out: each function takes its payload and returns header + payload, so
/// length fields are right unless a test overrides them on purpose. Only the IPv4 header checksum is computed;
/// L4 checksums are left 0 (the parser does not look at checksums).
enum Build {
    static let hostA = EthernetAddress(0x02, 0x00, 0x00, 0x00, 0x00, 0x01)
    static let hostB = EthernetAddress(0x02, 0x00, 0x00, 0x00, 0x00, 0x02)

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    static func be32(_ value: UInt32) -> [UInt8] { be16(UInt16(value >> 16)) + be16(UInt16(value & 0xffff)) }
    static func mac(_ address: EthernetAddress) -> [UInt8] {
        let b = address.bytes
        return [b.0, b.1, b.2, b.3, b.4, b.5]
    }

    /// Ethernet II; `vlan` adds one 802.1Q tag with that TCI; `tpid` overrides the tag's TPID.
    static func ethernet(
        dst: EthernetAddress = hostB, src: EthernetAddress = hostA, vlan: UInt16? = nil, tpid: UInt16 = 0x8100,
        type: UInt16, _ payload: [UInt8]
    ) -> [UInt8] {
        var frame = mac(dst) + mac(src)
        if let vlan { frame += be16(tpid) + be16(vlan) }
        return frame + be16(type) + payload
    }

    /// Pads with zeros to `length` (60: the minimum frame without FCS).
    static func padded(_ frame: [UInt8], to length: Int = 60) -> [UInt8] {
        frame.count >= length ? frame : frame + [UInt8](repeating: 0, count: length - frame.count)
    }

    static func arp(
        opcode: UInt16, sha: EthernetAddress, spa: IPv4Address, tha: EthernetAddress, tpa: IPv4Address,
        htype: UInt16 = 1, ptype: UInt16 = 0x0800, hlen: UInt8 = 6, plen: UInt8 = 4
    ) -> [UInt8] {
        be16(htype) + be16(ptype) + [hlen, plen] + be16(opcode) + mac(sha) + be32(spa.rawValue) + mac(tha)
            + be32(tpa.rawValue)
    }

    /// IPv4; `fragment` is the raw flags+offset word (0x4000 DF, 0x2000 MF, low 13 bits offset / 8).
    static func ipv4(
        src: IPv4Address = IPv4Address(10, 0, 0, 1), dst: IPv4Address = IPv4Address(10, 0, 0, 2),
        proto: UInt8, ttl: UInt8 = 64, id: UInt16 = 0x1234, fragment: UInt16 = 0x4000, options: [UInt8] = [],
        totalLength: UInt16? = nil, version: UInt8 = 4, ihl: UInt8? = nil, _ payload: [UInt8]
    ) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let headerLength = 20 + options.count
        let length = totalLength ?? UInt16(headerLength + payload.count)
        var header: [UInt8] = [version << 4 | (ihl ?? UInt8(headerLength / 4)), 0x00] + be16(length) + be16(id)
        header += be16(fragment) + [ttl, proto, 0, 0] + be32(src.rawValue) + be32(dst.rawValue) + options
        let sum = checksum(header)
        header[10] = UInt8(sum >> 8)
        header[11] = UInt8(sum & 0xff)
        return header + payload
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        for i in stride(from: 0, to: bytes.count, by: 2) {
            sum += UInt32(bytes[i]) << 8 | UInt32(i + 1 < bytes.count ? bytes[i + 1] : 0)
        }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func ipv6(
        src: IPv6Address = IPv6Address("2001:db8::1")!, dst: IPv6Address = IPv6Address("2001:db8::2")!,
        next: UInt8, hopLimit: UInt8 = 64, payloadLength: UInt16? = nil, version: UInt8 = 6, _ payload: [UInt8]
    ) -> [UInt8] {
        let length = payloadLength ?? UInt16(payload.count)
        return [version << 4, 0x00, 0x00, 0x00] + be16(length) + [next, hopLimit] + src.bytes + dst.bytes + payload
    }

    /// Hop-by-hop (type 0), routing (43) or destination options (60): `units` is the Hdr Ext Len field, the
    /// header is (units + 1) × 8 bytes, filled with PadN.
    static func ipv6Options(next: UInt8, units: UInt8 = 0) -> [UInt8] {
        let length = (Int(units) + 1) * 8
        return [next, units, 0x01, UInt8(length - 4)] + [UInt8](repeating: 0, count: length - 4)
    }

    /// Fragment header: `offset` in 8-byte units.
    static func ipv6Fragment(next: UInt8, offset: UInt16, more: Bool, id: UInt32 = 0xabcd_0001) -> [UInt8] {
        [next, 0] + be16(offset << 3 | (more ? 1 : 0)) + be32(id)
    }

    static func udp(src: UInt16 = 40000, dst: UInt16, length: UInt16? = nil, _ payload: [UInt8]) -> [UInt8] {
        be16(src) + be16(dst) + be16(length ?? UInt16(8 + payload.count)) + be16(0) + payload
    }

    /// TCP; `options` must be a multiple of 4 bytes unless `dataOffset` overrides the header length field.
    static func tcp(
        src: UInt16 = 40000, dst: UInt16 = 80, seq: UInt32 = 1000, ack: UInt32 = 0, flags: UInt8 = 0x02,
        options: [UInt8] = [], dataOffset: UInt8? = nil, _ payload: [UInt8]
    ) -> [UInt8] {
        let offset = dataOffset ?? UInt8((20 + options.count) / 4)
        return be16(src) + be16(dst) + be32(seq) + be32(ack) + [offset << 4, flags] + be16(65535) + be16(0)
            + be16(0) + options + payload
    }

    static func icmp(type: UInt8, code: UInt8 = 0, rest: UInt32 = 0, _ payload: [UInt8]) -> [UInt8] {
        [type, code, 0, 0] + be32(rest) + payload
    }

    static func vxlan(vni: UInt32, flags: UInt8 = 0x08, _ inner: [UInt8]) -> [UInt8] {
        [flags, 0, 0, 0] + be32(vni << 8) + inner
    }

    /// `count` bytes 0, 1, 2, ... (recognisable in dumps).
    static func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0) } }
}

/// Hex dump for failure messages.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
}
