import Testing

@testable import Packet

/// VXLAN on the wire: the outer headers written byte for byte, the decap classification and every reason it
/// refuses a frame, the entropy source port, and random corruption (no read outside the frame).
@Suite struct VXLANFrameTests {
    static let local = IPv4Address(192, 0, 2, 1)
    static let remote = IPv4Address(192, 0, 2, 2)

    static let header = VXLANEncapHeader(
        destinationMAC: EthernetAddress(rawValue: 0x0200_0000_0002),
        sourceMAC: EthernetAddress(rawValue: 0x0200_0000_0001),
        underlayVLAN: 0, source: local, destination: remote, ttl: 64, vni: 1000)

    /// An inner IPv4/UDP frame of 64 bytes: 52:54:00:00:00:0b → 52:54:00:00:00:0a, 10.0.0.1:1000 → 10.0.0.2:2000.
    static func inner(sourcePort: UInt16 = 1000, length: Int = 64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        bytes[0..<6] = [0x52, 0x54, 0, 0, 0, 0x0a]
        bytes[6..<12] = [0x52, 0x54, 0, 0, 0, 0x0b]
        bytes[12..<14] = [0x08, 0x00]
        bytes[14] = 0x45
        let total = UInt16(length - 14)
        bytes[16] = UInt8(total >> 8)
        bytes[17] = UInt8(total & 0xff)
        bytes[22] = 64
        bytes[23] = 17
        bytes[26..<34] = [10, 0, 0, 1, 10, 0, 0, 2]
        bytes[34] = UInt8(sourcePort >> 8)
        bytes[35] = UInt8(sourcePort & 0xff)
        bytes[36..<38] = [0x07, 0xd0]
        return bytes
    }

    /// `header`'s outer headers followed by `inner`.
    static func encapsulated(_ inner: [UInt8], header: VXLANEncapHeader = header, sourcePort: UInt16 = 0xc123)
        -> [UInt8]
    {
        var frame = [UInt8](repeating: 0xee, count: header.length + inner.count)
        frame.withUnsafeMutableBytes { raw in
            VXLANEncap.write(header, at: raw.baseAddress!, innerLength: inner.count, sourcePort: sourcePort)
        }
        frame.replaceSubrange(header.length..., with: inner)
        return frame
    }

    static func classify(_ frame: [UInt8], underlayVLAN: UInt16 = 0) -> VXLANDecapClass {
        frame.withUnsafeBytes {
            VXLANDecap.classify($0.baseAddress!, length: $0.count, local: local, underlayVLAN: underlayVLAN)
        }
    }

    @Test func outerHeadersByteForByte() {
        let frame = Self.encapsulated(Self.inner())
        let expected: [UInt8] =
            [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]  // Ethernet
            + [0x45, 0x00, 0x00, 0x64, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11]  // IPv4: length 100, DF, TTL 64, UDP
            + [0xb6, 0x85]  // header checksum
            + [192, 0, 2, 1, 192, 0, 2, 2]
            + [0xc1, 0x23, 0x12, 0xb5, 0x00, 0x50, 0x00, 0x00]  // UDP: 0xc123 → 4789, length 80, checksum 0
            + [0x08, 0, 0, 0, 0x00, 0x03, 0xe8, 0x00]  // VXLAN: I flag, VNI 1000
        #expect(Array(frame[0..<50]) == expected)
        #expect(Array(frame[50...]) == Self.inner())
        // The checksum verifies: the one's-complement sum over the header is all ones.
        #expect(Build.checksum(Array(frame[14..<34])) == 0)
    }

    @Test func underlayTagAndTTL() {
        var header = Self.header
        header.underlayVLAN = 20
        header.ttl = 7
        header.source = Self.remote
        header.destination = Self.local
        let frame = Self.encapsulated(Self.inner(), header: header)
        #expect(frame.count == 54 + 64)
        #expect(Array(frame[12..<18]) == [0x81, 0x00, 0x00, 20, 0x08, 0x00])
        #expect(frame[18 + 8] == 7)
        #expect(Self.classify(frame, underlayVLAN: 20) == .tunnel(vni: 1000, innerOffset: 54, source: Self.remote))
        // A tagged frame is not the tunnel's on an untagged underlay, nor on another VLAN.
        #expect(Self.classify(frame) == .notTunnel)
        #expect(Self.classify(frame, underlayVLAN: 21) == .notTunnel)
    }

    @Test func decapsulatesWhatEncapsulationWrote() {
        var header = Self.header
        header.source = Self.remote
        header.destination = Self.local
        header.vni = 0xab_cdef
        let frame = Self.encapsulated(Self.inner(), header: header)
        #expect(Self.classify(frame) == .tunnel(vni: 0xab_cdef, innerOffset: 50, source: Self.remote))
        // Ethernet padding after the IP packet is fine.
        #expect(Self.classify(frame + [0, 0, 0, 0]) == .tunnel(vni: 0xab_cdef, innerOffset: 50, source: Self.remote))
        // A non-zero UDP checksum is accepted (not verified).
        var checksummed = frame
        checksummed[40] = 0x12
        #expect(Self.classify(checksummed) == .tunnel(vni: 0xab_cdef, innerOffset: 50, source: Self.remote))
    }

    /// A frame from the remote VTEP to the local one, with `edit` applied.
    static func toLocal(_ edit: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var header = header
        header.source = remote
        header.destination = local
        var frame = encapsulated(inner(), header: header)
        edit(&frame)
        return frame
    }

    @Test func decapReasons() {
        let cases: [(String, (inout [UInt8]) -> Void, VXLANDecapClass)] = [
            ("I flag clear", { $0[42] = 0x00 }, .drop(.flagIClear)),
            (
                "inner 802.1Q tag",
                {
                    $0[62] = 0x81
                    $0[63] = 0x00
                }, .drop(.innerVLANTag)
            ),
            (
                "inner 802.1ad tag",
                {
                    $0[62] = 0x88
                    $0[63] = 0xa8
                }, .drop(.innerVLANTag)
            ),
            ("MF set", { $0[20] = 0x20 }, .drop(.outerFragment)),
            ("a fragment offset", { $0[21] = 0x01 }, .drop(.outerFragment)),
            ("IHL below 5", { $0[14] = 0x44 }, .drop(.badOuterLength)),
            (
                "total length past the frame",
                {
                    $0[16] = 0
                    $0[17] = 101
                }, .drop(.badOuterLength)
            ),
            ("UDP length wrong", { $0[39] = 0x51 }, .drop(.badOuterLength)),
            (
                "no inner Ethernet header",
                {
                    $0.removeLast(64 - 13)
                    $0[16] = 0
                    $0[17] = 20 + 8 + 8 + 13
                    $0[38] = 0
                    $0[39] = 8 + 8 + 13
                }, .drop(.truncatedInner)
            ),
            ("cut inside the VXLAN header", { $0.removeLast(64 + 4) }, .drop(.truncatedOuter)),
            ("another UDP port", { $0[37] = 0xb6 }, .notTunnel),
            ("another destination", { $0[33] = 9 }, .notTunnel),
            ("TCP", { $0[23] = 6 }, .notTunnel),
            (
                "ARP",
                {
                    $0[12] = 0x08
                    $0[13] = 0x06
                }, .notTunnel
            ),
            ("cut inside the IPv4 header", { $0.removeLast($0.count - 30) }, .notTunnel),
        ]
        for (name, edit, expected) in cases {
            #expect(Self.classify(Self.toLocal(edit)) == expected, "\(name)")
        }
        // Every problem has a case above.
        let covered = Set(cases.compactMap { if case .drop(let p) = $0.2 { p } else { nil } })
        #expect(covered == Set(VXLANDecapProblem.allCases))
    }

    @Test func sourcePortIsStablePerFlowAndSpreadsFlows() {
        func port(_ bytes: [UInt8]) -> UInt16 {
            bytes.withUnsafeBytes { VXLANEncap.sourcePort(inner: $0.baseAddress!, length: $0.count) }
        }
        let first = port(Self.inner(sourcePort: 1000))
        #expect(first == port(Self.inner(sourcePort: 1000, length: 200)))  // same flow, other size
        var ports: Set<UInt16> = []
        for flow: UInt16 in 1000..<1256 {
            let p = port(Self.inner(sourcePort: flow))
            #expect(p >= 49152)
            ports.insert(p)
        }
        #expect(ports.count > 240, "\(ports.count) distinct ports for 256 flows")
        // Frames without IPv4 hash their MACs and ethertype; tiny frames still get a port in range.
        var arp = Self.inner()
        arp[12..<14] = [0x08, 0x06]
        #expect(port(arp) >= 49152)
        #expect(port([1, 2, 3]) >= 49152)
    }

    /// Random corruption of valid tunnel frames, each placed flush against a guard page: classification never
    /// reads outside the frame, and a frame it decapsulates has a whole inner Ethernet header.
    @Test func randomCorruption() {
        var rng = SystemRandomNumberGenerator()
        let buffer = GuardedBuffer()
        var tunnels = 0
        var drops = 0
        for _ in 0..<20_000 {
            var frame = Self.toLocal()
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0..<frame.count, using: &rng)
                // Favour the outer headers.
                frame[index < 64 ? index : Int.random(in: 0..<64, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            let length = Bool.random(using: &rng) ? frame.count : Int.random(in: 0...frame.count, using: &rng)
            let result = frame.withUnsafeBytes { raw in
                buffer.atEnd(raw, count: length) { pointer, count in
                    VXLANDecap.classify(pointer, length: count, local: Self.local, underlayVLAN: 0)
                }
            }
            switch result {
            case .tunnel(_, let offset, _):
                tunnels += 1
                #expect(offset + 14 <= length)
            case .drop: drops += 1
            case .notTunnel: break
            }
        }
        #expect(tunnels > 0 && drops > 0)
    }
}
