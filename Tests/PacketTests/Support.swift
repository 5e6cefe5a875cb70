import Packet

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Memory with an inaccessible (PROT_NONE) page on each side of the usable region. Bytes copied flush
/// against the back guard make any read past `data[length - 1]` crash the test process instead of passing
/// silently; bytes copied flush against the front guard do the same for reads before `data[0]`. The start
/// of the data is deliberately unaligned (any address), which also exercises the unaligned loads.
final class GuardedBuffer {
    let pageSize: Int
    let capacity: Int
    private let base: UnsafeMutableRawPointer
    private let usable: UnsafeMutableRawPointer

    init(capacity: Int = 1 << 17) {
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        self.capacity = (capacity + pageSize - 1) / pageSize * pageSize
        let total = self.capacity + 2 * pageSize
        guard let mapping = mmap(nil, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapping != MAP_FAILED
        else { fatalError("mmap failed") }
        base = mapping
        usable = mapping + pageSize
        guard mprotect(usable, self.capacity, PROT_READ | PROT_WRITE) == 0 else { fatalError("mprotect failed") }
    }

    deinit { munmap(base, capacity + 2 * pageSize) }

    /// Copies `bytes[0 ..< count]` so they end at the back guard page and calls `body` with them.
    func atEnd<R>(_ bytes: UnsafeRawBufferPointer, count: Int, _ body: (UnsafeRawPointer, Int) -> R) -> R {
        precondition(count <= capacity && count <= bytes.count)
        let start = usable + (capacity - count)
        if count > 0 { start.copyMemory(from: bytes.baseAddress!, byteCount: count) }
        return body(UnsafeRawPointer(start), count)
    }

    /// Copies `bytes[0 ..< count]` so they start right after the front guard page and calls `body`.
    func atStart<R>(_ bytes: UnsafeRawBufferPointer, count: Int, _ body: (UnsafeRawPointer, Int) -> R) -> R {
        precondition(count <= capacity && count <= bytes.count)
        if count > 0 { usable.copyMemory(from: bytes.baseAddress!, byteCount: count) }
        return body(UnsafeRawPointer(usable), count)
    }
}

/// A recognisable value that a failed parse must leave alone.
let sentinelHeaders = PacketHeaders(
    etherType: 0xdead, vlanTCI: 0xbeef, flags: HeaderFlags(rawValue: 0xffff), l3Offset: 0xaaaa,
    l4Offset: 0xbbbb, payloadOffset: 0xcccc, l3End: 0xdddd, l4Protocol: 0xee)

/// Parses `frame[0 ..< count]` placed against the back guard page.
func parseGuarded(_ frame: [UInt8], count: Int? = nil, buffer: GuardedBuffer) -> (PacketHeaders, ParseError?) {
    frame.withUnsafeBytes { raw in
        buffer.atEnd(raw, count: count ?? frame.count) { data, length in
            var headers = sentinelHeaders
            let error = PacketParser.parse(data, length: length, into: &headers)
            return (headers, error)
        }
    }
}

/// Parses `frame` placed against the back guard page as the first segment of a `frameLength`-byte frame
/// (default: the frame itself) received on a port with MTU `mtu`.
func parseGuarded(
    _ frame: [UInt8], frameLength: Int? = nil, mtu: Int, buffer: GuardedBuffer
) -> (PacketHeaders, ParseError?) {
    frame.withUnsafeBytes { raw in
        buffer.atEnd(raw, count: frame.count) { data, length in
            var headers = sentinelHeaders
            let error = PacketParser.parse(
                data, length: length, frameLength: frameLength ?? length, mtu: mtu, into: &headers)
            return (headers, error)
        }
    }
}

/// Every structural promise `PacketHeaders` makes after a successful parse of `length` bytes; nil when all
/// hold, else the first broken one.
func brokenInvariant(_ h: PacketHeaders, length: Int) -> String? {
    let f = h.flags
    let l3 = Int(h.l3Offset)
    let l4 = Int(h.l4Offset)
    let payload = Int(h.payloadOffset)
    let end = Int(h.l3End)
    if f.rawValue & 0xc000 != 0 { return "unknown flag bits" }
    if f.contains(.dhcpClient) && (!f.contains(.udp) || !f.contains(.ipv4) || f.contains(.ipFragment)) {
        return "dhcpClient without unfragmented IPv4 UDP"
    }
    if l3 != (f.contains(.vlanTagged) ? 18 : 14) { return "l3Offset \(l3) does not match the tag" }
    if !f.contains(.vlanTagged) && h.vlanTCI != 0 { return "TCI without a tag" }
    if f.contains(.broadcastDestination) && !f.contains(.multicastDestination) { return "broadcast not multicast" }
    if !(l3 <= payload && payload <= end && end <= length) { return "offsets out of order or past the frame" }
    let l3Kinds = [f.contains(.arp), f.contains(.ipv4), f.contains(.ipv6)].filter { $0 }.count
    if l3Kinds > 1 { return "several L3 kinds" }
    if f.contains(.arp) != (h.etherType == 0x0806) { return "arp flag vs EtherType" }
    if f.contains(.ipv4) != (h.etherType == 0x0800) { return "ipv4 flag vs EtherType" }
    if f.contains(.ipv6) != (h.etherType == 0x86dd) { return "ipv6 flag vs EtherType" }
    let l4Kinds = [f.contains(.tcp), f.contains(.udp), f.contains(.icmp), f.contains(.icmpv6)].filter { $0 }.count
    if l4Kinds > 1 { return "several L4 kinds" }
    if (l4Kinds == 1) != (l4 != 0) { return "l4Offset vs L4 flags" }
    if l4 != 0 && !(l3 + 20 <= l4 && l4 < payload) { return "l4Offset out of place" }
    if f.contains(.tcp) && (h.l4Protocol != 6 || (payload - l4) % 4 != 0 || !(20...60).contains(payload - l4)) {
        return "tcp header length"
    }
    if f.contains(.udp) && (h.l4Protocol != 17 || payload - l4 != (f.contains(.vxlan) ? 16 : 8)) { return "udp" }
    if f.contains(.icmp) && (h.l4Protocol != 1 || !f.contains(.ipv4) || payload - l4 != 8) { return "icmp" }
    if f.contains(.icmpv6) && (h.l4Protocol != 58 || !f.contains(.ipv6) || payload - l4 != 8) { return "icmpv6" }
    if f.contains(.vxlan) && (!f.contains(.udp) || f.contains(.ipFragment) || end - payload < 14) { return "vxlan" }
    if f.contains(.ipv4Options) && !f.contains(.ipv4) { return "options without IPv4" }
    if f.contains(.ipFragment) && !(f.contains(.ipv4) || f.contains(.ipv6)) { return "fragment without IP" }
    let ipPayload = l4 != 0 ? l4 : payload  // where the IP payload starts, after options/extension headers
    if f.contains(.ipv4) && !(l3 + 20 <= ipPayload && ipPayload <= l3 + 60) { return "IPv4 header length" }
    if f.contains(.ipv6) && ipPayload < l3 + 40 { return "IPv6 header length" }
    if f.contains(.arp) && !(payload == l3 + 28 && end == payload && l4 == 0 && h.l4Protocol == 0) { return "arp" }
    if l3Kinds == 0 && !(payload == l3 && end == length && l4 == 0 && h.l4Protocol == 0) { return "non-IP" }
    return nil
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough to drive a fuzzer reproducibly.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in 0 ..< bound (bound > 0; the modulo bias is irrelevant here).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}
