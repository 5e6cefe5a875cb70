import Config
import Packet
import Testing

@testable import Dataplane

/// The DHCP punt handler's logic on plain memory with a virtual clock: requests answered from the port's
/// binding (offer, ack, nak; broadcast or unicast), ARP for the server answered, release and decline recorded,
/// every refusal counted by name, clients forgotten with their port's DHCP.
@Suite struct DHCPServerTests {
    static let client = EthernetAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    static let serverMAC = EthernetAddress(0x02, 0x00, 0x00, 0x00, 0x01, 0x00)
    static let server = IPv4Address(10, 0, 100, 2)
    static let address = IPv4Address(10, 0, 100, 5)
    static let zero = IPv4Address(rawValue: 0)
    static let network = DHCPNetworkConfig(
        vlan: 100, subnet: IPv4Address(10, 0, 100, 0), prefixLength: 24, server: server, serverMAC: serverMAC,
        router: IPv4Address(10, 0, 100, 1), leaseSeconds: 3600, mtu: 1450,
        routes: [
            DHCPRouteConfig(
                destination: IPv4Address(169, 254, 169, 254), prefixLength: 32, via: IPv4Address(10, 0, 100, 1))
        ])
    static let slot: UInt16 = 3

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xffff)) }
    static func mac(_ m: EthernetAddress) -> [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: m.rawValue >> (40 - 8 * $0)) }
    }

    /// A client's request frame from `client`: `ciaddr` as the IPv4 source, to 255.255.255.255:67.
    static func request(
        _ options: [UInt8], flags: UInt16 = 0, ciaddr: IPv4Address = zero, op: UInt8 = 1
    ) -> [UInt8] {
        var message: [UInt8] = [op, 1, 6, 0] + be32(0xdead_beef) + be16(0) + be16(flags)
        message += be32(ciaddr.rawValue) + be32(0) + be32(0) + be32(0) + mac(client)
        message += [UInt8](repeating: 0, count: 10 + 64 + 128) + be32(DHCPMessage.magicCookie) + options
        let udp = be16(68) + be16(67) + be16(UInt16(8 + message.count)) + be16(0) + message
        let ip =
            [0x45, 0] + be16(UInt16(20 + udp.count)) + [0, 0, 0, 0, 64, 17, 0, 0] + be32(ciaddr.rawValue)
            + be32(.max) + udp
        return [UInt8](repeating: 0xff, count: 6) + mac(client) + be16(0x0800) + ip
    }

    static func arp(for target: IPv4Address) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: LocalReplies.minimumFrame)
        _ = frame.withUnsafeMutableBytes {
            LocalReplies.writeARPRequest($0.baseAddress!, mac: client, address: address, target: target, vlan: 0)
        }
        return frame
    }

    static func server(mode: String = "static") -> DHCPServer {
        let server = DHCPServer()
        server.configure([slot: .init(port: "vm1", address: address, mode: mode, network: network)])
        return server
    }

    /// The reply to `frame` from `slot`, or nil.
    static func answer(_ server: DHCPServer, _ frame: [UInt8], slot: UInt16 = slot, now: Double = 10) -> [UInt8]? {
        var reply = [UInt8](repeating: 0, count: DHCPServer.replyCapacity)
        let length = frame.withUnsafeBytes { request in
            reply.withUnsafeMutableBytes {
                server.handle(
                    request.baseAddress!, length: frame.count, slot: slot, now: now, reply: $0.baseAddress!,
                    capacity: $0.count)
            }
        }
        return length.map { Array(reply[0..<$0]) }
    }

    /// The options of a reply frame (untagged), by code.
    static func options(_ reply: [UInt8]) -> [UInt8: [UInt8]] {
        var result: [UInt8: [UInt8]] = [:]
        var i = 14 + 20 + 8 + 240
        while i < reply.count, reply[i] != 255 {
            if reply[i] == 0 {
                i += 1
                continue
            }
            let length = Int(reply[i + 1])
            result[reply[i]] = Array(reply[(i + 2)..<(i + 2 + length)])
            i += 2 + length
        }
        return result
    }

    static func yiaddr(_ reply: [UInt8]) -> [UInt8] { Array(reply[(14 + 28 + 16)..<(14 + 28 + 20)]) }

    @Test func discoverGetsAnOfferOfThePortsAddressWithMTUAndRoutes() throws {
        let server = Self.server()
        let reply = try #require(
            Self.answer(
                server, Self.request([53, 1, 1, 61, 7, 1] + Self.mac(Self.client) + [12, 3] + Array("vm1".utf8))))
        #expect(Array(reply[0..<6]) == Self.mac(Self.client))  // unicast to the client's MAC (no broadcast flag)
        #expect(Array(reply[6..<12]) == Self.mac(Self.serverMAC))
        #expect(Array(reply[(14 + 12)..<(14 + 16)]) == Self.be32(Self.server.rawValue))
        #expect(Self.yiaddr(reply) == Self.be32(Self.address.rawValue))
        let options = Self.options(reply)
        #expect(options[53] == [2])
        #expect(options[54] == Self.be32(Self.server.rawValue))
        #expect(options[51] == Self.be32(3600))
        #expect(options[26] == Self.be16(1450))
        // 169.254.169.254/32 via the router, then the default route the router implies.
        #expect(options[121] == [32, 169, 254, 169, 254, 10, 0, 100, 1, 0, 10, 0, 100, 1])
        #expect(options[61] == [1] + Self.mac(Self.client))
        #expect(server.clients["vm1"]?.state == "offered")
        #expect(server.clients["vm1"]?.hostname == "vm1")
        #expect(server.clients["vm1"]?.clientID == "01:52:54:00:12:34:56")
        #expect(server.counters["offer"] == 1)
    }

    @Test func broadcastFlagGivesABroadcastReply() throws {
        let reply = try #require(Self.answer(Self.server(), Self.request([53, 1, 1], flags: 0x8000)))
        #expect(Array(reply[0..<6]) == [UInt8](repeating: 0xff, count: 6))
        #expect(Array(reply[(14 + 16)..<(14 + 20)]) == [255, 255, 255, 255])
    }

    @Test func requestForThePortsAddressIsAckedAndBound() throws {
        let server = Self.server()
        let selecting = Self.request(
            [53, 1, 3, 50, 4] + Self.be32(Self.address.rawValue) + [54, 4] + Self.be32(Self.server.rawValue))
        let ack = try #require(Self.answer(server, selecting, now: 20))
        #expect(Self.options(ack)[53] == [5])
        #expect(Self.yiaddr(ack) == Self.be32(Self.address.rawValue))
        #expect(server.clients["vm1"]?.state == "bound")
        #expect(server.clients["vm1"]?.leasedAt == 20)
        #expect(server.clients["vm1"]?.leaseSeconds == 3600)
        // Renewing: ciaddr set, unicast to it at the client's MAC.
        let renew = try #require(Self.answer(server, Self.request([53, 1, 3], ciaddr: Self.address), now: 30))
        #expect(Self.options(renew)[53] == [5])
        #expect(Array(renew[0..<6]) == Self.mac(Self.client))
        #expect(Array(renew[(14 + 16)..<(14 + 20)]) == Self.be32(Self.address.rawValue))
        #expect(server.clients["vm1"]?.leasedAt == 30)
    }

    @Test func requestForAnotherAddressIsNaked() throws {
        let server = Self.server()
        let other = IPv4Address(10, 0, 100, 77)
        let nak = try #require(Self.answer(server, Self.request([53, 1, 3, 50, 4] + Self.be32(other.rawValue))))
        #expect(Self.options(nak)[53] == [6])
        #expect(Array(nak[0..<6]) == [UInt8](repeating: 0xff, count: 6))
        #expect(server.clients["vm1"]?.state == "nak")
        // A REQUEST to another server gets nothing.
        #expect(Self.answer(server, Self.request([53, 1, 3, 54, 4, 10, 0, 100, 9])) == nil)
        #expect(server.counters["other-server"] == 1)
    }

    @Test func releaseAndDeclineAreRecorded() {
        let server = Self.server()
        #expect(Self.answer(server, Self.request([53, 1, 7], ciaddr: Self.address)) == nil)
        #expect(server.clients["vm1"]?.state == "released")
        #expect(Self.answer(server, Self.request([53, 1, 4, 50, 4] + Self.be32(Self.address.rawValue))) == nil)
        #expect(server.clients["vm1"]?.state == "declined")
        #expect(server.counters["release"] == 1 && server.counters["decline"] == 1)
    }

    @Test func arpForTheServerIsAnswered() throws {
        let server = Self.server()
        let reply = try #require(Self.answer(server, Self.arp(for: Self.server)))
        #expect(Array(reply[0..<6]) == Self.mac(Self.client))
        #expect(Array(reply[6..<12]) == Self.mac(Self.serverMAC))
        #expect(Array(reply[20..<22]) == [0, 2])  // ARP reply
        #expect(Array(reply[22..<28]) == Self.mac(Self.serverMAC))
        #expect(Array(reply[28..<32]) == Self.be32(Self.server.rawValue))
        #expect(Self.answer(server, Self.arp(for: IPv4Address(10, 0, 100, 1))) == nil)
        #expect(server.counters["arp-answered"] == 1 && server.counters["arp-not-for-server"] == 1)
    }

    @Test func refusalsAreCountedByName() {
        let server = Self.server()
        #expect(Self.answer(server, Self.request([53, 1, 1]), slot: 9) == nil)
        #expect(server.counters["dhcp-port-not-served"] == 1)
        let truncated = Array(Self.request([53, 1, 1]).prefix(100))
        #expect(Self.answer(server, truncated) == nil)
        #expect(server.counters["dhcp-not-request"] == 1)
        #expect(Self.answer(server, Self.request([53, 1, 1], op: 2)) == nil)
        #expect(server.counters["dhcp-not-bootrequest"] == 1)
        #expect(Self.answer(server, Self.request([53, 1, 2])) == nil)
        #expect(server.counters["dhcp-bad-message-type"] == 1)
        #expect(Self.answer(server, Self.request([53, 9])) == nil)
        #expect(server.counters["dhcp-bad-option"] == 1)
        #expect(server.clients.isEmpty)
    }

    @Test func aPortThatLosesDHCPIsForgotten() throws {
        let server = Self.server()
        _ = try #require(Self.answer(server, Self.request([53, 1, 1])))
        #expect(server.clients["vm1"] != nil)
        server.configure([:])
        #expect(server.clients.isEmpty)
        #expect(Self.answer(server, Self.request([53, 1, 1])) == nil)
    }
}
