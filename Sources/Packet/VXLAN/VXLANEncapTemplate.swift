/// The outer headers of one remote VTEP, built once and copied in front of every frame sent to it (what VPP's
/// VXLAN tunnels keep as their rewrite string and OVS as its tunnel push header): the bytes
/// `VXLANEncap.write` writes, with the fields that change per packet left zero — the IPv4 total length and
/// header checksum, the UDP source port and length, the VNI — and the one's-complement sum of the IPv4
/// header without them, so that per packet the checksum is one add and one fold (RFC 1624), not a sum over
/// the header.
///
/// A template lives in `stride` bytes of the caller's memory (one cache line):
/// - bytes `0 ..< length`: the outer headers (50 bytes, 54 with the underlay's 802.1Q tag);
/// - byte 60-61: the IPv4 header's partial sum (native order), byte 62: `length`.
public enum VXLANEncapTemplate {
    /// Bytes of one template (one cache line; align templates to 64 bytes).
    @inlinable public static var stride: Int { 64 }
    @inlinable static var sumOffset: Int { 60 }
    @inlinable static var lengthOffset: Int { 62 }

    /// Builds `header`'s template (its `vni` is not used: `apply` writes the packet's) at `template`
    /// (`stride` bytes).
    @inlinable
    public static func build(_ header: VXLANEncapHeader, at template: UnsafeMutableRawPointer) {
        template.initializeMemory(as: UInt8.self, repeating: 0, count: stride)
        VXLANEncap.write(header, at: template, innerLength: 0, sourcePort: 0)
        let ip = template + (header.length - VXLANWire.ipOverhead)
        // The fields `apply` writes, zero again: total length, checksum, UDP source port and length, VNI.
        Wire.store16(0, ip, 2)
        Wire.store16(0, ip, 10)
        Wire.store16(0, ip, 20)
        Wire.store16(0, ip, 24)
        Wire.store32(0, ip, 32)
        // The sum of the header words without the total length: `~checksum` of the header as it is now,
        // folded to 16 bits, never 0 (the version word alone is not).
        let partial = ~VXLANEncap.ipv4HeaderChecksum(ip)
        template.storeBytes(of: partial, toByteOffset: sumOffset, as: UInt16.self)
        template.storeBytes(of: UInt8(truncatingIfNeeded: header.length), toByteOffset: lengthOffset, as: UInt8.self)
    }

    /// The bytes of outer headers `template` writes: 50, or 54 with the underlay tag.
    @inlinable @inline(__always)
    public static func length(of template: UnsafeRawPointer) -> Int {
        Int(template.load(fromByteOffset: lengthOffset, as: UInt8.self))
    }

    /// Writes `template`'s outer headers at `outer` (`length(of: template)` bytes) for an inner frame of
    /// `innerLength` bytes (at most 65535 - 36): exactly what `VXLANEncap.write` writes for the header the
    /// template was built from, `vni` and `sourcePort`. Four 16-byte copies (overlapping at the end) and four
    /// stores.
    @inlinable @inline(__always)
    public static func apply(
        _ template: UnsafeRawPointer, at outer: UnsafeMutableRawPointer, innerLength: Int, sourcePort: UInt16,
        vni: UInt32
    ) {
        let length = length(of: template)
        copy16(template, outer, 0)
        copy16(template, outer, 16)
        copy16(template, outer, 32)
        copy16(template, outer, length &- 16)
        let ip = outer + (length &- VXLANWire.ipOverhead)
        let totalLength = UInt32(truncatingIfNeeded: innerLength &+ VXLANWire.ipOverhead)
        var sum = UInt32(template.load(fromByteOffset: sumOffset, as: UInt16.self)) &+ totalLength
        sum = (sum & 0xffff) &+ (sum >> 16)
        Wire.store16(UInt16(truncatingIfNeeded: totalLength), ip, 2)
        Wire.store16(~UInt16(truncatingIfNeeded: sum), ip, 10)
        // UDP: source port, 4789, length, checksum 0.
        Wire.store64(
            UInt64(sourcePort) << 48 | UInt64(VXLANWire.udpPort) << 32 | UInt64(totalLength &- 20) << 16, ip, 20)
        Wire.store32(vni << 8, ip, 32)
    }

    @inlinable @inline(__always)
    static func copy16(_ from: UnsafeRawPointer, _ to: UnsafeMutableRawPointer, _ offset: Int) {
        to.storeBytes(
            of: from.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self), toByteOffset: offset,
            as: SIMD16<UInt8>.self)
    }
}
