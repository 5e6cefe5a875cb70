/// Frames a switch answers or sends on its own behalf on an underlay or service port: ARP for an address it
/// owns (a VXLAN VTEP, the metadata intercept), ICMP echo to it, and the ARP request that resolves a next
/// hop. For control-thread punt handlers (docs/architecture.md, "Punt handlers"): replies are built in the
/// request's own buffer, so no allocation is needed.
///
/// `l3` is the offset of the ARP or IPv4 header (14, or 18 behind an 802.1Q tag, which replies keep).
public enum LocalReplies {
    public static let ethertypeARP: UInt16 = 0x0806
    /// The shortest Ethernet frame without its FCS: requests are padded to it.
    public static let minimumFrame = 60

    /// What an ARP packet says about its sender, for the neighbour cache: requests and replies both carry
    /// the sender's binding. Nil for anything but a well-formed Ethernet/IPv4 ARP request or reply.
    public static func arpSender(
        _ frame: UnsafeRawPointer, length: Int, l3: Int
    ) -> (opcode: UInt16, address: IPv4Address, mac: EthernetAddress, target: IPv4Address)? {
        guard isARP(frame, length: length, l3: l3) else { return nil }
        let arp = ARPHeader(frame + l3)
        guard arp.opcode == 1 || arp.opcode == 2 else { return nil }
        return (arp.opcode, arp.senderProtocolAddress, arp.senderHardwareAddress, arp.targetProtocolAddress)
    }

    /// Turns an ARP request for `address` into the reply from `mac`, in place; false (nothing changed) for
    /// anything else.
    public static func answerARP(
        _ frame: UnsafeMutableRawPointer, length: Int, l3: Int, mac: EthernetAddress, address: IPv4Address
    ) -> Bool {
        guard isARP(frame, length: length, l3: l3) else { return false }
        let arp = ARPHeader(frame + l3)
        guard arp.opcode == 1, arp.targetProtocolAddress == address else { return false }
        let requester = arp.senderHardwareAddress
        let requesterAddress = arp.senderProtocolAddress
        requester.write(to: frame)
        mac.write(to: frame + 6)
        let body = frame + l3
        Wire.store16(2, body, 6)
        mac.write(to: body + 8)
        address.write(to: body + 14)
        requester.write(to: body + 18)
        requesterAddress.write(to: body + 24)
        return true
    }

    /// Writes a broadcast ARP request from `mac`/`address` for `target` at `frame` (room for
    /// `minimumFrame` bytes), tagged with `vlan` unless it is 0; returns its length (padded to 60).
    public static func writeARPRequest(
        _ frame: UnsafeMutableRawPointer, mac: EthernetAddress, address: IPv4Address, target: IPv4Address,
        vlan: UInt16
    ) -> Int {
        frame.initializeMemory(as: UInt8.self, repeating: 0, count: minimumFrame)
        EthernetAddress.broadcast.write(to: frame + 0)
        mac.write(to: frame + 6)
        var l3 = 14
        if vlan != 0 {
            Wire.store16(0x8100, frame, 12)
            Wire.store16(vlan & 0x0fff, frame, 14)
            l3 = 18
        }
        Wire.store16(ethertypeARP, frame, l3 - 2)
        let body = frame + l3
        Wire.store32(0x0001_0800, body, 0)  // Ethernet, IPv4
        Wire.store32(0x0604_0001, body, 4)  // lengths 6 and 4, request
        mac.write(to: body + 8)
        address.write(to: body + 14)
        // Target hardware address: zero (already).
        target.write(to: body + 24)
        return minimumFrame
    }

    /// Turns an ICMP echo request to `address` into the echo reply from `mac`, in place: addresses swapped,
    /// TTL 64, IPv4 and ICMP checksums updated. False (nothing changed) for anything else, including
    /// fragments and lengths that disagree with the frame.
    public static func answerEcho(
        _ frame: UnsafeMutableRawPointer, length: Int, l3: Int, mac: EthernetAddress, address: IPv4Address
    ) -> Bool {
        guard length >= l3 + 20, Wire.u16(frame, l3 - 2) == 0x0800 else { return false }
        let ip = frame + l3
        let headerLength = Int(Wire.u8(ip, 0) & 0x0f) * 4
        let totalLength = Int(Wire.u16(ip, 2))
        guard Wire.u8(ip, 0) >> 4 == 4, headerLength >= 20, Wire.u8(ip, 9) == 1,
            Wire.u16(ip, 6) & 0x3fff == 0, IPv4Address(ip + 16) == address,
            totalLength >= headerLength + 8, l3 + totalLength <= length
        else { return false }
        let icmp = ip + headerLength
        guard Wire.u8(icmp, 0) == 8, Wire.u8(icmp, 1) == 0 else { return false }
        let requester = EthernetAddress(UnsafeRawPointer(frame + 6))
        requester.write(to: frame)
        mac.write(to: frame + 6)
        let source = IPv4Address(UnsafeRawPointer(ip + 12))
        address.write(to: ip + 12)
        source.write(to: ip + 16)
        Wire.store16(UInt16(64) << 8 | 1, ip, 8)  // TTL 64, ICMP
        Wire.store16(0, ip, 10)
        Wire.store16(headerChecksum(ip, length: headerLength), ip, 10)
        // Type 8 → 0: RFC 1624's incremental update, HC' = ~(~HC + ~m + m') with m = 0x0800, m' = 0.
        Wire.store16(0, icmp, 0)  // echo reply, code 0
        var sum = UInt32(~Wire.u16(icmp, 2)) &+ UInt32(~UInt16(0x0800))
        sum = (sum & 0xffff) &+ (sum >> 16)
        sum = (sum & 0xffff) &+ (sum >> 16)
        Wire.store16(~UInt16(truncatingIfNeeded: sum), icmp, 2)
        return true
    }

    /// The one's-complement checksum of an IPv4 header whose checksum field is zero (also the VXLAN outer
    /// header's, on the fast path).
    @inlinable
    public static func headerChecksum(_ header: UnsafeRawPointer, length: Int) -> UInt16 {
        var sum: UInt32 = 0
        for i in stride(from: 0, to: length, by: 2) { sum &+= UInt32(Wire.u16(header, i)) }
        while sum > 0xffff { sum = (sum & 0xffff) &+ (sum >> 16) }
        return ~UInt16(truncatingIfNeeded: sum)
    }

    private static func isARP(_ frame: UnsafeRawPointer, length: Int, l3: Int) -> Bool {
        guard l3 >= 14, length >= l3 + 28, Wire.u16(frame, l3 - 2) == ethertypeARP else { return false }
        let arp = ARPHeader(frame + l3)
        return arp.hardwareType == 1 && arp.protocolType == 0x0800 && arp.hardwareLength == 6
            && arp.protocolLength == 4
    }
}
