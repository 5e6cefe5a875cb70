import Testing

@testable import Packet

/// ARP and ICMP echo answered in place, and the ARP request for a next hop, byte for byte.
@Suite struct LocalRepliesTests {
    static let ownMAC = EthernetAddress(rawValue: 0x0200_0000_0001)
    static let own = IPv4Address(192, 0, 2, 1)
    static let peerMAC: [UInt8] = [0x52, 0x54, 0, 0, 0, 0x22]
    static let peer: [UInt8] = [192, 0, 2, 2]

    /// An ARP request from the peer for `target`, optionally behind a VLAN tag.
    static func arpRequest(target: [UInt8] = [192, 0, 2, 1], vlan: UInt16 = 0) -> [UInt8] {
        var frame = [UInt8](repeating: 0xff, count: 6) + peerMAC
        if vlan != 0 { frame += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xff)] }
        frame += [0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1] + peerMAC + peer + [0, 0, 0, 0, 0, 0] + target
        return frame + [UInt8](repeating: 0, count: 60 - frame.count)
    }

    /// A header or message whose checksum verifies: its one's-complement sum is all ones.
    static func checksumOK(_ bytes: ArraySlice<UInt8>) -> Bool { Build.checksum(Array(bytes)) == 0 }

    @Test(arguments: [0, 20] as [UInt16])
    func arpRequestForOurAddressIsAnswered(vlan: UInt16) {
        var frame = Self.arpRequest(vlan: vlan)
        let l3 = vlan == 0 ? 14 : 18
        let sender = frame.withUnsafeBytes { LocalReplies.arpSender($0.baseAddress!, length: $0.count, l3: l3) }
        #expect(sender?.opcode == 1)
        #expect(sender?.address == IPv4Address(192, 0, 2, 2))
        #expect(sender?.mac == EthernetAddress(rawValue: 0x5254_0000_0022))
        let answered = frame.withUnsafeMutableBytes {
            LocalReplies.answerARP($0.baseAddress!, length: $0.count, l3: l3, mac: Self.ownMAC, address: Self.own)
        }
        #expect(answered)
        let own: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]
        var expected = Self.peerMAC + own
        if vlan != 0 { expected += [0x81, 0x00, 0, 20] }
        expected += [0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2] + own + [192, 0, 2, 1] + Self.peerMAC + Self.peer
        #expect(Array(frame[..<expected.count]) == expected)
    }

    @Test func otherARPIsLeftAlone() {
        for var frame in [
            Self.arpRequest(target: [192, 0, 2, 9]),  // someone else's address
            {
                var f = Self.arpRequest()
                f[21] = 2
                return f
            }(),  // a reply
            {
                var f = Self.arpRequest()
                f[18] = 0x86
                return f
            }(),  // not IPv4
            Array(Self.arpRequest()[..<41]),  // truncated
        ] {
            let before = frame
            let answered = frame.withUnsafeMutableBytes {
                LocalReplies.answerARP($0.baseAddress!, length: $0.count, l3: 14, mac: Self.ownMAC, address: Self.own)
            }
            #expect(!answered)
            #expect(frame == before)
        }
    }

    @Test func arpRequestForANextHop() {
        var frame = [UInt8](repeating: 0xaa, count: 60)
        let length = frame.withUnsafeMutableBytes {
            LocalReplies.writeARPRequest(
                $0.baseAddress!, mac: Self.ownMAC, address: Self.own, target: IPv4Address(192, 0, 2, 254), vlan: 20)
        }
        #expect(length == 60)
        let own: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]
        let expected =
            [UInt8](repeating: 0xff, count: 6) + own + [0x81, 0x00, 0, 20, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1] + own
            + [192, 0, 2, 1] + [0, 0, 0, 0, 0, 0] + [192, 0, 2, 254]
        #expect(Array(frame[..<expected.count]) == expected)
        #expect(frame[expected.count...].allSatisfy { $0 == 0 })
        let sender = frame.withUnsafeBytes { LocalReplies.arpSender($0.baseAddress!, length: 60, l3: 18) }
        #expect(sender?.target == IPv4Address(192, 0, 2, 254))
    }

    /// An echo request from the peer to `destination` with 8 bytes of data and correct checksums.
    static func echoRequest(destination: [UInt8] = [192, 0, 2, 1]) -> [UInt8] {
        var ip: [UInt8] = [0x45, 0, 0, 36, 0x12, 0x34, 0x40, 0, 63, 1, 0, 0] + peer + destination
        let ipSum = Build.checksum(ip)
        ip[10] = UInt8(ipSum >> 8)
        ip[11] = UInt8(ipSum & 0xff)
        var icmp: [UInt8] = [8, 0, 0, 0, 0x00, 0x07, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]
        let icmpSum = Build.checksum(icmp)
        icmp[2] = UInt8(icmpSum >> 8)
        icmp[3] = UInt8(icmpSum & 0xff)
        return [0x02, 0, 0, 0, 0, 0x01] + peerMAC + [0x08, 0x00] + ip + icmp + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    }

    @Test func echoRequestIsAnswered() {
        var frame = Self.echoRequest()
        let answered = frame.withUnsafeMutableBytes {
            LocalReplies.answerEcho($0.baseAddress!, length: $0.count, l3: 14, mac: Self.ownMAC, address: Self.own)
        }
        #expect(answered)
        #expect(Array(frame[0..<12]) == Self.peerMAC + [0x02, 0, 0, 0, 0, 0x01])
        #expect(Array(frame[26..<34]) == [192, 0, 2, 1] + Self.peer)
        #expect(frame[22] == 64)
        #expect(frame[34] == 0 && frame[35] == 0)  // echo reply
        #expect(Array(frame[38..<50]) == [0x00, 0x07, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8])  // id, sequence, data
        #expect(Self.checksumOK(frame[14..<34]))
        #expect(Self.checksumOK(frame[34..<50]))
    }

    @Test func otherIPv4IsLeftAlone() {
        var cases = [Self.echoRequest(destination: [192, 0, 2, 9])]
        cases.append(
            {
                var f = Self.echoRequest()
                f[34] = 0
                return f
            }())  // an echo reply
        cases.append(
            {
                var f = Self.echoRequest()
                f[20] = 0x20
                return f
            }())  // a fragment
        cases.append(
            {
                var f = Self.echoRequest()
                f[17] = 200
                return f
            }())  // longer than the frame
        cases.append(
            {
                var f = Self.echoRequest()
                f[23] = 17
                return f
            }())  // UDP
        for var frame in cases {
            let before = frame
            let answered = frame.withUnsafeMutableBytes {
                LocalReplies.answerEcho($0.baseAddress!, length: $0.count, l3: 14, mac: Self.ownMAC, address: Self.own)
            }
            #expect(!answered)
            #expect(frame == before)
        }
    }
}
