import Foundation
import Packet
import Testing

@Suite struct EthernetAddressTests {
    @Test func parsesAndFormats() {
        let address = EthernetAddress("02:1A:b3:00:ff:09")
        #expect(address?.rawValue == 0x021a_b300_ff09)
        #expect(address?.description == "02:1a:b3:00:ff:09")
        #expect(EthernetAddress(rawValue: 0xffff_0000_0000_0001).rawValue == 0x0000_0000_0001)
        #expect(EthernetAddress(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff).description == "aa:bb:cc:dd:ee:ff")
        #expect(EthernetAddress(bytes: [1, 2, 3, 4, 5, 6]) == EthernetAddress("01:02:03:04:05:06"))
        #expect(EthernetAddress(bytes: [1, 2, 3, 4, 5]) == nil)
        #expect(EthernetAddress(bytes: [1, 2, 3, 4, 5, 6, 7]) == nil)
    }

    @Test(arguments: [
        "", "02:00:00:00:00", "02:00:00:00:00:00:00", "02-00-00-00-00-01", "2:0:0:0:0:1", "02:00:00:00:00:0g",
        "02:00:00:00:00:001", " 02:00:00:00:00:01", "02:00:00:00:00:01 ", "02::00:00:00:00:01", "0200.0000.0001",
        "02:00:00:00:00:", ":02:00:00:00:00:01", "02:00:00:00:00:０1",
    ])
    func rejects(text: String) {
        #expect(EthernetAddress(text) == nil)
    }

    @Test func roundTripsRandomAddresses() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let address = EthernetAddress(rawValue: rng.next())
            #expect(EthernetAddress(address.description) == address)
            #expect(address.description.count == 17)
        }
    }

    @Test func classification() {
        #expect(EthernetAddress.broadcast.isBroadcast && EthernetAddress.broadcast.isMulticast)
        #expect(EthernetAddress("01:00:5e:00:00:01")!.isMulticast)
        #expect(!EthernetAddress("01:00:5e:00:00:01")!.isBroadcast)
        #expect(!EthernetAddress("02:00:00:00:00:01")!.isMulticast)
        #expect(EthernetAddress("02:00:00:00:00:01")!.isLocallyAdministered)
        #expect(!EthernetAddress("00:1b:21:00:00:01")!.isLocallyAdministered)
        #expect(EthernetAddress.zero.isZero && !EthernetAddress.broadcast.isZero)
        #expect(EthernetAddress("00:00:00:00:00:01")! < EthernetAddress("01:00:00:00:00:00")!)
    }

    @Test func readsAndWritesUnalignedMemory() {
        var bytes = [UInt8](repeating: 0, count: 9)
        let address = EthernetAddress("de:ad:be:ef:00:42")!
        bytes.withUnsafeMutableBytes { raw in address.write(to: raw.baseAddress! + 3) }
        #expect(bytes == [0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x42])
        let read = bytes.withUnsafeBytes { EthernetAddress($0.baseAddress! + 3) }
        #expect(read == address)
        let b = address.bytes
        #expect([b.0, b.1, b.2, b.3, b.4, b.5] == [0xde, 0xad, 0xbe, 0xef, 0x00, 0x42])
    }
}

@Suite struct IPv4AddressTests {
    @Test func parsesAndFormats() {
        #expect(IPv4Address("10.0.0.1")?.rawValue == 0x0a00_0001)
        #expect(IPv4Address("255.255.255.255")?.rawValue == 0xffff_ffff)
        #expect(IPv4Address("0.0.0.0")?.rawValue == 0)
        #expect(IPv4Address(192, 168, 1, 254).description == "192.168.1.254")
        #expect(IPv4Address("224.0.0.251")!.isMulticast)
        #expect(!IPv4Address("223.255.255.255")!.isMulticast)
        #expect(IPv4Address(rawValue: 0xffff_ffff).isBroadcast)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-4", "01.2.3.4", "1.2.3.04", "1..3.4", "1.2.3.4 ", "a.b.c.d",
        "1.2.3.4/24", "0x1.2.3.4", "1.2.3.", ".1.2.3", "1000.1.1.1", "1.2.3.4.",
    ])
    func rejects(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test func roundTripsRandomAddresses() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<2000 {
            let address = IPv4Address(rawValue: UInt32(truncatingIfNeeded: rng.next()))
            #expect(IPv4Address(address.description) == address)
        }
    }

    @Test func readsAndWritesUnalignedMemory() {
        var bytes = [UInt8](repeating: 0, count: 7)
        bytes.withUnsafeMutableBytes { IPv4Address(198, 51, 100, 7).write(to: $0.baseAddress! + 1) }
        #expect(bytes == [0, 198, 51, 100, 7, 0, 0])
        #expect(bytes.withUnsafeBytes { IPv4Address($0.baseAddress! + 1) } == IPv4Address("198.51.100.7"))
    }
}

@Suite struct IPv6AddressTests {
    /// Input text, and its canonical RFC 5952 form.
    @Test(arguments: [
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:db8::1:0:0:0:1", "2001:db8:0:1::1"),
        ("fe80::1:2:3:4", "fe80::1:2:3:4"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("1:0:0:4:0:0:0:8", "1:0:0:4::8"),
        ("ff02::1:ff00:2", "ff02::1:ff00:2"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("::FFFF:c000:0201", "::ffff:192.0.2.1"),
        ("64:ff9b::10.0.0.1", "64:ff9b::a00:1"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ("0:0:0:0:0:0:0:0", "::"),
    ])
    func parsesToCanonicalForm(text: String, canonical: String) {
        let address = IPv6Address(text)
        #expect(address?.description == canonical, "\(text)")
        #expect(IPv6Address(canonical) == address)
    }

    @Test func exactBits() {
        let address = IPv6Address("2001:db8:1:2:3:4:5:6")!
        #expect(address.high == 0x2001_0db8_0001_0002)
        #expect(address.low == 0x0003_0004_0005_0006)
        #expect(address.group(0) == 0x2001 && address.group(7) == 6)
        #expect(address.bytes == [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6])
        #expect(IPv6Address(bytes: address.bytes) == address)
        #expect(IPv6Address(bytes: [UInt8](repeating: 0, count: 15)) == nil)
        #expect(IPv6Address("ff02::1")!.isMulticast)
        #expect(IPv6Address("fe80::1")!.isLinkLocal && !IPv6Address("fec0::1")!.isLinkLocal)
        #expect(IPv6Address("::")!.isUnspecified)
        #expect(IPv6Address("::ffff:1.2.3.4")!.isIPv4Mapped)
    }

    @Test(arguments: [
        "", ":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::", "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8", ":1::", "1::2:", "1:2:3:4:5:6:7:", ":1:2:3:4:5:6:7:8", "fe80::1%eth0", "2001:db8::/32",
        "[::1]", " ::1", "::1.2.3", "::1.2.3.4.5", "::256.1.1.1", "1.2.3.4::", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4",
        "::ffff:01.2.3.4",
    ])
    func rejects(text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test func roundTripsRandomAddresses() {
        var rng = SplitMix64(seed: 13)
        for _ in 0..<3000 {
            // Sparse groups so that zero runs of every length and position occur.
            var groups: [UInt16] = []
            for _ in 0..<8 {
                groups.append(rng.chance(50) ? 0 : UInt16(truncatingIfNeeded: rng.next() >> UInt64(rng.below(16))))
            }
            let address = IPv6Address(groups: groups)!
            let text = address.description
            #expect(IPv6Address(text) == address, "\(text)")
            #expect(text == text.lowercased())
            #expect(!text.contains(":::"))
            #expect(text.components(separatedBy: "::").count <= 2)
            // The full, uncompressed form parses to the same address.
            let full = groups.map { String($0, radix: 16) }.joined(separator: ":")
            #expect(IPv6Address(full) == address)
        }
    }

    @Test func readsAndWritesUnalignedMemory() {
        let address = IPv6Address("2001:db8::ab:cd")!
        var bytes = [UInt8](repeating: 0, count: 19)
        bytes.withUnsafeMutableBytes { address.write(to: $0.baseAddress! + 3) }
        #expect(Array(bytes[3..<19]) == address.bytes)
        #expect(bytes.withUnsafeBytes { IPv6Address($0.baseAddress! + 3) } == address)
    }
}
