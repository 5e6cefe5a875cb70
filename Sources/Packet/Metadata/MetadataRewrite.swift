/// The two rewrites of the metadata intercept (docs/metadata.md), in place on an untagged Ethernet/IPv4/TCP
/// frame whose headers the parser has checked: a guest's request towards the service, and the service's
/// reply back towards the guest. Checksums are updated incrementally (RFC 1624, `HC' = ~(~HC + ~m + m')`),
/// never recomputed over the payload.
public enum MetadataRewrite {
    /// A request from a guest: source address → the port's pool address, destination → the service's address
    /// and TCP port; the Ethernet addresses → `destinationMAC` (the service host) from `sourceMAC` (Sluice's).
    @inlinable @inline(__always)
    public static func toService(
        _ frame: UnsafeMutableRawPointer, l3: Int, l4: Int, source: IPv4Address, destination: IPv4Address,
        destinationPort: UInt16, destinationMAC: EthernetAddress, sourceMAC: EthernetAddress
    ) {
        destinationMAC.write(to: frame)
        sourceMAC.write(to: frame + 6)
        let ip = frame + l3
        let tcp = frame + l4
        let oldSource = Wire.u32(ip, 12)
        let oldDestination = Wire.u32(ip, 16)
        let oldPort = Wire.u16(tcp, 2)
        var ipSum = UInt32(~Wire.u16(ip, 10))
        replace32(&ipSum, oldSource, source.rawValue)
        replace32(&ipSum, oldDestination, destination.rawValue)
        Wire.store16(fold(ipSum), ip, 10)
        var tcpSum = UInt32(~Wire.u16(tcp, 16))
        replace32(&tcpSum, oldSource, source.rawValue)
        replace32(&tcpSum, oldDestination, destination.rawValue)
        replace16(&tcpSum, oldPort, destinationPort)
        Wire.store16(fold(tcpSum), tcp, 16)
        source.write(to: ip + 12)
        destination.write(to: ip + 16)
        Wire.store16(destinationPort, tcp, 2)
    }

    /// A reply from the service: source → the intercepted address and port, destination → the guest's own
    /// address, TTL clamped to `hopLimit`; the Ethernet addresses → the guest's MAC from the MAC the guest
    /// addressed.
    @inlinable @inline(__always)
    public static func toGuest(
        _ frame: UnsafeMutableRawPointer, l3: Int, l4: Int, source: IPv4Address, sourcePort: UInt16,
        destination: IPv4Address, hopLimit: UInt8, destinationMAC: EthernetAddress, sourceMAC: EthernetAddress
    ) {
        destinationMAC.write(to: frame)
        sourceMAC.write(to: frame + 6)
        let ip = frame + l3
        let tcp = frame + l4
        let oldSource = Wire.u32(ip, 12)
        let oldDestination = Wire.u32(ip, 16)
        let oldPort = Wire.u16(tcp, 0)
        let oldTTLWord = Wire.u16(ip, 8)
        let ttl = min(UInt8(truncatingIfNeeded: oldTTLWord >> 8), hopLimit)
        let newTTLWord = UInt16(ttl) << 8 | (oldTTLWord & 0x00ff)
        var ipSum = UInt32(~Wire.u16(ip, 10))
        replace32(&ipSum, oldSource, source.rawValue)
        replace32(&ipSum, oldDestination, destination.rawValue)
        replace16(&ipSum, oldTTLWord, newTTLWord)
        Wire.store16(fold(ipSum), ip, 10)
        var tcpSum = UInt32(~Wire.u16(tcp, 16))
        replace32(&tcpSum, oldSource, source.rawValue)
        replace32(&tcpSum, oldDestination, destination.rawValue)
        replace16(&tcpSum, oldPort, sourcePort)
        Wire.store16(fold(tcpSum), tcp, 16)
        Wire.store16(newTTLWord, ip, 8)
        source.write(to: ip + 12)
        destination.write(to: ip + 16)
        Wire.store16(sourcePort, tcp, 0)
    }

    /// The TCP source port of the frame's segment (`l4`: the TCP header's offset).
    @inlinable @inline(__always)
    public static func tcpSourcePort(_ frame: UnsafeRawPointer, l4: Int) -> UInt16 { Wire.u16(frame, l4) }

    /// The TCP destination port.
    @inlinable @inline(__always)
    public static func tcpDestinationPort(_ frame: UnsafeRawPointer, l4: Int) -> UInt16 { Wire.u16(frame, l4 + 2) }

    /// The TCP control bits.
    @inlinable @inline(__always)
    public static func tcpFlags(_ frame: UnsafeRawPointer, l4: Int) -> TCPFlags {
        TCPFlags(rawValue: Wire.u8(frame, l4 + 13))
    }

    /// The IPv4 source and destination addresses (`l3`: the IPv4 header's offset).
    @inlinable @inline(__always)
    public static func ipv4Source(_ frame: UnsafeRawPointer, l3: Int) -> IPv4Address { IPv4Address(frame + l3 + 12) }

    @inlinable @inline(__always)
    public static func ipv4Destination(_ frame: UnsafeRawPointer, l3: Int) -> IPv4Address {
        IPv4Address(frame + l3 + 16)
    }

    /// Adds the replacement of the 16-bit word `old` by `new` to a one's-complement sum (`~HC` to start).
    @inlinable @inline(__always)
    static func replace16(_ sum: inout UInt32, _ old: UInt16, _ new: UInt16) {
        sum &+= UInt32(~old) &+ UInt32(new)
    }

    @inlinable @inline(__always)
    static func replace32(_ sum: inout UInt32, _ old: UInt32, _ new: UInt32) {
        replace16(&sum, UInt16(truncatingIfNeeded: old >> 16), UInt16(truncatingIfNeeded: new >> 16))
        replace16(&sum, UInt16(truncatingIfNeeded: old), UInt16(truncatingIfNeeded: new))
    }

    /// The checksum field for a sum: folded to 16 bits and complemented.
    @inlinable @inline(__always)
    static func fold(_ sum: UInt32) -> UInt16 {
        var s = (sum & 0xffff) &+ (sum >> 16)
        s = (s & 0xffff) &+ (s >> 16)
        return ~UInt16(truncatingIfNeeded: s)
    }
}
