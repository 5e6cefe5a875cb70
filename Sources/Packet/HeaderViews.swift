// Read-only views over headers in packet memory. Each is a pointer to the first byte of its header; the
// accessors load fields in network order with unaligned loads. Nothing is bounds-checked: obtain views from a
// successfully parsed `PacketHeaders` (`headers.ipv4Header(in: data)`, ...) so the bytes are known to exist.

/// The 14-byte Ethernet II header at the start of a frame.
@frozen
public struct EthernetHeader {
    public let pointer: UnsafeRawPointer
    @inlinable public init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    /// Bytes 0...5.
    @inlinable public var destination: EthernetAddress { EthernetAddress(pointer) }
    /// Bytes 6...11.
    @inlinable public var source: EthernetAddress { EthernetAddress(pointer + 6) }
    /// Bytes 12...13 as they are: 0x8100 for a tagged frame (see `PacketHeaders.etherType` for the inner one).
    @inlinable public var etherType: UInt16 { Wire.u16(pointer, 12) }
}

/// An IEEE 802.1Q tag: TPID (0x8100) and TCI, followed by the encapsulated EtherType. Points at the TPID
/// (frame offset 12).
@frozen
public struct VLANTag {
    public let pointer: UnsafeRawPointer
    @inlinable public init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    /// The tag protocol identifier, 0x8100.
    @inlinable public var tpid: UInt16 { Wire.u16(pointer, 0) }
    /// Tag control information: PCP (3 bits) | DEI (1 bit) | VID (12 bits).
    @inlinable public var tci: UInt16 { Wire.u16(pointer, 2) }
    /// Priority code point (802.1p), 0...7.
    @inlinable public var priority: UInt8 { UInt8(truncatingIfNeeded: tci >> 13) }
    /// Drop eligible indicator.
    @inlinable public var dropEligible: Bool { tci & 0x1000 != 0 }
    /// VLAN identifier, 0...4095.
    @inlinable public var vlanID: UInt16 { tci & 0x0fff }
    /// The EtherType of what the tag encapsulates.
    @inlinable public var etherType: UInt16 { Wire.u16(pointer, 4) }
}

/// An Ethernet/IPv4 ARP packet (28 bytes, RFC 826).
@frozen
public struct ARPHeader {
    public let pointer: UnsafeRawPointer
    @inlinable public init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    /// `opcode` of a request.
    public static let request: UInt16 = 1
    /// `opcode` of a reply.
    public static let reply: UInt16 = 2

    /// Hardware type (1 for Ethernet).
    @inlinable public var hardwareType: UInt16 { Wire.u16(pointer, 0) }
    /// Protocol type (0x0800 for IPv4).
    @inlinable public var protocolType: UInt16 { Wire.u16(pointer, 2) }
    /// Hardware address length (6).
    @inlinable public var hardwareLength: UInt8 { Wire.u8(pointer, 4) }
    /// Protocol address length (4).
    @inlinable public var protocolLength: UInt8 { Wire.u8(pointer, 5) }
    /// 1 request, 2 reply (not checked by the parser).
    @inlinable public var opcode: UInt16 { Wire.u16(pointer, 6) }
    @inlinable public var senderHardwareAddress: EthernetAddress { EthernetAddress(pointer + 8) }
    @inlinable public var senderProtocolAddress: IPv4Address { IPv4Address(pointer + 14) }
    @inlinable public var targetHardwareAddress: EthernetAddress { EthernetAddress(pointer + 18) }
    @inlinable public var targetProtocolAddress: IPv4Address { IPv4Address(pointer + 24) }
}

/// An IPv4 header (RFC 791), options included in `headerLength`.
@frozen
public struct IPv4Header {
    public let pointer: UnsafeRawPointer
    @inlinable public init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    /// 4.
    @inlinable public var version: UInt8 { Wire.u8(pointer, 0) >> 4 }
    /// The header length in bytes (IHL × 4): 20 without options.
    @inlinable public var headerLength: Int { Int(Wire.u8(pointer, 0) & 0x0f) * 4 }
    /// Differentiated services code point (top 6 bits of the former TOS byte).
    @inlinable public var dscp: UInt8 { Wire.u8(pointer, 1) >> 2 }
    /// Explicit congestion notification (low 2 bits of the former TOS byte).
    @inlinable public var ecn: UInt8 { Wire.u8(pointer, 1) & 0x03 }
    /// Header plus data, in bytes.
    @inlinable public var totalLength: UInt16 { Wire.u16(pointer, 2) }
    @inlinable public var identification: UInt16 { Wire.u16(pointer, 4) }
    /// DF.
    @inlinable public var dontFragment: Bool { Wire.u16(pointer, 6) & 0x4000 != 0 }
    /// MF.
    @inlinable public var moreFragments: Bool { Wire.u16(pointer, 6) & 0x2000 != 0 }
    /// The fragment offset in bytes (the 13-bit field × 8).
    @inlinable public var fragmentOffset: Int { Int(Wire.u16(pointer, 6) & 0x1fff) * 8 }
    @inlinable public var timeToLive: UInt8 { Wire.u8(pointer, 8) }
    /// The protocol of the payload (`IPProtocol`).
    @inlinable public var protocolNumber: UInt8 { Wire.u8(pointer, 9) }
    @inlinable public var headerChecksum: UInt16 { Wire.u16(pointer, 10) }
    @inlinable public var source: IPv4Address { IPv4Address(pointer + 12) }
    @inlinable public var destination: IPv4Address { IPv4Address(pointer + 16) }
}

/// The fixed 40-byte IPv6 header (RFC 8200). Extension headers are not part of this view.
@frozen
public struct IPv6Header {
    public let pointer: UnsafeRawPointer
    @inlinable public init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    /// 6.
    @inlinable public var version: UInt8 { Wire.u8(pointer, 0) >> 4 }
    /// Traffic class (DSCP | ECN).
    @inlinable public var trafficClass: UInt8 { UInt8(truncatingIfNeeded: Wire.u32(pointer, 0) >> 20) }
    /// 20-bit flow label.
    @inlinable public var flowLabel: UInt32 { Wire.u32(pointer, 0) & 0x000f_ffff }
    /// Bytes after this 40-byte header, extension headers included.
    @inlinable public var payloadLength: UInt16 { Wire.u16(pointer, 4) }
    /// The header after this one (an extension header or the L4 protocol).
    @inlinable public var nextHeader: UInt8 { Wire.u8(pointer, 6) }
    @inlinable public var hopLimit: UInt8 { Wire.u8(pointer, 7) }
    @inlinable public var source: IPv6Address { IPv6Address(pointer + 8) }
    @inlinable public var destination: IPv6Address { IPv6Address(pointer + 24) }
}

/// TCP control bits (the low 8 bits of bytes 12...13 of the TCP header).
@frozen
public struct TCPFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    @inlinable public static var fin: TCPFlags { TCPFlags(rawValue: 0x01) }
    @inlinable public static var syn: TCPFlags { TCPFlags(rawValue: 0x02) }
    @inlinable public static var rst: TCPFlags { TCPFlags(rawValue: 0x04) }
    @inlinable public static var psh: TCPFlags { TCPFlags(rawValue: 0x08) }
    @inlinable public static var ack: TCPFlags { TCPFlags(rawValue: 0x10) }
    @inlinable public static var urg: TCPFlags { TCPFlags(rawValue: 0x20) }
    @inlinable public static var ece: TCPFlags { TCPFlags(rawValue: 0x40) }
    @inlinable public static var cwr: TCPFlags { TCPFlags(rawValue: 0x80) }
}

/// A TCP header (RFC 9293), options included in `headerLength`.
@frozen
public struct TCPHeader {
    public let pointer: UnsafeRawPointer
    @inlinable public init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    @inlinable public var sourcePort: UInt16 { Wire.u16(pointer, 0) }
    @inlinable public var destinationPort: UInt16 { Wire.u16(pointer, 2) }
    @inlinable public var sequenceNumber: UInt32 { Wire.u32(pointer, 4) }
    @inlinable public var acknowledgmentNumber: UInt32 { Wire.u32(pointer, 8) }
    /// The header length in bytes (data offset × 4): 20 without options.
    @inlinable public var headerLength: Int { Int(Wire.u8(pointer, 12) >> 4) * 4 }
    @inlinable public var flags: TCPFlags { TCPFlags(rawValue: Wire.u8(pointer, 13)) }
    @inlinable public var window: UInt16 { Wire.u16(pointer, 14) }
    @inlinable public var checksum: UInt16 { Wire.u16(pointer, 16) }
    @inlinable public var urgentPointer: UInt16 { Wire.u16(pointer, 18) }
}

/// An 8-byte UDP header (RFC 768).
@frozen
public struct UDPHeader {
    public let pointer: UnsafeRawPointer
    @inlinable public init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    @inlinable public var sourcePort: UInt16 { Wire.u16(pointer, 0) }
    @inlinable public var destinationPort: UInt16 { Wire.u16(pointer, 2) }
    /// Header plus data, in bytes.
    @inlinable public var length: UInt16 { Wire.u16(pointer, 4) }
    @inlinable public var checksum: UInt16 { Wire.u16(pointer, 6) }
}

/// The first bytes of an ICMP (RFC 792) or ICMPv6 (RFC 4443) message, common to both.
@frozen
public struct ICMPHeader {
    public let pointer: UnsafeRawPointer
    @inlinable public init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    @inlinable public var type: UInt8 { Wire.u8(pointer, 0) }
    @inlinable public var code: UInt8 { Wire.u8(pointer, 1) }
    @inlinable public var checksum: UInt16 { Wire.u16(pointer, 2) }
    /// Bytes 4...7: identifier and sequence number for echo, MTU, pointer, or unused, by type.
    @inlinable public var restOfHeader: UInt32 { Wire.u32(pointer, 4) }
}

/// An 8-byte VXLAN header (RFC 7348), right after the outer UDP header.
@frozen
public struct VXLANHeader {
    public let pointer: UnsafeRawPointer
    @inlinable public init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    /// The UDP destination port assigned to VXLAN.
    public static let udpPort: UInt16 = PacketParser.vxlanPort

    /// The flags byte; 0x08 is the I flag (VNI valid).
    @inlinable public var flags: UInt8 { Wire.u8(pointer, 0) }
    /// The I flag: the VNI is valid. The parser reports VXLAN only when it is set.
    @inlinable public var hasValidVNI: Bool { flags & 0x08 != 0 }
    /// The 24-bit VXLAN network identifier (bytes 4...6).
    @inlinable public var vni: UInt32 { Wire.u32(pointer, 4) >> 8 }
}
