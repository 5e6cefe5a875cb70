/// VXLAN (RFC 7348) on the wire: classifying a frame received on the uplink for decapsulation, and writing
/// the outer headers of an encapsulated one. Pure functions over raw bytes, for the decap and encap stages
/// and their tests; no allocation.
///
/// Outer frame: Ethernet (14, or 18 with the underlay's 802.1Q tag) · IPv4 (20, no options when Sluice
/// writes it; options are skipped when reading) · UDP (8, destination port 4789) · VXLAN (8: flags with
/// the I bit 0x08, 24 reserved bits, the 24-bit VNI, 8 reserved bits) · the inner Ethernet frame.
public enum VXLANWire {
    public static let udpPort: UInt16 = 4789
    /// IPv4 + UDP + VXLAN: what encapsulation adds in front of the inner frame, besides the outer Ethernet
    /// header. The underlay MTU must hold this plus the inner frame.
    public static let ipOverhead = 36
    /// The outer headers without a VLAN tag: Ethernet, IPv4, UDP, VXLAN.
    public static let outerLength = 50
    /// With the underlay's 802.1Q tag.
    public static let taggedOuterLength = 54
    /// The I flag of the VXLAN header's first byte: the VNI is valid.
    public static let flagI: UInt8 = 0x08
    /// RFC 7348 recommends source ports from the dynamic range, 49152...65535.
    public static let sourcePortBase: UInt16 = 49152
    public static let ethertypeIPv4: UInt16 = 0x0800
    public static let ethertype8021Q: UInt16 = 0x8100
    public static let ethertype8021AD: UInt16 = 0x88a8
}

/// Why a frame addressed to the VTEP (IPv4, UDP 4789, the VTEP's address) is not decapsulated.
public enum VXLANDecapProblem: Int, CaseIterable, Sendable {
    /// The frame ends inside the outer IPv4, UDP or VXLAN header.
    case truncatedOuter
    /// An IPv4 header length below 20 bytes, or total or UDP lengths that disagree with the frame.
    case badOuterLength
    /// A fragment (MF set or an offset): VXLAN packets are never fragmented by Sluice's peers' rule, and
    /// Sluice does not reassemble.
    case outerFragment
    /// The VXLAN I flag is clear: no valid VNI.
    case flagIClear
    /// Less than an Ethernet header after the VXLAN header.
    case truncatedInner
    /// The inner frame carries an 802.1Q or 802.1ad tag: VXLAN carries one L2 segment, untagged.
    case innerVLANTag
}

/// The result of `VXLANDecap.classify`.
@frozen
public enum VXLANDecapClass: Equatable, Sendable {
    /// Not VXLAN for this VTEP: the frame stays in the bridge (or the underlay's own handling).
    case notTunnel
    /// Decapsulate: the inner frame starts at `innerOffset`; `source` is the remote VTEP.
    case tunnel(vni: UInt32, innerOffset: Int, source: IPv4Address)
    /// Addressed to the VTEP, but not a frame it can decapsulate.
    case drop(VXLANDecapProblem)
}

public enum VXLANDecap {
    /// Classifies the `length` bytes at `frame` received on the uplink. `underlayVLAN` is the underlay's
    /// tag (0: untagged): a frame with another tag, or untagged when a tag is expected, is not the tunnel's.
    @inlinable
    public static func classify(
        _ frame: UnsafeRawPointer, length: Int, local: IPv4Address, underlayVLAN: UInt16
    ) -> VXLANDecapClass {
        var l3 = 14
        guard length >= 14 else { return .notTunnel }
        var ethertype = Wire.u16(frame, 12)
        if underlayVLAN != 0 {
            guard ethertype == VXLANWire.ethertype8021Q, length >= 18,
                Wire.u16(frame, 14) & 0x0fff == underlayVLAN
            else { return .notTunnel }
            ethertype = Wire.u16(frame, 16)
            l3 = 18
        }
        // What identifies the tunnel's packets: IPv4, protocol UDP, destination the VTEP, port 4789. A frame
        // too short to show all of it is left to the parser (which drops it as truncated).
        guard ethertype == VXLANWire.ethertypeIPv4, length >= l3 + 20 else { return .notTunnel }
        let versionAndLength = Wire.u8(frame, l3)
        guard versionAndLength >> 4 == 4, Wire.u8(frame, l3 + 9) == 17,
            Wire.u32(frame, l3 + 16) == local.rawValue
        else { return .notTunnel }
        let headerLength = Int(versionAndLength & 0x0f) * 4
        if headerLength < 20 { return .drop(.badOuterLength) }
        // A fragment addressed to the VTEP is refused before its ports are looked at: later fragments have
        // none.
        if Wire.u16(frame, l3 + 6) & 0x3fff != 0 { return .drop(.outerFragment) }
        let l4 = l3 + headerLength
        guard length >= l4 + 4 else { return .drop(.truncatedOuter) }
        guard Wire.u16(frame, l4 + 2) == VXLANWire.udpPort else { return .notTunnel }
        guard length >= l4 + 16 else { return .drop(.truncatedOuter) }
        let totalLength = Int(Wire.u16(frame, l3 + 2))
        let udpLength = Int(Wire.u16(frame, l4 + 4))
        // Ethernet padding may follow the IP packet; the IP packet may not extend past the frame, and UDP
        // must fill it exactly.
        if totalLength < headerLength + 16 || l3 + totalLength > length || udpLength != totalLength - headerLength {
            return .drop(.badOuterLength)
        }
        if Wire.u8(frame, l4 + 8) & VXLANWire.flagI == 0 { return .drop(.flagIClear) }
        let inner = l4 + 16
        let innerEnd = l3 + totalLength
        guard innerEnd - inner >= 14 else { return .drop(.truncatedInner) }
        let innerType = Wire.u16(frame, inner + 12)
        if innerType == VXLANWire.ethertype8021Q || innerType == VXLANWire.ethertype8021AD {
            return .drop(.innerVLANTag)
        }
        return .tunnel(
            vni: Wire.u32(frame, l4 + 12) >> 8, innerOffset: inner,
            source: IPv4Address(rawValue: Wire.u32(frame, l3 + 12)))
    }
}

/// The outer headers of one remote VTEP and VNI: everything `VXLANEncap.write` needs besides the inner frame.
@frozen
public struct VXLANEncapHeader: Equatable, Sendable {
    public var destinationMAC: EthernetAddress
    public var sourceMAC: EthernetAddress
    /// The underlay's 802.1Q tag, 0 for none.
    public var underlayVLAN: UInt16
    public var source: IPv4Address
    public var destination: IPv4Address
    public var ttl: UInt8
    public var vni: UInt32

    public init(
        destinationMAC: EthernetAddress, sourceMAC: EthernetAddress, underlayVLAN: UInt16, source: IPv4Address,
        destination: IPv4Address, ttl: UInt8, vni: UInt32
    ) {
        self.destinationMAC = destinationMAC
        self.sourceMAC = sourceMAC
        self.underlayVLAN = underlayVLAN
        self.source = source
        self.destination = destination
        self.ttl = ttl
        self.vni = vni
    }

    /// Bytes of outer headers: 50, or 54 with the underlay tag.
    @inlinable
    public var length: Int { underlayVLAN == 0 ? VXLANWire.outerLength : VXLANWire.taggedOuterLength }
}

public enum VXLANEncap {
    /// Writes `header`'s outer headers at `outer` (`header.length` bytes), for an inner frame of
    /// `innerLength` bytes that follows them: IPv4 with DF set, identification 0, the TTL and a computed
    /// header checksum; UDP from `sourcePort` to 4789 with checksum 0 (RFC 7348 allows it for IPv4); the
    /// VXLAN header with the I flag and the VNI.
    @inlinable
    public static func write(
        _ header: VXLANEncapHeader, at outer: UnsafeMutableRawPointer, innerLength: Int, sourcePort: UInt16
    ) {
        Wire.store32(UInt32(truncatingIfNeeded: header.destinationMAC.rawValue >> 16), outer, 0)
        Wire.store16(UInt16(truncatingIfNeeded: header.destinationMAC.rawValue), outer, 4)
        Wire.store32(UInt32(truncatingIfNeeded: header.sourceMAC.rawValue >> 16), outer, 6)
        Wire.store16(UInt16(truncatingIfNeeded: header.sourceMAC.rawValue), outer, 10)
        var l3 = 14
        if header.underlayVLAN != 0 {
            Wire.store16(VXLANWire.ethertype8021Q, outer, 12)
            Wire.store16(header.underlayVLAN & 0x0fff, outer, 14)
            l3 = 18
        }
        Wire.store16(VXLANWire.ethertypeIPv4, outer, l3 - 2)
        let ip = outer + l3
        let totalLength = UInt16(truncatingIfNeeded: VXLANWire.ipOverhead + innerLength)
        Wire.store32(0x4500_0000 | UInt32(totalLength), ip, 0)  // version 4, IHL 5, TOS 0, total length
        Wire.store32(0x0000_4000, ip, 4)  // identification 0, DF, offset 0
        Wire.store32(UInt32(header.ttl) << 24 | 17 << 16, ip, 8)  // TTL, UDP, checksum 0 for now
        header.source.write(to: ip + 12)
        header.destination.write(to: ip + 16)
        Wire.store16(ipv4HeaderChecksum(ip), ip, 10)
        let udp = ip + 20
        Wire.store32(UInt32(sourcePort) << 16 | UInt32(VXLANWire.udpPort), udp, 0)
        Wire.store32(UInt32(totalLength &- 20) << 16, udp, 4)  // length, checksum 0
        Wire.store32(UInt32(VXLANWire.flagI) << 24, udp, 8)
        Wire.store32(header.vni << 8, udp, 12)
    }

    /// The checksum of a 20-byte IPv4 header whose checksum field is zero.
    @inlinable
    public static func ipv4HeaderChecksum(_ ip: UnsafeRawPointer) -> UInt16 {
        LocalReplies.headerChecksum(ip, length: 20)
    }

    /// The outer UDP source port for the inner frame at `inner` (`length` bytes): 49152...65535 from a hash
    /// of its flow — the IPv4 addresses, protocol and TCP/UDP ports when it has them, else its MACs and
    /// ethertype — so that one flow always takes one port (no reordering) and the underlay's ECMP spreads
    /// flows. Inlined into the encap loop, and finished with one multiply (the top bits of a product depend on
    /// every bit of the key; the xor-shift first folds the key's top bits down): SplitMix64's full
    /// finaliser, three multiplies in a chain, was as costly as the rest of encapsulation.
    @inlinable @inline(__always)
    public static func sourcePort(inner: UnsafeRawPointer, length: Int) -> UInt16 {
        var key: UInt64
        if length >= 34, Wire.u16(inner, 12) == VXLANWire.ethertypeIPv4, Wire.u8(inner, 14) >> 4 == 4 {
            let protocolNumber = Wire.u8(inner, 23)
            key = Wire.u64(inner, 26) ^ UInt64(protocolNumber) << 32
            let l4 = 14 + Int(Wire.u8(inner, 14) & 0x0f) * 4
            let fragment = Wire.u16(inner, 20) & 0x3fff != 0
            if protocolNumber == 6 || protocolNumber == 17, !fragment, length >= l4 + 4 {
                key = key &* 0x9e37_79b9_7f4a_7c15 ^ UInt64(Wire.u32(inner, l4))
            }
        } else if length >= 14 {
            key = Wire.u64(inner, 0) ^ Wire.u64(inner, 6) &* 31 ^ UInt64(Wire.u16(inner, 12))
        } else {
            key = UInt64(length)
        }
        // Every input bit affects the top 14 bits taken below: bit i of a product's input reaches every bit
        // above i, and the xor-shift gives the top input bits more of them.
        key = (key ^ (key >> 29)) &* 0xbf58_476d_1ce4_e5b9
        return VXLANWire.sourcePortBase | UInt16(truncatingIfNeeded: key >> 50)
    }
}
