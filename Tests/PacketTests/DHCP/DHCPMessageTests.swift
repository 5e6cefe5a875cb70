import Testing

@testable import Packet

/// DHCPv4 on the wire: requests read from frames (every field the responder uses and every reason a frame
/// is refused), replies written byte for byte (each message type and option, the broadcast/unicast rules of
/// RFC 2131 4.1, option 121's encoding), and random corruption of requests (no read outside the frame).
@Suite struct DHCPMessageTests {
    static let client = EthernetAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    static let serverMAC = EthernetAddress(0x02, 0x00, 0x00, 0x00, 0x00, 0xfe)
    static let server = IPv4Address(10, 0, 0, 1)
    static let leased = IPv4Address(10, 0, 0, 23)
    static let zero = IPv4Address(rawValue: 0)
    static let broadcast = IPv4Address(rawValue: .max)
    static let clientID: [UInt8] = [1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56]

    static let options = DHCPServerOptions(
        serverAddress: server, serverMAC: serverMAC, prefixLength: 24, router: server,
        dnsServers: [server, IPv4Address(9, 9, 9, 9)], domain: "example", leaseSeconds: 3600, mtu: 1450,
        routes: [DHCPRoute(destination: IPv4Address(169, 254, 169, 254), prefixLength: 32, gateway: server)])

    // MARK: requests

    /// The DHCP message: BOOTP fields (op, htype, hlen, ... chaddr, sname, file), the cookie, `options`.
    static func message(
        op: UInt8 = 1, htype: UInt8 = 1, hlen: UInt8 = 6, xid: UInt32 = 0x1234_5678, flags: UInt16 = 0,
        ciaddr: IPv4Address = zero, giaddr: IPv4Address = zero, cookie: UInt32 = DHCPMessage.magicCookie,
        _ options: [UInt8]
    ) -> [UInt8] {
        var bytes: [UInt8] = [op, htype, hlen, 0] + Build.be32(xid) + Build.be16(3) + Build.be16(flags)
        bytes += Build.be32(ciaddr.rawValue) + Build.be32(0) + Build.be32(0) + Build.be32(giaddr.rawValue)
        bytes += Build.mac(client) + [UInt8](repeating: 0, count: 10 + 64 + 128)
        return bytes + Build.be32(cookie) + options
    }

    /// A client's frame: broadcast from `client`, 0.0.0.0:68 → 255.255.255.255:67 unless overridden.
    static func frame(
        _ message: [UInt8], vlan: UInt16? = nil, src: UInt16 = 68, dst: UInt16 = 67, proto: UInt8 = 17,
        fragment: UInt16 = 0, ciaddr: IPv4Address = zero
    ) -> [UInt8] {
        Build.ethernet(
            dst: .broadcast, src: client, vlan: vlan, type: EtherType.ipv4,
            Build.ipv4(
                src: ciaddr, dst: broadcast, proto: proto, fragment: fragment, Build.udp(src: src, dst: dst, message)))
    }

    static func parse(_ frame: [UInt8], l3: Int = 14) -> Result<DHCPRequest, DHCPRequestError> {
        let buffer = GuardedBuffer(capacity: 4096)
        return frame.withUnsafeBytes { raw in
            buffer.atEnd(raw, count: frame.count) { DHCPMessage.parseRequest($0, length: $1, l3: l3) }
        }
    }

    /// A REQUEST in SELECTING state (265 bytes of DHCP message); also a parser golden frame.
    static let requestMessage = message(
        flags: 0x8000, [53, 1, 3, 50, 4, 10, 0, 0, 23, 54, 4, 10, 0, 0, 1, 61, 7] + clientID + [255])

    static let discover = frame(message([53, 1, 1, 61, 7] + clientID + [12, 4] + Array("vm-1".utf8) + [255]))

    @Test func readsADiscover() throws {
        let request = try Self.parse(Self.discover).get()
        #expect(
            request
                == DHCPRequest(
                    type: .discover, transactionID: 0x1234_5678, clientMAC: Self.client,
                    clientIdentifier: Self.clientID,
                    hostname: Array("vm-1".utf8)))
        #expect(!request.wantsBroadcast)
    }

    @Test func readsARequestBehindATagWithPadding() throws {
        let options: [UInt8] = [0, 0, 53, 1, 3, 50, 4, 10, 0, 0, 23, 54, 4, 10, 0, 0, 1, 255, 0, 0]
        let request = try Self.parse(Self.frame(Self.message(flags: 0x8000, options), vlan: 20), l3: 18).get()
        #expect(request.type == .request)
        #expect(request.requestedAddress == Self.leased)
        #expect(request.serverIdentifier == Self.server)
        #expect(request.clientIdentifier == nil)
        #expect(request.wantsBroadcast)
        // Without an end option the options end with the message.
        let open = try Self.parse(Self.frame(Self.message([53, 1, 8]), ciaddr: Self.leased)).get()
        #expect(open.type == .inform)
    }

    @Test func everyRefusalHasItsReason() {
        let good: [UInt8] = [53, 1, 1, 255]
        let cases: [(String, [UInt8], DHCPRequestError)] = [
            ("from port 67", Self.frame(Self.message(good), src: 67), .notRequest),
            ("to port 68", Self.frame(Self.message(good), dst: 68), .notRequest),
            ("TCP", Self.frame(Self.message(good), proto: 6), .notRequest),
            ("a fragment", Self.frame(Self.message(good), fragment: 0x2000), .notRequest),
            ("ARP", Build.padded(Build.ethernet(type: EtherType.arp, [])), .notRequest),
            ("IPv4 longer than the frame", Array(Self.frame(Self.message(good)).dropLast(1)), .notRequest),
            ("no cookie", Self.frame(Array(Self.message(good).prefix(236))), .truncated),
            ("too long", Self.frame(Self.message(good + [UInt8](repeating: 0, count: 800))), .oversized),
            ("BOOTREPLY", Self.frame(Self.message(op: 2, good)), .notBootRequest),
            ("not Ethernet", Self.frame(Self.message(htype: 6, good)), .notBootRequest),
            ("8-byte hardware addresses", Self.frame(Self.message(hlen: 8, good)), .notBootRequest),
            ("plain BOOTP", Self.frame(Self.message(cookie: 0, good)), .badMagic),
            ("option past the end", Self.frame(Self.message([53, 1, 1, 12, 9, 0x41])), .badOption),
            ("length byte missing", Self.frame(Self.message([53, 1, 1, 12])), .badOption),
            ("type of 2 bytes", Self.frame(Self.message([53, 2, 1, 1, 255])), .badOption),
            ("requested address of 3", Self.frame(Self.message([53, 1, 3, 50, 3, 1, 2, 3, 255])), .badOption),
            ("server id of 5", Self.frame(Self.message([53, 1, 3, 54, 5, 1, 2, 3, 4, 5, 255])), .badOption),
            ("client id of 1", Self.frame(Self.message([53, 1, 1, 61, 1, 1, 255])), .badOption),
            ("empty hostname", Self.frame(Self.message([53, 1, 1, 12, 0, 255])), .badOption),
            ("no type", Self.frame(Self.message([255])), .badMessageType),
            ("an OFFER", Self.frame(Self.message([53, 1, 2, 255])), .badMessageType),
            ("an ACK", Self.frame(Self.message([53, 1, 5, 255])), .badMessageType),
            ("a NAK", Self.frame(Self.message([53, 1, 6, 255])), .badMessageType),
            ("type 9", Self.frame(Self.message([53, 1, 9, 255])), .badMessageType),
            ("relayed", Self.frame(Self.message(giaddr: IPv4Address(10, 9, 9, 9), good)), .relayed),
        ]
        for (name, frame, reason) in cases {
            #expect(Self.parse(frame) == .failure(reason), "\(name)")
        }
        #expect(Set(cases.map(\.2)) == Set(DHCPRequestError.allCases))
        #expect(DHCPRequestError.allCases.map(\.name).allSatisfy { $0.hasPrefix("dhcp-") })
        #expect(Set(DHCPRequestError.allCases.map(\.name)).count == DHCPRequestError.allCases.count)
    }

    /// Every parser golden frame: the DHCP one reads as its request; every other is refused without a crash.
    @Test func parserGoldens() throws {
        for golden in allGoldens {
            let l3 = Int(golden.expected.l3Offset)
            let result = golden.frame.withUnsafeBytes {
                DHCPMessage.parseRequest($0.baseAddress!, length: $0.count, l3: max(l3, 14))
            }
            if golden.name.hasSuffix("ipv4-udp-dhcp-request") {
                let request = try result.get()
                #expect(request.type == .request && request.requestedAddress == Self.leased, "\(golden.name)")
                #expect(request.clientIdentifier == Self.clientID && request.wantsBroadcast)
            } else {
                #expect(throws: DHCPRequestError.self, "\(golden.name)") { try result.get() }
            }
        }
    }

    // MARK: replies

    static func reply(
        _ reply: DHCPReply, to request: DHCPRequest, options: DHCPServerOptions = options, vlan: UInt16 = 0
    ) -> [UInt8] {
        let length = DHCPMessage.replyLength(reply, to: request, options: options, vlan: vlan)
        var frame = [UInt8](repeating: 0xee, count: 1600)
        let written = frame.withUnsafeMutableBytes {
            DHCPMessage.writeReply(
                reply, to: request, options: options, vlan: vlan, into: $0.baseAddress!, capacity: $0.count)
        }
        #expect(written != nil && written == length)
        return Array(frame.prefix(written ?? 0))
    }

    /// `frame`'s UDP checksum verifies (one's-complement sum over pseudo-header and datagram is all ones),
    /// and the IPv4 header's too; `l3` is the IPv4 header's offset.
    static func checksumsVerify(_ frame: [UInt8], l3: Int = 14) -> Bool {
        let udp = Array(frame[(l3 + 20)...])
        let pseudo = Array(frame[(l3 + 12)..<(l3 + 20)]) + [0, 17] + Build.be16(UInt16(udp.count))
        return Build.checksum(pseudo + udp) == 0 && Build.checksum(Array(frame[l3..<(l3 + 20)])) == 0
            && frame[l3 + 26..<l3 + 28] != [0, 0]
    }

    static let offer = DHCPReply(type: .offer, yourAddress: leased, includesLease: true, includesConfiguration: true)

    @Test func offerByteForByte() throws {
        let request = try Self.parse(Self.discover).get()
        let frame = Self.reply(Self.offer, to: request)
        let options: [UInt8] =
            [53, 1, 2]  // OFFER
            + [54, 4, 10, 0, 0, 1]  // server identifier
            + [51, 4, 0, 0, 0x0e, 0x10]  // lease 3600 s
            + [1, 4, 255, 255, 255, 0]  // subnet mask /24
            + [3, 4, 10, 0, 0, 1]  // router
            + [6, 8, 10, 0, 0, 1, 9, 9, 9, 9]  // DNS servers
            + [15, 7] + Array("example".utf8)  // domain
            + [26, 2, 0x05, 0xaa]  // MTU 1450
            + [121, 14, 32, 169, 254, 169, 254, 10, 0, 0, 1, 0, 10, 0, 0, 1]  // /32 route, then the default
            + [61, 7] + Self.clientID  // client identifier echoed (RFC 6842); hostname not
            + [255]
        var message: [UInt8] = [2, 1, 6, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0]  // secs 0, flags 0
        message += [0, 0, 0, 0] + [10, 0, 0, 23] + [0, 0, 0, 0] + [0, 0, 0, 0]  // ciaddr yiaddr siaddr giaddr
        message += Build.mac(Self.client) + [UInt8](repeating: 0, count: 10 + 64 + 128)
        message += [0x63, 0x82, 0x53, 0x63] + options
        #expect(message.count == 316)  // longer than the 300-byte minimum: no padding
        let expected = Build.ethernet(
            dst: Self.client, src: Self.serverMAC, type: EtherType.ipv4,
            Build.ipv4(
                src: Self.server, dst: Self.leased, proto: 17, id: 0, fragment: 0,
                Build.udp(src: 67, dst: 68, message)))
        #expect(frame.count == 14 + 20 + 8 + 316)
        // Everything but the UDP checksum, which is checked independently.
        #expect(Array(frame[0..<40]) == Array(expected[0..<40]), "\(hex(frame))")
        #expect(Array(frame[42...]) == Array(expected[42...]), "\(hex(frame))")
        #expect(Self.checksumsVerify(frame))
    }

    @Test func nakIsShortPaddedAndBroadcast() throws {
        let request = DHCPRequest(
            type: .request, transactionID: 7, clientAddress: Self.leased, clientMAC: Self.client,
            requestedAddress: IPv4Address(10, 0, 0, 99))
        let nak = DHCPReply(type: .nak, yourAddress: Self.zero, includesLease: false, includesConfiguration: false)
        let frame = Self.reply(nak, to: request)
        #expect(frame.count == 14 + 20 + 8 + 300)  // padded to the BOOTP minimum
        #expect(Array(frame[0..<6]) == [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(Array(frame[30..<34]) == [255, 255, 255, 255])
        let message = Array(frame[42...])
        #expect(Array(message[12..<20]) == [0, 0, 0, 0, 0, 0, 0, 0])  // ciaddr, yiaddr zero in a NAK
        #expect(Array(message[240..<250]) == [53, 1, 6, 54, 4, 10, 0, 0, 1, 255])
        #expect(message[250...].allSatisfy { $0 == 0 })
        #expect(Self.checksumsVerify(frame))
    }

    @Test func broadcastAndUnicastRules() {
        let ack = DHCPReply(type: .ack, yourAddress: Self.leased, includesLease: true, includesConfiguration: true)
        func destination(_ reply: DHCPReply, flags: UInt16 = 0, ciaddr: IPv4Address = Self.zero) -> [UInt8] {
            let request = DHCPRequest(
                type: .request, transactionID: 1, flags: flags, clientAddress: ciaddr, clientMAC: Self.client)
            let frame = Self.reply(reply, to: request)
            #expect(Self.checksumsVerify(frame))
            #expect(Array(frame[42 + 10..<42 + 12]) == Build.be16(flags))  // flags echoed
            return Array(frame[0..<6]) + Array(frame[30..<34])
        }
        let clientMAC = Build.mac(Self.client)
        let allOnes: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 255, 255, 255, 255]
        // No address yet, no broadcast flag: unicast to yiaddr at chaddr.
        #expect(destination(Self.offer) == clientMAC + [10, 0, 0, 23])
        // The broadcast flag: broadcast.
        #expect(destination(Self.offer, flags: 0x8000) == allOnes)
        // Renewing (ciaddr set): unicast to ciaddr, even with the flag.
        #expect(destination(ack, flags: 0x8000, ciaddr: Self.leased) == clientMAC + [10, 0, 0, 23])
        // A NAK is always broadcast.
        let nak = DHCPReply(type: .nak, yourAddress: Self.zero, includesLease: false, includesConfiguration: false)
        #expect(destination(nak, ciaddr: Self.leased) == allOnes)
    }

    @Test func informAckHasConfigurationButNoLease() throws {
        let request = try Self.parse(Self.frame(Self.message(ciaddr: Self.leased, [53, 1, 8, 255]))).get()
        guard case .reply(let inform) = DHCPResponder.respond(to: request, address: Self.leased, server: Self.server)
        else {
            Issue.record("no reply to INFORM")
            return
        }
        let frame = Self.reply(
            inform, to: request,
            options: DHCPServerOptions(
                serverAddress: Self.server, serverMAC: Self.serverMAC, prefixLength: 16, mtu: 9000))
        let message = Array(frame[42...])
        #expect(Array(message[12..<20]) == [10, 0, 0, 23, 0, 0, 0, 0])  // ciaddr echoed, yiaddr zero
        #expect(Array(frame[0..<6]) == Build.mac(Self.client))  // unicast to ciaddr
        #expect(Array(frame[30..<34]) == [10, 0, 0, 23])
        #expect(
            Array(message[240..<259]) == [53, 1, 5, 54, 4, 10, 0, 0, 1, 1, 4, 255, 255, 0, 0, 26, 2, 0x23, 0x28])
        #expect(message[259] == 255)
    }

    @Test func taggedReplyKeepsTheVLAN() throws {
        let request = try Self.parse(Self.discover).get()
        let frame = Self.reply(Self.offer, to: request, vlan: 0x123)
        #expect(Array(frame[12..<18]) == [0x81, 0x00, 0x01, 0x23, 0x08, 0x00])
        #expect(Self.checksumsVerify(frame, l3: 18))
        #expect(Array(frame[18 + 28..<18 + 32]) == [2, 1, 6, 0])
    }

    @Test func classlessRoutesEncoding() throws {
        let request = DHCPRequest(type: .discover, transactionID: 1, clientMAC: Self.client)
        var options = DHCPServerOptions(
            serverAddress: Self.server, serverMAC: Self.serverMAC, prefixLength: 24, router: Self.server,
            routes: [
                DHCPRoute(destination: IPv4Address(172, 16, 0, 0), prefixLength: 12, gateway: IPv4Address(10, 0, 0, 2)),
                DHCPRoute(
                    destination: IPv4Address(192, 168, 7, 0), prefixLength: 24, gateway: IPv4Address(10, 0, 0, 3)),
                DHCPRoute(destination: Self.zero, prefixLength: 0, gateway: IPv4Address(10, 0, 0, 4)),
            ])
        let routes = try #require(DHCPMessage.options(of: Self.offer, to: request, server: options))
        let expected: [UInt8] =
            [121, 20] + [12, 172, 16, 10, 0, 0, 2] + [24, 192, 168, 7, 10, 0, 0, 3] + [0, 10, 0, 0, 4]
        // An explicit default route is kept as given: no second one through the router.
        #expect(routes.firstRange(of: expected) != nil, "\(routes)")
        // Without routes there is no option 121; the router goes in option 3 alone.
        options.routes = []
        let plain = try #require(DHCPMessage.options(of: Self.offer, to: request, server: options))
        #expect(!plain.contains(121))
        #expect(plain.firstRange(of: [3, 4, 10, 0, 0, 1]) != nil)
        // Options that do not fit one byte of length are refused, never truncated.
        options.domain = String(repeating: "a", count: 256)
        #expect(DHCPMessage.options(of: Self.offer, to: request, server: options) == nil)
        #expect(DHCPMessage.replyLength(Self.offer, to: request, options: options, vlan: 0) == nil)
        options.domain = nil
        options.routes = [DHCPRoute(destination: Self.zero, prefixLength: 33, gateway: Self.server)]
        #expect(DHCPMessage.options(of: Self.offer, to: request, server: options) == nil)
    }

    @Test func aReplyThatDoesNotFitIsNotWritten() {
        let request = DHCPRequest(type: .discover, transactionID: 1, clientMAC: Self.client)
        let length = DHCPMessage.replyLength(Self.offer, to: request, options: Self.options, vlan: 0)!
        var frame = [UInt8](repeating: 0xee, count: length - 1)
        let written = frame.withUnsafeMutableBytes {
            DHCPMessage.writeReply(
                Self.offer, to: request, options: Self.options, vlan: 0, into: $0.baseAddress!, capacity: $0.count)
        }
        #expect(written == nil)
        #expect(frame.allSatisfy { $0 == 0xee })
    }

    // MARK: the responder's decisions

    @Test func responderDecisions() {
        func respond(
            _ type: DHCPMessageType, ciaddr: IPv4Address = Self.zero, requested: IPv4Address? = nil,
            server: IPv4Address? = nil
        ) -> DHCPOutcome {
            DHCPResponder.respond(
                to: DHCPRequest(
                    type: type, transactionID: 1, clientAddress: ciaddr, clientMAC: Self.client,
                    requestedAddress: requested, serverIdentifier: server),
                address: Self.leased, server: Self.server)
        }
        let other = IPv4Address(10, 0, 0, 99)
        let ack = DHCPOutcome.reply(
            DHCPReply(type: .ack, yourAddress: Self.leased, includesLease: true, includesConfiguration: true))
        let nak = DHCPOutcome.reply(
            DHCPReply(type: .nak, yourAddress: Self.zero, includesLease: false, includesConfiguration: false))
        #expect(respond(.discover) == .reply(Self.offer))
        #expect(respond(.discover, requested: other) == .reply(Self.offer))  // the port's address, not the hint
        #expect(respond(.request, requested: Self.leased, server: Self.server) == ack)  // selecting
        #expect(respond(.request, requested: Self.leased) == ack)  // init-reboot
        #expect(respond(.request, ciaddr: Self.leased) == ack)  // renewing
        #expect(respond(.request, requested: other) == nak)  // init-reboot elsewhere
        #expect(respond(.request, ciaddr: other) == nak)
        #expect(respond(.request) == nak)  // names no address
        #expect(respond(.request, requested: Self.leased, server: other) == .ignored(.otherServer))
        #expect(
            respond(.inform, ciaddr: Self.leased)
                == .reply(
                    DHCPReply(type: .ack, yourAddress: Self.zero, includesLease: false, includesConfiguration: true)))
        #expect(respond(.release, ciaddr: Self.leased, server: Self.server) == .released(Self.leased))
        #expect(respond(.release, ciaddr: other) == .ignored(.notBound))
        #expect(respond(.release, ciaddr: Self.leased, server: other) == .ignored(.otherServer))
        #expect(respond(.decline, requested: Self.leased, server: Self.server) == .declined(Self.leased))
        #expect(respond(.decline, requested: Self.leased, server: other) == .ignored(.otherServer))
        #expect(respond(.offer) == .ignored(.serverMessage))
    }

    // MARK: corruption

    /// Random byte changes, truncations and length-field edits of valid requests: the parser reads nothing
    /// outside the frame (the guard page would crash the test) and whatever it accepts is a client message.
    @Test func corruptedRequestsNeverReadOutsideTheFrame() {
        let seeds: [[UInt8]] = [
            Self.discover,
            Self.frame(Self.requestMessage),
            Self.frame(Self.message([53, 1, 7, 61, 7] + Self.clientID), vlan: 5),
        ]
        let buffer = GuardedBuffer(capacity: 4096)
        var rng = SplitMix64(seed: 0xd4c9_0019)
        var accepted = 0
        for index in 0..<20000 {
            let seed = seeds[index % seeds.count]
            let l3 = seed[12] == 0x81 ? 18 : 14
            var frame = seed
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let position = Int(rng.next() % UInt64(frame.count))
                // Bias toward the headers and the options, where the lengths are.
                let target = rng.next() % 2 == 0 ? min(position, 60) : max(position, frame.count - 40)
                frame[target] = UInt8(truncatingIfNeeded: rng.next())
            }
            let count = rng.next() % 4 == 0 ? Int(rng.next() % UInt64(frame.count + 1)) : frame.count
            let result = frame.withUnsafeBytes { raw in
                buffer.atEnd(raw, count: count) { DHCPMessage.parseRequest($0, length: $1, l3: l3) }
            }
            if case .success(let request) = result {
                accepted += 1
                #expect(![.offer, .ack, .nak].contains(request.type))
            }
        }
        #expect(accepted > 0)
    }
}
