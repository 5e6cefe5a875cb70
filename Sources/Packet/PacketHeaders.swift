/// What the parser found in a frame, as bits. See `PacketHeaders.flags`.
@frozen
public struct HeaderFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The frame carries one IEEE 802.1Q tag (TPID 0x8100); its TCI is `PacketHeaders.vlanTCI`.
    @inlinable public static var vlanTagged: HeaderFlags { HeaderFlags(rawValue: 1 << 0) }
    /// The destination MAC is ff:ff:ff:ff:ff:ff. `multicastDestination` is then set too.
    @inlinable public static var broadcastDestination: HeaderFlags { HeaderFlags(rawValue: 1 << 1) }
    /// The destination MAC has its group (I/G) bit set. This INCLUDES broadcast: a frame to
    /// ff:ff:ff:ff:ff:ff has both `multicastDestination` and `broadcastDestination`; test
    /// `multicastDestination` alone for "flood this", and `multicast && !broadcast` for true multicast.
    @inlinable public static var multicastDestination: HeaderFlags { HeaderFlags(rawValue: 1 << 2) }
    /// EtherType 0x0806 with an Ethernet/IPv4 ARP header (checked: htype 1, ptype 0x0800, hlen 6, plen 4).
    @inlinable public static var arp: HeaderFlags { HeaderFlags(rawValue: 1 << 3) }
    /// EtherType 0x0800 with a valid IPv4 header.
    @inlinable public static var ipv4: HeaderFlags { HeaderFlags(rawValue: 1 << 4) }
    /// EtherType 0x86dd with a valid IPv6 header (and extension-header chain).
    @inlinable public static var ipv6: HeaderFlags { HeaderFlags(rawValue: 1 << 5) }
    /// A TCP header is present at `l4Offset` (never set for non-first fragments).
    @inlinable public static var tcp: HeaderFlags { HeaderFlags(rawValue: 1 << 6) }
    /// A UDP header is present at `l4Offset` (never set for non-first fragments).
    @inlinable public static var udp: HeaderFlags { HeaderFlags(rawValue: 1 << 7) }
    /// An ICMP (IPv4 protocol 1) header is present at `l4Offset`.
    @inlinable public static var icmp: HeaderFlags { HeaderFlags(rawValue: 1 << 8) }
    /// An ICMPv6 (IPv6 next header 58) header is present at `l4Offset`.
    @inlinable public static var icmpv6: HeaderFlags { HeaderFlags(rawValue: 1 << 9) }
    /// UDP to port 4789 carrying a VXLAN header with the I flag set; `payloadOffset` is the inner frame.
    @inlinable public static var vxlan: HeaderFlags { HeaderFlags(rawValue: 1 << 10) }
    /// An IP fragment: IPv4 with MF set or a non-zero fragment offset, or IPv6 with a fragment header
    /// (including atomic fragments, offset 0 and M clear).
    @inlinable public static var ipFragment: HeaderFlags { HeaderFlags(rawValue: 1 << 11) }
    /// IPv4 header with options (IHL > 5). The options are skipped, not interpreted.
    @inlinable public static var ipv4Options: HeaderFlags { HeaderFlags(rawValue: 1 << 12) }
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
