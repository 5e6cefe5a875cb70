import Testing

@testable import Packet

/// The prebuilt outer headers: what a template writes is byte for byte what `VXLANEncap.write` writes (the
/// golden headers of `VXLANFrameTests`), for every inner length, source port, VNI, underlay tag and TTL.
@Suite struct VXLANEncapTemplateTests {
    /// `header` written by a template at the front of a buffer of `0xee`s (what lies in an mbuf's headroom),
    /// and the same written by `VXLANEncap.write`.
    static func both(_ header: VXLANEncapHeader, innerLength: Int, sourcePort: UInt16) -> ([UInt8], [UInt8]) {
        let template = UnsafeMutableRawPointer.allocate(byteCount: VXLANEncapTemplate.stride, alignment: 64)
        defer { template.deallocate() }
        // Whatever the memory held before: build sets every byte it uses.
        template.initializeMemory(as: UInt8.self, repeating: 0x5a, count: VXLANEncapTemplate.stride)
        var built = header
        built.vni = 0x77_7777  // not the packet's: apply writes the VNI it is given
        VXLANEncapTemplate.build(built, at: template)
        #expect(VXLANEncapTemplate.length(of: template) == header.length)
        var fromTemplate = [UInt8](repeating: 0xee, count: 64)
        fromTemplate.withUnsafeMutableBytes {
            VXLANEncapTemplate.apply(
                template, at: $0.baseAddress!, innerLength: innerLength, sourcePort: sourcePort, vni: header.vni)
        }
        var written = [UInt8](repeating: 0xee, count: 64)
        written.withUnsafeMutableBytes {
            VXLANEncap.write(header, at: $0.baseAddress!, innerLength: innerLength, sourcePort: sourcePort)
        }
        return (fromTemplate, written)
    }

    @Test func writesWhatWriteWrites() {
        let (fromTemplate, written) = Self.both(VXLANFrameTests.header, innerLength: 64, sourcePort: 0xc123)
        #expect(fromTemplate == written)
        // The golden bytes of VXLANFrameTests.outerHeadersByteForByte, and nothing past the 50 bytes.
        #expect(
            Array(fromTemplate[14..<26]) == [0x45, 0x00, 0x00, 0x64, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb6, 0x85])
        #expect(fromTemplate[50...].allSatisfy { $0 == 0xee })
    }

    @Test func everyLengthPortVNIAndTag() {
        var rng = SystemRandomNumberGenerator()
        var checked = 0
        for underlayVLAN: UInt16 in [0, 1, 20, 4094] {
            for _ in 0..<500 {
                let header = VXLANEncapHeader(
                    destinationMAC: EthernetAddress(rawValue: UInt64.random(in: 0...0xffff_ffff_ffff, using: &rng)),
                    sourceMAC: EthernetAddress(rawValue: UInt64.random(in: 0...0xffff_ffff_ffff, using: &rng)),
                    underlayVLAN: underlayVLAN,
                    source: IPv4Address(rawValue: UInt32.random(in: 0...(.max), using: &rng)),
                    destination: IPv4Address(rawValue: UInt32.random(in: 0...(.max), using: &rng)),
                    ttl: UInt8.random(in: 0...255, using: &rng), vni: UInt32.random(in: 1...0xff_ffff, using: &rng))
                // Every inner length up to the largest a 16-bit total length holds, the edges included.
                let innerLength = [14, 60, 1500, 9000, 65535 - 36, Int.random(in: 14...(65535 - 36), using: &rng)]
                    .randomElement(using: &rng)!
                let port = UInt16.random(in: 49152...65535, using: &rng)
                let (fromTemplate, written) = Self.both(header, innerLength: innerLength, sourcePort: port)
                #expect(fromTemplate == written, "\(header) inner \(innerLength) port \(port)")
                // The header checksum verifies.
                let l3 = header.length - VXLANWire.ipOverhead
                #expect(Build.checksum(Array(fromTemplate[l3..<(l3 + 20)])) == 0)
                checked += 1
            }
        }
        #expect(checked == 2000)
    }
}
