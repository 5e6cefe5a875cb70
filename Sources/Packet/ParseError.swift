/// Why `PacketParser.parse` rejected a frame. A rejected frame is dropped and counted under `name`.
///
/// Raw values are stable (counters may be indexed by them): new cases are only ever appended.
/// docs/packet-parsing.md lists exactly what triggers each one.
@frozen
public enum ParseError: UInt8, CaseIterable, Sendable, Error, CustomStringConvertible {
    /// Fewer than 14 bytes: no complete Ethernet header.
    case truncatedEthernet = 0
    /// TPID 0x8100 but fewer than 18 bytes: the tag is cut.
    case truncatedVLAN = 1
    /// An outer 802.1ad (0x88a8) or legacy QinQ (0x9100) TPID, or a second tag (0x8100, 0x88a8, 0x9100)
    /// behind an 802.1Q tag. QinQ is not supported, by design.
    case stackedVLAN = 2
    /// EtherType ARP but fewer than 28 bytes after the Ethernet header.
    case truncatedARP = 3
    /// ARP that is not Ethernet/IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4).
    case badARP = 4
    /// EtherType IPv4 but fewer than 20 bytes after the Ethernet header.
    case truncatedIPv4 = 5
    /// EtherType IPv4 but the version nibble is not 4.
    case badIPv4Version = 6
    /// IHL below 5, or the header (IHL × 4 bytes) extends past the end of the frame.
    case badIPv4HeaderLength = 7
    /// Total length below the header length, or beyond the bytes in the frame.
    case badIPv4TotalLength = 8
    /// EtherType IPv6 but fewer than 40 bytes after the Ethernet header.
    case truncatedIPv6 = 9
    /// EtherType IPv6 but the version nibble is not 6.
    case badIPv6Version = 10
    /// The payload length extends beyond the bytes in the frame.
    case badIPv6PayloadLength = 11
    /// A hop-by-hop, routing, fragment or destination-options header cut by the end of the IPv6 payload, or a
    /// chain of more than 8 of them.
    case badIPv6ExtensionHeader = 12
    /// Fewer than 20 bytes of TCP header in the IP payload.
    case truncatedTCP = 13
    /// TCP data offset below 5, or the header it gives extends past the IP payload.
    case badTCPDataOffset = 14
    /// Fewer than 8 bytes of UDP header in the IP payload.
    case truncatedUDP = 15
    /// UDP length below 8, or (unfragmented datagrams only) beyond the IP payload.
    case badUDPLength = 16
    /// Fewer than 8 bytes of ICMP/ICMPv6 header in the IP payload.
    case truncatedICMP = 17
    /// UDP to port 4789 (unfragmented) with fewer than 8 (VXLAN) + 14 (inner Ethernet) bytes in the UDP
    /// payload.
    case truncatedVXLAN = 18
    /// More than 65535 bytes: offsets are 16-bit. An mbuf segment never holds that much.
    case frameTooLong = 19
    /// The source address has the group (I/G) bit set: multicast or broadcast. IEEE 802.3 (clause 3.2.3)
    /// allows only individual source addresses; such a frame would otherwise be flooded (and is never
    /// learned), so it is refused before any later stage sees it.
    case groupSourceMAC = 20
    /// The frame minus its Ethernet header (14 bytes, 18 with an 802.1Q tag) is longer than the ingress
    /// port's MTU (`PacketParser.parse(_:length:frameLength:mtu:into:)`).
    case exceedsMTU = 21

    /// Stable kebab-case name for counters and logs, e.g. "truncated-ipv4".
    @inlinable
    public var name: String {
        switch self {
        case .truncatedEthernet: "truncated-ethernet"
        case .truncatedVLAN: "truncated-vlan"
        case .stackedVLAN: "stacked-vlan"
        case .truncatedARP: "truncated-arp"
        case .badARP: "bad-arp"
        case .truncatedIPv4: "truncated-ipv4"
        case .badIPv4Version: "bad-ipv4-version"
        case .badIPv4HeaderLength: "bad-ipv4-header-length"
        case .badIPv4TotalLength: "bad-ipv4-total-length"
        case .truncatedIPv6: "truncated-ipv6"
        case .badIPv6Version: "bad-ipv6-version"
        case .badIPv6PayloadLength: "bad-ipv6-payload-length"
        case .badIPv6ExtensionHeader: "bad-ipv6-extension-header"
        case .truncatedTCP: "truncated-tcp"
        case .badTCPDataOffset: "bad-tcp-data-offset"
        case .truncatedUDP: "truncated-udp"
        case .badUDPLength: "bad-udp-length"
        case .truncatedICMP: "truncated-icmp"
        case .truncatedVXLAN: "truncated-vxlan"
        case .frameTooLong: "frame-too-long"
        case .groupSourceMAC: "group-source-mac"
        case .exceedsMTU: "exceeds-mtu"
        }
    }

    public var description: String { name }
}
