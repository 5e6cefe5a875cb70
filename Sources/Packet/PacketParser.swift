// The parser and everything its body calls live in this one file on purpose: in a debug (non-whole-module)
// build each file is compiled on its own, and `@_noLocks` rejects a call whose body is in another file
// ("called function is not available in this module"). Keeping PacketHeaders, HeaderFlags, the wire loads and
// the constants here lets the attribute be checked in debug and release alike.

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
    @inlinable @inline(__always) @_noLocks
    public static func parse(_ data: UnsafeRawPointer, length: Int, into headers: inout PacketHeaders) -> ParseError? {
        parse(data, length: length, frameLength: length, mtu: maximumFrameLength, into: &headers)
    }

    /// Parses the headers of an Ethernet frame whose first `length` bytes are at `data` and that is
    /// `frameLength` bytes long in all (more than `length` when it spans several buffers: only the first is
    /// read), received on a port whose MTU is `mtu`: a frame that carries more than `mtu` bytes after its
    /// Ethernet header (and 802.1Q tag) is `exceedsMTU`. Otherwise the same contract as
    /// `parse(_:length:into:)`, which is this with `frameLength == length` and no MTU limit.
    @inlinable @inline(__always) @_noLocks
    public static func parse(
        _ data: UnsafeRawPointer, length: Int, frameLength: Int, mtu: Int, into headers: inout PacketHeaders
    ) -> ParseError? {
        #if _endian(little)
            // The fast path compares raw loads with byte-swapped constants: little-endian hosts only.
            if _fastPath(parseCommonIPv4(data, length: length, frameLength: frameLength, mtu: mtu, into: &headers)) {
                return nil
            }
        #endif
        return parseAnyFrame(data, length: length, frameLength: frameLength, mtu: mtu, into: &headers)
    }

    /// The frames a switch mostly sees, in one straight pass with wide loads: Ethernet, untagged or with one
    /// 802.1Q tag, then IPv4 without options and not fragmented, then UDP (not to the VXLAN port) or TCP,
    /// all lengths consistent. Returns true with exactly the headers `parseAnyFrame` would give, or false
    /// having written nothing, for every other frame (including every malformed one): `parse` then hands
    /// the frame to `parseAnyFrame`, which also names the error. Bounds: nothing is read before the length
    /// check that covers it.
    ///
    /// Why a second path: the general parser decides field by field (a branch and a narrow load each) and
    /// was ~20 cycles/packet; this one tests whole words against the common shape. `PacketTests` check that
    /// both agree on every frame the fast path accepts.
    @inlinable @inline(__always) @_noLocks
    public static func parseCommonIPv4(_ data: UnsafeRawPointer, length: Int, into headers: inout PacketHeaders) -> Bool
    {
        parseCommonIPv4(data, length: length, frameLength: length, mtu: maximumFrameLength, into: &headers)
    }

    /// `parseCommonIPv4` for a frame of `frameLength` bytes on a port with MTU `mtu` (see `parse`): it also
    /// declines a frame that exceeds the MTU or has a group source address.
    @inlinable @inline(__always) @_noLocks
    public static func parseCommonIPv4(
        _ data: UnsafeRawPointer, length: Int, frameLength: Int, mtu: Int, into headers: inout PacketHeaders
    ) -> Bool {
        // Shortest frame handled: Ethernet + IPv4 + UDP (42 bytes); longest: offsets are 16-bit.
        guard length >= 42, length <= maximumFrameLength else { return false }
        // Bytes 0...7: the destination and the first two bytes of the source, so both group (I/G) bits are in
        // one load: the destination's is bit 0, the source's bit 48 (raw little-endian load).
        let addresses = data.loadUnaligned(as: UInt64.self)
        guard addresses & 0x0001_0000_0000_0000 == 0 else { return false }
        // Loads below are raw (little-endian on the wire bytes): constants are the wire bytes swapped.
        let typeAndTag = data.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        var l3 = 14
        var tci: UInt16 = 0
        var flags = HeaderFlags.ipv4.rawValue
        if UInt16(truncatingIfNeeded: typeAndTag) != 0x0008 {  // EtherType 0x0800
            // One 802.1Q tag (0x8100) with IPv4 inside; the tagged frame's inner EtherType is at 16.
            guard UInt16(truncatingIfNeeded: typeAndTag) == 0x0081,
                data.loadUnaligned(fromByteOffset: 16, as: UInt16.self) == 0x0008
            else { return false }
            tci = UInt16(bigEndian: UInt16(truncatingIfNeeded: typeAndTag >> 16))
            l3 = 18
            flags |= HeaderFlags.vlanTagged.rawValue
        }
        guard frameLength &- l3 <= mtu else { return false }
        // Version/IHL, TOS, total length, identification, flags/fragment offset (l3 + 8 <= 26 <= length).
        let ipWord = data.loadUnaligned(fromByteOffset: l3, as: UInt64.self)
        guard UInt8(truncatingIfNeeded: ipWord) == 0x45,  // version 4, no options
            (ipWord >> 48) & 0xff3f == 0  // MF clear and offset 0 (DF may be set)
        else { return false }
        let totalLength = Int(UInt16(bigEndian: UInt16(truncatingIfNeeded: ipWord >> 16)))
        guard totalLength <= length &- l3 else { return false }
        let l4 = l3 &+ 20
        let l4Length = totalLength &- 20  // negative for a total length below the header: not handled here
        let proto = data.load(fromByteOffset: l3 &+ 9, as: UInt8.self)
        let payload: Int
        if proto == IPProtocol.udp {
            guard l4Length >= 8 else { return false }
            let udpWord = data.loadUnaligned(fromByteOffset: l4, as: UInt64.self)
            let udpLength = Int(UInt16(bigEndian: UInt16(truncatingIfNeeded: udpWord >> 32)))
            guard udpLength >= 8, udpLength <= l4Length,
                UInt16(truncatingIfNeeded: udpWord >> 16) != 0xb512  // destination port 4789: VXLAN
            else { return false }
            flags |= HeaderFlags.udp.rawValue
            // Source port 68, destination port 67 (wire bytes 00 44 00 43).
            if UInt32(truncatingIfNeeded: udpWord) == 0x4300_4400 { flags |= HeaderFlags.dhcpClient.rawValue }
            payload = l4 &+ 8
        } else if proto == IPProtocol.tcp {
            guard l4Length >= 20 else { return false }
            let dataOffset = Int(data.load(fromByteOffset: l4 &+ 12, as: UInt8.self) >> 4) &* 4
            guard dataOffset >= 20, dataOffset <= l4Length else { return false }
            flags |= HeaderFlags.tcp.rawValue
            payload = l4 &+ dataOffset
        } else {
            return false
        }
        if addresses & 0x01 != 0 {
            flags |= HeaderFlags.multicastDestination.rawValue
            if addresses & 0xffff_ffff_ffff == 0xffff_ffff_ffff {
                flags |= HeaderFlags.broadcastDestination.rawValue
            }
        }
        headers = PacketHeaders(
            etherType: EtherType.ipv4, vlanTCI: tci, flags: HeaderFlags(rawValue: flags),
            l3Offset: UInt16(truncatingIfNeeded: l3), l4Offset: UInt16(truncatingIfNeeded: l4),
            payloadOffset: UInt16(truncatingIfNeeded: payload), l3End: UInt16(truncatingIfNeeded: l3 &+ totalLength),
            l4Protocol: proto)
        return true
    }

    /// The general parser: every frame, every header the pipeline knows, each malformation named. Same
    /// contract as `parse` (which tries `parseCommonIPv4` first).
    @inlinable @inline(__always) @_noLocks
    public static func parseAnyFrame(_ data: UnsafeRawPointer, length: Int, into headers: inout PacketHeaders)
        -> ParseError?
    {
        parseAnyFrame(data, length: length, frameLength: length, mtu: maximumFrameLength, into: &headers)
    }

    /// `parseAnyFrame` for a frame of `frameLength` bytes on a port with MTU `mtu` (see `parse`).
    @inlinable @inline(__always) @_noLocks
    public static func parseAnyFrame(
        _ data: UnsafeRawPointer, length: Int, frameLength: Int, mtu: Int, into headers: inout PacketHeaders
    ) -> ParseError? {
        guard length >= 14 else { return .truncatedEthernet }
        guard length <= maximumFrameLength else { return .frameTooLong }
        // IEEE 802.3 source addresses are individual: a group source would be flooded and can never be learned.
        guard Wire.u8(data, 6) & 0x01 == 0 else { return .groupSourceMAC }

        var flags = HeaderFlags(rawValue: 0)
        if Wire.u8(data, 0) & 0x01 != 0 {
            flags.add(.multicastDestination)
            if Wire.u32(data, 0) == 0xffff_ffff && Wire.u16(data, 4) == 0xffff {
                flags.add(.broadcastDestination)
            }
        }

        var etherType = Wire.u16(data, 12)
        var tci: UInt16 = 0
        var l3 = 14
        if _fastPath(etherType == EtherType.ipv4) {
            // Untagged IPv4, the common case: tested first.
        } else if etherType == EtherType.vlan {
            guard length >= 18 else { return .truncatedVLAN }
            tci = Wire.u16(data, 14)
            etherType = Wire.u16(data, 16)
            l3 = 18
            flags.add(.vlanTagged)
            if isVLANTPID(etherType) { return .stackedVLAN }
        } else if etherType == EtherType.qinq || etherType == EtherType.qinqLegacy {
            return .stackedVLAN
        }
        // The MTU bounds what follows the Ethernet header and the tag, as an IP interface's MTU does.
        guard frameLength &- l3 <= mtu else { return .exceedsMTU }

        var h = PacketHeaders(
            etherType: etherType, vlanTCI: tci, flags: flags, l3Offset: UInt16(truncatingIfNeeded: l3),
            l4Offset: 0, payloadOffset: UInt16(truncatingIfNeeded: l3),
            l3End: UInt16(truncatingIfNeeded: length), l4Protocol: 0)

        let error: ParseError?
        if _fastPath(etherType == EtherType.ipv4) {
            error = parseIPv4(data, length: length, l3: l3, into: &h)
        } else if etherType == EtherType.ipv6 {
            error = parseIPv6(data, length: length, l3: l3, into: &h)
        } else if etherType == EtherType.arp {
            error = parseARP(data, length: length, l3: l3, into: &h)
        } else {
            error = nil
        }
        if case .none = error { headers = h }
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
        h.flags.add(.arp)
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

        h.flags.add(.ipv4)
        if headerLength > 20 { h.flags.add(.ipv4Options) }
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
            h.flags.add(.ipFragment)
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

        h.flags.add(.ipv6)
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
                h.flags.add(.ipFragment)
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
            h.flags.add(.tcp)
            h.l4Offset = UInt16(truncatingIfNeeded: start)
            h.payloadOffset = UInt16(truncatingIfNeeded: start + dataOffset)
        case IPProtocol.udp:
            guard available >= 8 else { return .truncatedUDP }
            let udpLength = Int(Wire.u16(data, start + 4))
            guard udpLength >= 8 else { return .badUDPLength }
            h.flags.add(.udp)
            h.l4Offset = UInt16(truncatingIfNeeded: start)
            h.payloadOffset = UInt16(truncatingIfNeeded: start + 8)
            if fragment { return nil }
            guard udpLength <= available else { return .badUDPLength }
            if !ipv6 && Wire.u16(data, start) == 68 && Wire.u16(data, start + 2) == 67 { h.flags.add(.dhcpClient) }
            if Wire.u16(data, start + 2) == vxlanPort {
                guard udpLength >= 8 + 8 + 14 else { return .truncatedVXLAN }
                if Wire.u8(data, start + 8) & 0x08 != 0 {
                    h.flags.add(.vxlan)
                    h.payloadOffset = UInt16(truncatingIfNeeded: start + 16)
                }
            }
        case IPProtocol.icmp where !ipv6, IPProtocol.icmpv6 where ipv6:
            guard available >= 8 else { return .truncatedICMP }
            h.flags.add(ipv6 ? .icmpv6 : .icmp)
            h.l4Offset = UInt16(truncatingIfNeeded: start)
            h.payloadOffset = UInt16(truncatingIfNeeded: start + 8)
        default:
            break
        }
        return nil
    }
}

// MARK: - Parse results

/// What the parser found in a frame, as bits. See `PacketHeaders.flags`.
@frozen
public struct HeaderFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Adds `other`'s bits. Concrete (unlike `OptionSet.insert`), so it stays allocation- and metadata-free
    /// even unspecialised in debug builds, as the `@_noLocks` parser needs.
    @inlinable @inline(__always)
    mutating func add(_ other: HeaderFlags) { rawValue |= other.rawValue }

    /// The frame carries one IEEE 802.1Q tag (TPID 0x8100); its TCI is `PacketHeaders.vlanTCI`.
    @inlinable public static var vlanTagged: HeaderFlags { HeaderFlags(rawValue: 0x0001) }
    /// The destination MAC is ff:ff:ff:ff:ff:ff. `multicastDestination` is then set too.
    @inlinable public static var broadcastDestination: HeaderFlags { HeaderFlags(rawValue: 0x0002) }
    /// The destination MAC has its group (I/G) bit set. This INCLUDES broadcast: a frame to
    /// ff:ff:ff:ff:ff:ff has both `multicastDestination` and `broadcastDestination`; test
    /// `multicastDestination` alone for "flood this", and `multicast && !broadcast` for true multicast.
    @inlinable public static var multicastDestination: HeaderFlags { HeaderFlags(rawValue: 0x0004) }
    /// EtherType 0x0806 with an Ethernet/IPv4 ARP header (checked: htype 1, ptype 0x0800, hlen 6, plen 4).
    @inlinable public static var arp: HeaderFlags { HeaderFlags(rawValue: 0x0008) }
    /// EtherType 0x0800 with a valid IPv4 header.
    @inlinable public static var ipv4: HeaderFlags { HeaderFlags(rawValue: 0x0010) }
    /// EtherType 0x86dd with a valid IPv6 header (and extension-header chain).
    @inlinable public static var ipv6: HeaderFlags { HeaderFlags(rawValue: 0x0020) }
    /// A TCP header is present at `l4Offset` (never set for non-first fragments).
    @inlinable public static var tcp: HeaderFlags { HeaderFlags(rawValue: 0x0040) }
    /// A UDP header is present at `l4Offset` (never set for non-first fragments).
    @inlinable public static var udp: HeaderFlags { HeaderFlags(rawValue: 0x0080) }
    /// An ICMP (IPv4 protocol 1) header is present at `l4Offset`.
    @inlinable public static var icmp: HeaderFlags { HeaderFlags(rawValue: 0x0100) }
    /// An ICMPv6 (IPv6 next header 58) header is present at `l4Offset`.
    @inlinable public static var icmpv6: HeaderFlags { HeaderFlags(rawValue: 0x0200) }
    /// UDP to port 4789 carrying a VXLAN header with the I flag set; `payloadOffset` is the inner frame.
    @inlinable public static var vxlan: HeaderFlags { HeaderFlags(rawValue: 0x0400) }
    /// An IP fragment: IPv4 with MF set or a non-zero fragment offset, or IPv6 with a fragment header
    /// (including atomic fragments, offset 0 and M clear).
    @inlinable public static var ipFragment: HeaderFlags { HeaderFlags(rawValue: 0x0800) }
    /// IPv4 header with options (IHL > 5). The options are skipped, not interpreted.
    @inlinable public static var ipv4Options: HeaderFlags { HeaderFlags(rawValue: 0x1000) }
    /// IPv4 UDP from port 68 to port 67, not a fragment: a DHCP (BOOTP) client's message to servers. Set by
    /// the parser so that the DHCP stage runs only for bursts holding one (see `PacketBurst.seen`).
    @inlinable public static var dhcpClient: HeaderFlags { HeaderFlags(rawValue: 0x2000) }
}

/// The result of parsing one frame: where each header starts and what it is. Filled once per packet by
/// `PacketParser.parse` at the start of the pipeline; later stages read it instead of re-parsing.
///
/// All offsets count bytes from the start of the Ethernet frame and satisfy, after a successful parse,
/// `l3Offset <= l4Offset (when not 0) < payloadOffset <= l3End <= length`, with `l3Offset <= payloadOffset`.
///
/// | field           | ARP            | IPv4/IPv6, L4 known   | IPv4/IPv6, no L4 header     | other EtherType |
/// |-----------------|----------------|-----------------------|-----------------------------|-----------------|
/// | `l3Offset`      | 14 / 18        | 14 / 18               | 14 / 18                     | 14 / 18         |
/// | `l4Offset`      | 0              | L4 header             | 0                           | 0               |
/// | `l4Protocol`    | 0              | protocol              | protocol (or 59, 50, 51...) | 0               |
/// | `payloadOffset` | `l3Offset + 28`| after the L4 header   | start of the IP payload     | `l3Offset`      |
/// | `l3End`         | `l3Offset + 28`| end of IP datagram    | end of IP datagram          | frame length    |
///
/// "after the L4 header" is: TCP `l4Offset + 4 * data offset` (options included), UDP `l4Offset + 8`,
/// ICMP and ICMPv6 `l4Offset + 8` (type, code, checksum and the 4-byte rest-of-header that every
/// ICMP/ICMPv6 message type has: echo id/sequence, unused, MTU, pointer, NDP reserved/flags), and for VXLAN
/// `l4Offset + 16`, the first byte of the inner Ethernet frame.
@frozen
public struct PacketHeaders: Equatable, Sendable {
    /// The EtherType after at most one 802.1Q tag (the tag's own 0x8100 is never reported here). Values below
    /// 0x0600 are 802.3 length fields (LLC frames) and are reported as they are.
    public var etherType: UInt16
    /// The 802.1Q tag control information (PCP:3 | DEI:1 | VID:12), or 0 when the frame is untagged. A tag
    /// with TCI 0 (priority tag, VID 0) is distinguished by `flags.vlanTagged`.
    public var vlanTCI: UInt16
    /// What was found; see `HeaderFlags`.
    public var flags: HeaderFlags
    /// Start of the header after Ethernet (and the VLAN tag): 14, or 18 when tagged.
    public var l3Offset: UInt16
    /// Start of the TCP/UDP/ICMP/ICMPv6 header, or 0 when there is none (unknown protocol, non-first
    /// fragment, IPv6 ESP/AH/no-next-header, ARP, non-IP).
    public var l4Offset: UInt16
    /// The first byte after the last header parsed (see the table above).
    public var payloadOffset: UInt16
    /// One past the last byte of the L3 packet: bytes from here to the end of the frame are Ethernet padding.
    public var l3End: UInt16
    /// IPv4 protocol, or IPv6 next header after the extension headers walked (for a non-first IPv6 fragment:
    /// the fragment header's next header). 0 for ARP and non-IP frames.
    public var l4Protocol: UInt8

    @inlinable
    public init(
        etherType: UInt16 = 0, vlanTCI: UInt16 = 0, flags: HeaderFlags = [], l3Offset: UInt16 = 0,
        l4Offset: UInt16 = 0, payloadOffset: UInt16 = 0, l3End: UInt16 = 0, l4Protocol: UInt8 = 0
    ) {
        self.etherType = etherType
        self.vlanTCI = vlanTCI
        self.flags = flags
        self.l3Offset = l3Offset
        self.l4Offset = l4Offset
        self.payloadOffset = payloadOffset
        self.l3End = l3End
        self.l4Protocol = l4Protocol
    }

    /// The VLAN identifier (low 12 bits of the TCI); 0 when untagged or priority-tagged.
    @inlinable public var vlanID: UInt16 { vlanTCI & 0x0fff }
    /// The 802.1p priority code point (top 3 bits of the TCI).
    @inlinable public var vlanPriority: UInt8 { UInt8(truncatingIfNeeded: vlanTCI >> 13) }
    /// Bytes from `payloadOffset` to `l3End`: the L4 payload (the inner frame for VXLAN, padding excluded).
    @inlinable public var payloadLength: Int { Int(l3End) - Int(payloadOffset) }

    // MARK: Views over the parsed headers. `data` must be the buffer that was parsed.

    /// The Ethernet header (always present after a successful parse).
    @inlinable public func ethernetHeader(in data: UnsafeRawPointer) -> EthernetHeader { EthernetHeader(data) }

    /// The 802.1Q tag, when the frame is tagged.
    @inlinable public func vlanTag(in data: UnsafeRawPointer) -> VLANTag? {
        flags.contains(.vlanTagged) ? VLANTag(data + 12) : nil
    }

    /// The ARP header, when `flags.arp`.
    @inlinable public func arpHeader(in data: UnsafeRawPointer) -> ARPHeader? {
        flags.contains(.arp) ? ARPHeader(data + Int(l3Offset)) : nil
    }

    /// The IPv4 header, when `flags.ipv4`.
    @inlinable public func ipv4Header(in data: UnsafeRawPointer) -> IPv4Header? {
        flags.contains(.ipv4) ? IPv4Header(data + Int(l3Offset)) : nil
    }

    /// The fixed IPv6 header, when `flags.ipv6`.
    @inlinable public func ipv6Header(in data: UnsafeRawPointer) -> IPv6Header? {
        flags.contains(.ipv6) ? IPv6Header(data + Int(l3Offset)) : nil
    }

    /// The TCP header, when `flags.tcp`.
    @inlinable public func tcpHeader(in data: UnsafeRawPointer) -> TCPHeader? {
        flags.contains(.tcp) ? TCPHeader(data + Int(l4Offset)) : nil
    }

    /// The UDP header, when `flags.udp`.
    @inlinable public func udpHeader(in data: UnsafeRawPointer) -> UDPHeader? {
        flags.contains(.udp) ? UDPHeader(data + Int(l4Offset)) : nil
    }

    /// The ICMP or ICMPv6 header, when `flags.icmp` or `flags.icmpv6` (the first 4 bytes have one layout).
    @inlinable public func icmpHeader(in data: UnsafeRawPointer) -> ICMPHeader? {
        flags.contains(.icmp) || flags.contains(.icmpv6) ? ICMPHeader(data + Int(l4Offset)) : nil
    }

    /// The VXLAN header (after the UDP header), when `flags.vxlan`.
    @inlinable public func vxlanHeader(in data: UnsafeRawPointer) -> VXLANHeader? {
        flags.contains(.vxlan) ? VXLANHeader(data + Int(l4Offset) + 8) : nil
    }
}

// MARK: - Wire access and constants

/// Unaligned loads and stores of network-byte-order (big-endian) integers. Every multi-byte header field is
/// read through these: packet data carries no alignment guarantee (a VLAN tag shifts everything by 4 bytes,
/// and IP options or extension headers by arbitrary multiples of 4 or 8).
///
/// The caller has checked that `offset ..< offset + size` lies inside the buffer; nothing here checks bounds.
@usableFromInline
internal enum Wire {
    @inlinable @inline(__always)
    static func u8(_ base: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        base.load(fromByteOffset: offset, as: UInt8.self)
    }

    @inlinable @inline(__always)
    static func u16(_ base: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable @inline(__always)
    static func u32(_ base: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable @inline(__always)
    static func u64(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inlinable @inline(__always)
    static func store16(_ value: UInt16, _ base: UnsafeMutableRawPointer, _ offset: Int) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inlinable @inline(__always)
    static func store32(_ value: UInt32, _ base: UnsafeMutableRawPointer, _ offset: Int) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inlinable @inline(__always)
    static func store64(_ value: UInt64, _ base: UnsafeMutableRawPointer, _ offset: Int) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
    }
}

/// EtherType values the parser knows (IEEE 802.3 type field, network order once loaded).
public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let ipv6: UInt16 = 0x86dd
    /// IEEE 802.1Q customer VLAN tag.
    public static let vlan: UInt16 = 0x8100
    /// IEEE 802.1ad service VLAN tag (QinQ outer tag). Dropped by the parser (`ParseError.stackedVLAN`).
    public static let qinq: UInt16 = 0x88a8
    /// Pre-standard QinQ outer tag used by some switches. Dropped by the parser (`ParseError.stackedVLAN`).
    public static let qinqLegacy: UInt16 = 0x9100
}

/// IP protocol numbers (IPv4 protocol field, IPv6 next-header field) the parser knows.
public enum IPProtocol {
    public static let hopByHop: UInt8 = 0
    public static let icmp: UInt8 = 1
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let ipv6Routing: UInt8 = 43
    public static let ipv6Fragment: UInt8 = 44
    public static let esp: UInt8 = 50
    public static let ah: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let ipv6NoNextHeader: UInt8 = 59
    public static let ipv6DestinationOptions: UInt8 = 60
}
