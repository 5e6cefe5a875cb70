import Config
import Packet
import Pipeline
import Testing

@testable import Dataplane

/// The VXLAN punt handler's logic on plain memory and a virtual clock: ARP and echo for the VTEP answered,
/// next hops learned from ARP and published per remote VTEP slot, requests due, expiry.
@Suite struct VXLANUnderlayTests {
    static let local = IPv4Address(192, 0, 2, 1), onLink = IPv4Address(192, 0, 2, 2)
    static let offLink = IPv4Address(198, 51, 100, 7), gateway = IPv4Address(192, 0, 2, 254)
    static let mac = EthernetAddress(rawValue: 0x02_00_00_00_00_01)
    static let onLinkMAC = EthernetAddress(rawValue: 0x02_00_00_00_00_02)
    static let gatewayMAC = EthernetAddress(rawValue: 0x02_00_00_00_00_fe)

    static func endpoint(vlan: UInt16? = nil, remotes: [IPv4Address?] = [onLink, offLink]) -> VXLANUnderlay.Endpoint {
        let config = VXLANConfig(
            uplink: "uplink", address: local, prefixLength: 24, underlayVLAN: vlan, gateway: gateway,
            vnis: [VNIConfig(vni: 1000, vlan: 100, flood: [onLink, offLink])])
        return VXLANUnderlay.Endpoint(uplink: 3, mac: mac, config: config, remotes: remotes)
    }

    /// An ARP request from `sender` for `target` (60 bytes, `vlan`-tagged unless 0).
    static func arpRequest(from sender: (IPv4Address, EthernetAddress), for target: IPv4Address, vlan: UInt16 = 0)
        -> [UInt8]
    {
        var frame = [UInt8](repeating: 0, count: LocalReplies.minimumFrame)
        _ = frame.withUnsafeMutableBytes {
            LocalReplies.writeARPRequest($0.baseAddress!, mac: sender.1, address: sender.0, target: target, vlan: vlan)
        }
        return frame
    }

    static func handle(_ underlay: VXLANUnderlay, _ frame: inout [UInt8], now: Double) -> Bool {
        let count = frame.count
        return frame.withUnsafeMutableBytes { underlay.handle($0.baseAddress!, length: count, now: now) }
    }

    @Test("an ARP request for the VTEP is answered in place and its on-link sender resolves its slot")
    func answersARPAndLearns() {
        for vlan: UInt16 in [0, 20] {
            let underlay = VXLANUnderlay(nextHops: VXLANNextHops())
            underlay.configure(Self.endpoint(vlan: vlan == 0 ? nil : vlan), now: 0)
            #expect(underlay.nextHops.nextHop(slot: 0) == nil)
            var frame = Self.arpRequest(from: (Self.onLink, Self.onLinkMAC), for: Self.local, vlan: vlan)
            #expect(Self.handle(underlay, &frame, now: 1))
            let l3 = vlan == 0 ? 14 : 18
            #expect(frame.withUnsafeBytes { EthernetAddress($0.baseAddress!) } == Self.onLinkMAC)  // to the requester
            #expect(Array(frame[(l3 + 6)..<(l3 + 8)]) == [0, 2])  // a reply
            #expect(
                IPv4Address(rawValue: frame[(l3 + 14)..<(l3 + 18)].reduce(0) { $0 << 8 | UInt32($1) }) == Self.local)
            if vlan != 0 { #expect(Array(frame[12..<16]) == [0x81, 0x00, 0, 20]) }
            #expect(underlay.nextHops.nextHop(slot: 0) == Self.onLinkMAC)
            #expect(underlay.nextHops.nextHop(slot: 1) == nil)  // behind the gateway, not resolved yet
            #expect(underlay.counters.arpAnswered == 1 && underlay.counters.arpLearned == 1)
        }
    }

    @Test("the gateway's reply resolves the off-link VTEP; ARP for other addresses is not answered or kept")
    func gatewayAndStrangers() {
        let underlay = VXLANUnderlay(nextHops: VXLANNextHops())
        underlay.configure(Self.endpoint(), now: 0)
        // The gateway's reply to our request: a request for the gateway turned into its reply.
        var reply = Self.arpRequest(from: (Self.local, Self.mac), for: Self.gateway)
        _ = reply.withUnsafeMutableBytes {
            LocalReplies.answerARP($0.baseAddress!, length: 60, l3: 14, mac: Self.gatewayMAC, address: Self.gateway)
        }
        #expect(!Self.handle(underlay, &reply, now: 1))
        #expect(underlay.nextHops.nextHop(slot: 1) == Self.gatewayMAC)
        #expect(underlay.nextHops.nextHop(slot: 0) == nil)
        let stranger = IPv4Address(192, 0, 2, 77)
        var other = Self.arpRequest(
            from: (stranger, EthernetAddress(rawValue: 0x02_77)), for: IPv4Address(192, 0, 2, 9))
        #expect(!Self.handle(underlay, &other, now: 1))
        #expect(underlay.neighbours.entries[stranger] == nil)
        #expect(underlay.counters.ignored == 1)
    }

    @Test("ICMP echo to the VTEP is answered; echo to another address is not")
    func echo() {
        let underlay = VXLANUnderlay(nextHops: VXLANNextHops())
        underlay.configure(Self.endpoint(), now: 0)
        func request(to destination: IPv4Address) -> [UInt8] {
            var f = [UInt8](repeating: 0, count: 14 + 28)
            f.replaceSubrange(0..<6, with: [0x02, 0, 0, 0, 0, 1])
            f.replaceSubrange(6..<12, with: [0x02, 0, 0, 0, 0, 2])
            f[12] = 0x08
            f.replaceSubrange(14..<18, with: [0x45, 0, 0, 28])
            f[22] = 64
            f[23] = 1
            f.replaceSubrange(26..<30, with: [192, 0, 2, 2])
            let d = destination.rawValue
            f.replaceSubrange(30..<34, with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: d >> $0) })
            f[34] = 8
            return f
        }
        var echo = request(to: Self.local)
        #expect(Self.handle(underlay, &echo, now: 1))
        #expect(echo[34] == 0)  // echo reply
        #expect(Array(echo[26..<30]) == [192, 0, 2, 1] && Array(echo[30..<34]) == [192, 0, 2, 2])
        var other = request(to: IPv4Address(192, 0, 2, 9))
        #expect(!Self.handle(underlay, &other, now: 1))
        #expect(underlay.counters.echoAnswered == 1)
    }

    @Test("requests for unresolved next hops are due once per second each; expiry unpublishes; off forgets")
    func requestsAndExpiry() {
        let underlay = VXLANUnderlay(nextHops: VXLANNextHops())
        underlay.configure(Self.endpoint(), now: 0)
        #expect(Set(underlay.maintain(now: 0)) == [Self.onLink, Self.gateway])
        #expect(underlay.maintain(now: 0.5) == [])
        var frame = Self.arpRequest(from: (Self.onLink, Self.onLinkMAC), for: Self.local)
        _ = Self.handle(underlay, &frame, now: 0.6)
        #expect(underlay.maintain(now: 1.1) == [Self.gateway])  // the resolved one is not asked again
        var request = [UInt8](repeating: 0xff, count: 60)
        #expect(
            request.withUnsafeMutableBytes { underlay.writeRequest(for: Self.gateway, into: $0.baseAddress!) } == 60)
        #expect(request == Self.arpRequest(from: (Self.local, Self.mac), for: Self.gateway))
        // Refreshed after 240 s, gone after 300 s without an answer.
        #expect(underlay.maintain(now: 241).contains(Self.onLink))
        #expect(underlay.nextHops.nextHop(slot: 0) == Self.onLinkMAC)
        _ = underlay.maintain(now: 301)
        #expect(underlay.nextHops.nextHop(slot: 0) == nil)
        frame = Self.arpRequest(from: (Self.onLink, Self.onLinkMAC), for: Self.local)  // answered in place before
        _ = Self.handle(underlay, &frame, now: 302)
        #expect(underlay.nextHops.nextHop(slot: 0) == Self.onLinkMAC)
        // A slot freed by a new configuration is unpublished at once; VXLAN off forgets everything.
        underlay.configure(Self.endpoint(remotes: [nil, Self.offLink]), now: 303)
        #expect(underlay.nextHops.nextHop(slot: 0) == nil)
        underlay.configure(nil, now: 304)
        #expect(underlay.maintain(now: 305) == [])
        #expect(underlay.neighbours.entries.isEmpty)
    }
}
