/// The per-packet header parser: Ethernet, one 802.1Q tag, ARP, IPv4, IPv6 (with extension headers), TCP,
/// UDP, ICMP, ICMPv6 and VXLAN. One call per packet at the start of the pipeline; see docs/packet-parsing.md.
public enum PacketParser {
    /// The largest frame `parse` accepts: offsets in `PacketHeaders` are 16-bit.
    public static let maximumFrameLength = 65535
    /// The UDP destination port that marks VXLAN (RFC 7348).
    public static let vxlanPort: UInt16 = 4789
    /// At most this many IPv6 extension headers are walked; a longer chain is `badIPv6ExtensionHeader`.
    public static let maximumIPv6ExtensionHeaders = 8

    /// Parses the headers of the Ethernet frame in `data[0 ..< length]`.
    ///
    /// Reads nothing outside `data[0 ..< length]`, allocates nothing, takes no lock. On success, returns nil
    /// and overwrites every field of `headers`; on failure, returns the reason and leaves `headers` untouched.
    /// Unknown EtherTypes and unknown IP protocols are not errors: the offsets then say how far the parser
    /// understood the frame (`l4Offset` is 0, `payloadOffset` is where the unknown part starts).
    @inlinable @_noLocks
    public static func parse(_ data: UnsafeRawPointer, length: Int, into headers: inout PacketHeaders) -> ParseError? {
        guard length >= 14 else { return .truncatedEthernet }
        guard length <= maximumFrameLength else { return .frameTooLong }

        var flags = HeaderFlags()
        if Wire.u8(data, 0) & 0x01 != 0 {
            flags.insert(.multicastDestination)
            if Wire.u32(data, 0) == 0xffff_ffff && Wire.u16(data, 4) == 0xffff {
                flags.insert(.broadcastDestination)
            }
        }

        var etherType = Wire.u16(data, 12)
        var tci: UInt16 = 0
        var l3 = 14
        if etherType == EtherType.vlan {
            guard length >= 18 else { return .truncatedVLAN }
            tci = Wire.u16(data, 14)
            etherType = Wire.u16(data, 16)
            l3 = 18
            flags.insert(.vlanTagged)
            if isVLANTPID(etherType) { return .stackedVLAN }
        } else if etherType == EtherType.qinq || etherType == EtherType.qinqLegacy {
            return .stackedVLAN
        }

        var h = PacketHeaders(
            etherType: etherType, vlanTCI: tci, flags: flags, l3Offset: UInt16(truncatingIfNeeded: l3),
            l4Offset: 0, payloadOffset: UInt16(truncatingIfNeeded: l3),
            l3End: UInt16(truncatingIfNeeded: length), l4Protocol: 0)

        let error: ParseError?
        switch etherType {
        case EtherType.ipv4: error = parseIPv4(data, length: length, l3: l3, into: &h)
        case EtherType.ipv6: error = parseIPv6(data, length: length, l3: l3, into: &h)
        case EtherType.arp: error = parseARP(data, length: length, l3: l3, into: &h)
        default: error = nil
        }
        if error == nil { headers = h }
        return error
    }

    @inlinable @inline(__always)
    static func isVLANTPID(_ type: UInt16) -> Bool {
        type == EtherType.vlan || type == EtherType.qinq || type == EtherType.qinqLegacy
    }

    @inlinable @inline(__always)
    static func parseARP(_ data: UnsafeRawPointer, length: Int, l3: Int, into h: inout PacketHeaders) -> ParseError? {
        guard length - l3 >= 28 else { return .truncatedARP }
        // htype (2) + ptype (2) + hlen (1) + plen (1) as one load: 0x0001_0800_06_04.
        let fixed = (UInt64(Wire.u32(data, l3)) << 16) | UInt64(Wire.u16(data, l3 + 4))
        guard fixed == 0x0001_0800_0604 else { return .badARP }
        h.flags.insert(.arp)
        h.payloadOffset = UInt16(truncatingIfNeeded: l3 + 28)
        h.l3End = h.payloadOffset
        return nil
    }

    @inlinable @inline(__always)
    static func parseIPv4(_ data: UnsafeRawPointer, length: Int, l3: Int, into h: inout PacketHeaders) -> ParseError? {
        let available = length - l3
        guard available >= 20 else { return .truncatedIPv4 }
        let versionIHL = Wire.u8(data, l3)
        guard versionIHL >> 4 == 4 else { return .badIPv4Version }
        let headerLength = Int(versionIHL & 0x0f) &* 4
        guard headerLength >= 20, headerLength <= available else { return .badIPv4HeaderLength }
        let totalLength = Int(Wire.u16(data, l3 + 2))
        guard totalLength >= headerLength, totalLength <= available else { return .badIPv4TotalLength }

        h.flags.insert(.ipv4)
        if headerLength > 20 { h.flags.insert(.ipv4Options) }
        let fragment = Wire.u16(data, l3 + 6)
        let moreFragments = fragment & 0x2000 != 0
        let fragmentOffset = fragment & 0x1fff
        let proto = Wire.u8(data, l3 + 9)
        let start = l3 + headerLength
        let end = l3 + totalLength
        h.l4Protocol = proto
        h.l3End = UInt16(truncatingIfNeeded: end)
        h.payloadOffset = UInt16(truncatingIfNeeded: start)
        if moreFragments || fragmentOffset != 0 {
            h.flags.insert(.ipFragment)
            // Only the first fragment carries the L4 header.
            if fragmentOffset != 0 { return nil }
        }
        return parseL4(data, proto: proto, start: start, end: end, fragment: moreFragments, ipv6: false, into: &h)
    }

    @inlinable @inline(__always)
    static func parseIPv6(_ data: UnsafeRawPointer, length: Int, l3: Int, into h: inout PacketHeaders) -> ParseError? {
        let available = length - l3
        guard available >= 40 else { return .truncatedIPv6 }
        guard Wire.u8(data, l3) >> 4 == 6 else { return .badIPv6Version }
        let payloadLength = Int(Wire.u16(data, l3 + 4))
        guard payloadLength <= available - 40 else { return .badIPv6PayloadLength }

        h.flags.insert(.ipv6)
        let end = l3 + 40 + payloadLength
        h.l3End = UInt16(truncatingIfNeeded: end)
        var next = Wire.u8(data, l3 + 6)
        var cursor = l3 + 40
        var count = 0
        var fragment = false
        walk: while true {
            switch next {
            case IPProtocol.hopByHop, IPProtocol.ipv6Routing, IPProtocol.ipv6DestinationOptions:
                count &+= 1
                guard count <= maximumIPv6ExtensionHeaders, end - cursor >= 2 else { return .badIPv6ExtensionHeader }
                let extLength = (Int(Wire.u8(data, cursor + 1)) &+ 1) &* 8
                guard end - cursor >= extLength else { return .badIPv6ExtensionHeader }
                next = Wire.u8(data, cursor)
                cursor &+= extLength
            case IPProtocol.ipv6Fragment:
                count &+= 1
                guard count <= maximumIPv6ExtensionHeaders, end - cursor >= 8 else { return .badIPv6ExtensionHeader }
                next = Wire.u8(data, cursor)
                let offset = Wire.u16(data, cursor + 2) >> 3
                cursor &+= 8
                fragment = true
                h.flags.insert(.ipFragment)
                if offset != 0 {
                    // A non-first fragment: the L4 header is in the first one.
                    h.l4Protocol = next
                    h.payloadOffset = UInt16(truncatingIfNeeded: cursor)
                    return nil
                }
            default:
                break walk
            }
        }
        h.l4Protocol = next
        h.payloadOffset = UInt16(truncatingIfNeeded: cursor)
        return parseL4(data, proto: next, start: cursor, end: end, fragment: fragment, ipv6: true, into: &h)
    }

    /// The L4 header in `data[start ..< end]` (the IP payload, padding excluded). `fragment`: a first
    /// fragment, so the UDP length covers more than this packet and VXLAN is not recognised.
    @inlinable @inline(__always)
    static func parseL4(
        _ data: UnsafeRawPointer, proto: UInt8, start: Int, end: Int, fragment: Bool, ipv6: Bool,
        into h: inout PacketHeaders
    ) -> ParseError? {
        let available = end - start
        switch proto {
        case IPProtocol.tcp:
            guard available >= 20 else { return .truncatedTCP }
            let dataOffset = Int(Wire.u8(data, start + 12) >> 4) &* 4
            guard dataOffset >= 20, dataOffset <= available else { return .badTCPDataOffset }
            h.flags.insert(.tcp)
            h.l4Offset = UInt16(truncatingIfNeeded: start)
            h.payloadOffset = UInt16(truncatingIfNeeded: start + dataOffset)
        case IPProtocol.udp:
            guard available >= 8 else { return .truncatedUDP }
            let udpLength = Int(Wire.u16(data, start + 4))
            guard udpLength >= 8 else { return .badUDPLength }
            h.flags.insert(.udp)
            h.l4Offset = UInt16(truncatingIfNeeded: start)
            h.payloadOffset = UInt16(truncatingIfNeeded: start + 8)
            if fragment { return nil }
            guard udpLength <= available else { return .badUDPLength }
            if Wire.u16(data, start + 2) == vxlanPort {
                guard udpLength >= 8 + 8 + 14 else { return .truncatedVXLAN }
                if Wire.u8(data, start + 8) & 0x08 != 0 {
                    h.flags.insert(.vxlan)
                    h.payloadOffset = UInt16(truncatingIfNeeded: start + 16)
                }
            }
        case IPProtocol.icmp where !ipv6, IPProtocol.icmpv6 where ipv6:
            guard available >= 8 else { return .truncatedICMP }
            h.flags.insert(ipv6 ? .icmpv6 : .icmp)
            h.l4Offset = UInt16(truncatingIfNeeded: start)
            h.payloadOffset = UInt16(truncatingIfNeeded: start + 8)
        default:
            break
        }
        return nil
    }
}
