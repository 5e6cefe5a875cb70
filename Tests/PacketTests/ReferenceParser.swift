import Packet

// An independent parser for differential testing, written from the specification (docs/packet-parsing.md)
// in a deliberately different style from PacketParser: Array<UInt8> with bounds-checked subscripts, a
// `Window` per layer that traps on any read outside that layer's bytes, typed throws, recursion over the IPv6
// extension headers, Int arithmetic throughout, and results kept as plain Ints and Bools until the very end.
// It shares no code with the module beyond the result type it converts to for comparison.

/// The reference's error kinds, named as the counters are (must equal `ParseError.name`).
enum RefError: String, Error, Equatable {
    case truncatedEthernet = "truncated-ethernet"
    case truncatedVLAN = "truncated-vlan"
    case stackedVLAN = "stacked-vlan"
    case truncatedARP = "truncated-arp"
    case badARP = "bad-arp"
    case truncatedIPv4 = "truncated-ipv4"
    case badIPv4Version = "bad-ipv4-version"
    case badIPv4HeaderLength = "bad-ipv4-header-length"
    case badIPv4TotalLength = "bad-ipv4-total-length"
    case truncatedIPv6 = "truncated-ipv6"
    case badIPv6Version = "bad-ipv6-version"
    case badIPv6PayloadLength = "bad-ipv6-payload-length"
    case badIPv6ExtensionHeader = "bad-ipv6-extension-header"
    case truncatedTCP = "truncated-tcp"
    case badTCPDataOffset = "bad-tcp-data-offset"
    case truncatedUDP = "truncated-udp"
    case badUDPLength = "bad-udp-length"
    case truncatedICMP = "truncated-icmp"
    case truncatedVXLAN = "truncated-vxlan"
    case frameTooLong = "frame-too-long"
    case groupSourceMAC = "group-source-mac"
    case exceedsMTU = "exceeds-mtu"
}

/// Bytes `lower ..< upper` of a frame. Reading index `i` means frame byte `lower + i`; anything outside the
/// window is a bug in the reference and stops the test process.
struct Window {
    let bytes: [UInt8]
    let lower: Int
    let upper: Int

    var count: Int { upper - lower }

    func byte(_ i: Int) -> Int {
        precondition(i >= 0 && i < count, "reference read \(i) outside a window of \(count)")
        return Int(bytes[lower + i])
    }

    func word(_ i: Int) -> Int { byte(i) << 8 | byte(i + 1) }

    /// The window from `start` (relative) to `end` (relative, default: this window's end).
    func slice(from start: Int, to end: Int? = nil) -> Window {
        let stop = end ?? count
        precondition(start >= 0 && start <= stop && stop <= count)
        return Window(bytes: bytes, lower: lower + start, upper: lower + stop)
    }
}

enum ReferenceParser {
    /// What was found, as plain values.
    struct Found {
        var etherType = 0, tci = 0, l3 = 0, l4 = 0, payload = 0, end = 0, proto = 0
        var tagged = false, broadcast = false, multicast = false, arp = false, ipv4 = false, ipv6 = false
        var tcp = false, udp = false, icmp = false, icmpv6 = false, vxlan = false, fragment = false, options = false
        var dhcpClient = false

        var headers: PacketHeaders {
            var flags: HeaderFlags = []
            let table: [(Bool, HeaderFlags)] = [
                (tagged, .vlanTagged), (broadcast, .broadcastDestination), (multicast, .multicastDestination),
                (arp, .arp), (ipv4, .ipv4), (ipv6, .ipv6), (tcp, .tcp), (udp, .udp), (icmp, .icmp),
                (icmpv6, .icmpv6), (vxlan, .vxlan), (fragment, .ipFragment), (options, .ipv4Options),
                (dhcpClient, .dhcpClient),
            ]
            for (present, flag) in table where present { flags.insert(flag) }
            return PacketHeaders(
                etherType: UInt16(etherType), vlanTCI: UInt16(tci), flags: flags, l3Offset: UInt16(l3),
                l4Offset: UInt16(l4), payloadOffset: UInt16(payload), l3End: UInt16(end), l4Protocol: UInt8(proto))
        }
    }

    /// `frameLength`: the whole frame's length when `frame` is only its first segment; `mtu`: the ingress
    /// port's, by default none.
    static func parse(_ frame: [UInt8], frameLength: Int? = nil, mtu: Int = 65535) -> Result<PacketHeaders, RefError> {
        do throws(RefError) {
            return .success(try parseFrame(frame, frameLength: frameLength ?? frame.count, mtu: mtu).headers)
        } catch {
            return .failure(error)
        }
    }

    static func parseFrame(_ bytes: [UInt8], frameLength: Int, mtu: Int) throws(RefError) -> Found {
        let frame = Window(bytes: bytes, lower: 0, upper: bytes.count)
        if frame.count < 14 { throw .truncatedEthernet }
        if frame.count > 65535 { throw .frameTooLong }
        // The source address's first byte: its lowest bit is the I/G (group) bit.
        if frame.byte(6) % 2 == 1 { throw .groupSourceMAC }
        var found = Found()
        found.multicast = frame.byte(0) & 1 == 1
        found.broadcast = (0..<6).allSatisfy { frame.byte($0) == 0xff }

        let tagTypes = [0x8100, 0x88a8, 0x9100]
        var type = frame.word(12)
        if type == 0x88a8 || type == 0x9100 { throw .stackedVLAN }
        found.l3 = 14
        if type == 0x8100 {
            if frame.count < 18 { throw .truncatedVLAN }
            found.tagged = true
            found.tci = frame.word(14)
            type = frame.word(16)
            found.l3 = 18
            if tagTypes.contains(type) { throw .stackedVLAN }
        }
        if frameLength - found.l3 > mtu { throw .exceedsMTU }
        found.etherType = type
        found.payload = found.l3
        found.end = frame.count

        let network = frame.slice(from: found.l3)
        if type == 0x0806 {
            try arp(network, &found)
        } else if type == 0x0800 {
            try ipv4(network, &found)
        } else if type == 0x86dd {
            try ipv6(network, &found)
        }
        return found
    }

    static func arp(_ w: Window, _ found: inout Found) throws(RefError) {
        if w.count < 28 { throw .truncatedARP }
        let ethernetIPv4 = w.word(0) == 1 && w.word(2) == 0x0800 && w.byte(4) == 6 && w.byte(5) == 4
        if !ethernetIPv4 { throw .badARP }
        found.arp = true
        found.payload = found.l3 + 28
        found.end = found.l3 + 28
    }

    static func ipv4(_ w: Window, _ found: inout Found) throws(RefError) {
        if w.count < 20 { throw .truncatedIPv4 }
        if w.byte(0) / 16 != 4 { throw .badIPv4Version }
        let headerBytes = (w.byte(0) % 16) * 4
        if headerBytes < 20 || headerBytes > w.count { throw .badIPv4HeaderLength }
        let total = w.word(2)
        if total < headerBytes || total > w.count { throw .badIPv4TotalLength }

        found.ipv4 = true
        found.options = headerBytes > 20
        found.proto = w.byte(9)
        found.end = found.l3 + total
        found.payload = found.l3 + headerBytes
        let moreFragments = (w.word(6) >> 13) & 1 == 1
        let offsetUnits = w.word(6) % 8192
        found.fragment = moreFragments || offsetUnits > 0
        if offsetUnits > 0 { return }
        try transport(
            found.proto, w.slice(from: headerBytes, to: total), at: found.l3 + headerBytes, partial: moreFragments,
            version: 4, &found)
    }

    static func ipv6(_ w: Window, _ found: inout Found) throws(RefError) {
        if w.count < 40 { throw .truncatedIPv6 }
        if w.byte(0) >> 4 != 6 { throw .badIPv6Version }
        let payloadLength = w.word(4)
        if 40 + payloadLength > w.count { throw .badIPv6PayloadLength }
        found.ipv6 = true
        found.end = found.l3 + 40 + payloadLength
        try chain(w.byte(6), w.slice(from: 40, to: 40 + payloadLength), at: found.l3 + 40, seen: 0, &found)
    }

    /// One step of the extension-header chain: `next` describes what starts at `w` (frame offset `at`).
    static func chain(_ next: Int, _ w: Window, at: Int, seen: Int, _ found: inout Found) throws(RefError) {
        switch next {
        case 0, 43, 60:
            if seen == 8 || w.count < 2 { throw .badIPv6ExtensionHeader }
            let size = 8 + 8 * w.byte(1)
            if size > w.count { throw .badIPv6ExtensionHeader }
            try chain(w.byte(0), w.slice(from: size), at: at + size, seen: seen + 1, &found)
        case 44:
            if seen == 8 || w.count < 8 { throw .badIPv6ExtensionHeader }
            found.fragment = true
            if w.word(2) >> 3 != 0 {
                found.proto = w.byte(0)
                found.payload = at + 8
                return
            }
            try chain(w.byte(0), w.slice(from: 8), at: at + 8, seen: seen + 1, &found)
        default:
            found.proto = next
            found.payload = at
            try transport(next, w, at: at, partial: found.fragment, version: 6, &found)
        }
    }

    /// The L4 header at frame offset `at`; `w` is the rest of the IP payload. `partial`: a fragment.
    static func transport(
        _ proto: Int, _ w: Window, at: Int, partial: Bool, version: Int, _ found: inout Found
    ) throws(RefError) {
        if proto == 6 {
            if w.count < 20 { throw .truncatedTCP }
            let headerBytes = (w.byte(12) >> 4) * 4
            if headerBytes < 20 || headerBytes > w.count { throw .badTCPDataOffset }
            found.tcp = true
            found.l4 = at
            found.payload = at + headerBytes
        } else if proto == 17 {
            if w.count < 8 { throw .truncatedUDP }
            let length = w.word(4)
            if length < 8 { throw .badUDPLength }
            if !partial && length > w.count { throw .badUDPLength }
            found.udp = true
            found.l4 = at
            found.payload = at + 8
            found.dhcpClient = !partial && version == 4 && w.word(0) == 68 && w.word(2) == 67
            if !partial && w.word(2) == 4789 {
                if length - 8 < 8 + 14 { throw .truncatedVXLAN }
                if w.byte(8) & 0x08 != 0 {
                    found.vxlan = true
                    found.payload = at + 16
                }
            }
        } else if (proto == 1 && version == 4) || (proto == 58 && version == 6) {
            if w.count < 8 { throw .truncatedICMP }
            if version == 4 { found.icmp = true } else { found.icmpv6 = true }
            found.l4 = at
            found.payload = at + 8
        }
    }
}
