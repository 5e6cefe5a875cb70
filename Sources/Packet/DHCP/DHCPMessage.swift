/// DHCPv4 (RFC 2131, options RFC 2132) as the built-in responder reads and writes it: a client's request
/// taken from an Ethernet/IPv4/UDP frame, and the reply frame written into a buffer. Pure functions over
/// plain memory, for the control thread (docs/dhcp.md); nothing here is on the fast path.

/// The DHCP message types (option 53).
public enum DHCPMessageType: UInt8, Sendable, CaseIterable {
    case discover = 1
    case offer = 2
    case request = 3
    case decline = 4
    case ack = 5
    case nak = 6
    case release = 7
    case inform = 8

    /// Lower-case name, as logs and `sluicectl` show it.
    public var name: String {
        switch self {
        case .discover: "discover"
        case .offer: "offer"
        case .request: "request"
        case .decline: "decline"
        case .ack: "ack"
        case .nak: "nak"
        case .release: "release"
        case .inform: "inform"
        }
    }
}

/// Why a frame is not a DHCP request the responder answers. Each is a named, counted drop (docs/dhcp.md).
public enum DHCPRequestError: Int, Error, Sendable, CaseIterable {
    /// Not an unfragmented IPv4/UDP datagram from port 68 to port 67 that fits the frame.
    case notRequest
    /// The datagram ends before the fixed BOOTP fields and the magic cookie (240 bytes).
    case truncated
    /// The DHCP message is longer than `DHCPMessage.maximumRequest`.
    case oversized
    /// `op` is not BOOTREQUEST, or the hardware type/length is not Ethernet's (1/6).
    case notBootRequest
    /// The four bytes after the fixed fields are not the DHCP magic cookie (plain BOOTP).
    case badMagic
    /// An option runs past the end of the message, or a known option has the wrong length.
    case badOption
    /// No message type (option 53), or one a client never sends (offer, ack, nak) or an unknown one.
    case badMessageType
    /// `giaddr` is set: the request came through a relay, which the per-port responder does not serve.
    case relayed

    /// The drop reason's name (`sluicectl stages`).
    public var name: String {
        switch self {
        case .notRequest: "dhcp-not-request"
        case .truncated: "dhcp-truncated"
        case .oversized: "dhcp-oversized"
        case .notBootRequest: "dhcp-not-bootrequest"
        case .badMagic: "dhcp-bad-magic"
        case .badOption: "dhcp-bad-option"
        case .badMessageType: "dhcp-bad-message-type"
        case .relayed: "dhcp-relayed"
        }
    }
}

/// A client's DHCP request, as far as the responder uses it.
public struct DHCPRequest: Equatable, Sendable {
    public var type: DHCPMessageType
    public var transactionID: UInt32
    /// The BOOTP flags: bit 15 (`0x8000`) asks for a broadcast reply.
    public var flags: UInt16
    public var clientAddress: IPv4Address
    public var relayAddress: IPv4Address
    public var clientMAC: EthernetAddress
    /// Option 50.
    public var requestedAddress: IPv4Address?
    /// Option 54: the server the client addresses (REQUEST in SELECTING state, RELEASE, DECLINE).
    public var serverIdentifier: IPv4Address?
    /// Option 61, verbatim (type byte first); echoed in replies (RFC 6842).
    public var clientIdentifier: [UInt8]?
    /// Option 12, verbatim; recorded for display, never echoed.
    public var hostname: [UInt8]?

    public init(
        type: DHCPMessageType, transactionID: UInt32, flags: UInt16 = 0,
        clientAddress: IPv4Address = IPv4Address(rawValue: 0),
        relayAddress: IPv4Address = IPv4Address(rawValue: 0), clientMAC: EthernetAddress,
        requestedAddress: IPv4Address? = nil,
        serverIdentifier: IPv4Address? = nil, clientIdentifier: [UInt8]? = nil, hostname: [UInt8]? = nil
    ) {
        self.type = type
        self.transactionID = transactionID
        self.flags = flags
        self.clientAddress = clientAddress
        self.relayAddress = relayAddress
        self.clientMAC = clientMAC
        self.requestedAddress = requestedAddress
        self.serverIdentifier = serverIdentifier
        self.clientIdentifier = clientIdentifier
        self.hostname = hostname
    }

    /// Whether the client asked for a broadcast reply (it cannot receive unicast before it is configured).
    public var wantsBroadcast: Bool { flags & 0x8000 != 0 }
}

/// One classless static route (option 121, RFC 3442).
public struct DHCPRoute: Equatable, Hashable, Sendable {
    public var destination: IPv4Address
    public var prefixLength: Int
    public var gateway: IPv4Address

    public init(destination: IPv4Address, prefixLength: Int, gateway: IPv4Address) {
        self.destination = destination
        self.prefixLength = prefixLength
        self.gateway = gateway
    }
}

/// What a VLAN's responder tells its clients besides their address.
public struct DHCPServerOptions: Equatable, Sendable {
    /// Option 54 and the reply's IPv4 source.
    public var serverAddress: IPv4Address
    /// The reply's Ethernet source.
    public var serverMAC: EthernetAddress
    /// Option 1, as a prefix length (0 ... 32).
    public var prefixLength: Int
    /// Option 3.
    public var router: IPv4Address?
    /// Option 6.
    public var dnsServers: [IPv4Address]
    /// Option 15 (ASCII, at most 255 bytes).
    public var domain: String?
    /// Option 51, in seconds.
    public var leaseSeconds: UInt32
    /// Option 26.
    public var mtu: UInt16?
    /// Option 121. A client that receives it ignores option 3 (RFC 3442), so when there is a router the
    /// default route through it is written into option 121 too.
    public var routes: [DHCPRoute]

    public init(
        serverAddress: IPv4Address, serverMAC: EthernetAddress, prefixLength: Int, router: IPv4Address? = nil,
        dnsServers: [IPv4Address] = [], domain: String? = nil, leaseSeconds: UInt32 = 86400, mtu: UInt16? = nil,
        routes: [DHCPRoute] = []
    ) {
        self.serverAddress = serverAddress
        self.serverMAC = serverMAC
        self.prefixLength = prefixLength
        self.router = router
        self.dnsServers = dnsServers
        self.domain = domain
        self.leaseSeconds = leaseSeconds
        self.mtu = mtu
        self.routes = routes
    }

    /// The subnet mask for `prefixLength`.
    public var subnetMask: IPv4Address {
        IPv4Address(rawValue: prefixLength <= 0 ? 0 : UInt32.max << UInt32(32 - min(prefixLength, 32)))
    }
}

/// A reply the responder decided to send (`DHCPResponder`).
public struct DHCPReply: Equatable, Sendable {
    /// `.offer`, `.ack` or `.nak`.
    public var type: DHCPMessageType
    /// `yiaddr`: the client's address (zero in a NAK and in the ACK to an INFORM).
    public var yourAddress: IPv4Address
    /// Whether options 51 (lease) and the configuration options are included: not in a NAK; an ACK to an
    /// INFORM carries the configuration but no lease (RFC 2131 3.4).
    public var includesLease: Bool
    public var includesConfiguration: Bool

    public init(type: DHCPMessageType, yourAddress: IPv4Address, includesLease: Bool, includesConfiguration: Bool) {
        self.type = type
        self.yourAddress = yourAddress
        self.includesLease = includesLease
        self.includesConfiguration = includesConfiguration
    }
}

public enum DHCPMessage {
    public static let serverPort: UInt16 = 67
    public static let clientPort: UInt16 = 68
    public static let magicCookie: UInt32 = 0x6382_5363
    /// The fixed BOOTP fields (op ... file) before the magic cookie.
    public static let fixedLength = 236
    /// The largest DHCP message (BOOTP fields and options) accepted in a request; clients send about 300
    /// bytes, and RFC 2131 only requires a server to accept 576-byte IP datagrams (548 bytes of DHCP).
    public static let maximumRequest = 1024
    /// Replies are padded to at least this many bytes of DHCP message, the BOOTP minimum that some
    /// clients and relays still expect (RFC 1542 2.1).
    public static let minimumReply = 300

    /// Reads the DHCP request in `frame[0 ..< length]`, whose IPv4 header starts at `l3` (14, or 18 behind
    /// an 802.1Q tag). Reads nothing outside the frame.
    public static func parseRequest(
        _ frame: UnsafeRawPointer, length: Int, l3: Int
    ) -> Result<DHCPRequest, DHCPRequestError> {
        guard l3 >= 14, length >= l3 + 20, Wire.u16(frame, l3 - 2) == EtherType.ipv4 else {
            return .failure(.notRequest)
        }
        let ip = frame + l3
        let headerLength = Int(Wire.u8(ip, 0) & 0x0f) * 4
        let totalLength = Int(Wire.u16(ip, 2))
        guard Wire.u8(ip, 0) >> 4 == 4, headerLength >= 20, Wire.u8(ip, 9) == 17,
            Wire.u16(ip, 6) & 0x3fff == 0, totalLength >= headerLength + 8, l3 + totalLength <= length
        else { return .failure(.notRequest) }
        let udp = ip + headerLength
        let udpLength = Int(Wire.u16(udp, 4))
        guard Wire.u16(udp, 0) == clientPort, Wire.u16(udp, 2) == serverPort, udpLength >= 8,
            udpLength <= totalLength - headerLength
        else { return .failure(.notRequest) }
        let message = udp + 8
        let messageLength = udpLength - 8
        guard messageLength <= maximumRequest else { return .failure(.oversized) }
        guard messageLength >= fixedLength + 4 else { return .failure(.truncated) }
        guard Wire.u8(message, 0) == 1, Wire.u8(message, 1) == 1, Wire.u8(message, 2) == 6 else {
            return .failure(.notBootRequest)
        }
        guard Wire.u32(message, fixedLength) == magicCookie else { return .failure(.badMagic) }

        var type: UInt8?
        var requested: IPv4Address?
        var server: IPv4Address?
        var clientIdentifier: [UInt8]?
        var hostname: [UInt8]?
        var offset = fixedLength + 4
        while offset < messageLength {
            let code = Wire.u8(message, offset)
            if code == 255 { break }
            if code == 0 {
                offset += 1
                continue
            }
            guard offset + 2 <= messageLength else { return .failure(.badOption) }
            let optionLength = Int(Wire.u8(message, offset + 1))
            let value = offset + 2
            guard value + optionLength <= messageLength else { return .failure(.badOption) }
            switch code {
            case 53:
                guard optionLength == 1 else { return .failure(.badOption) }
                type = Wire.u8(message, value)
            case 50:
                guard optionLength == 4 else { return .failure(.badOption) }
                requested = IPv4Address(message + value)
            case 54:
                guard optionLength == 4 else { return .failure(.badOption) }
                server = IPv4Address(message + value)
            case 61:
                guard optionLength >= 2 else { return .failure(.badOption) }
                clientIdentifier = bytes(message + value, optionLength)
            case 12:
                guard optionLength >= 1 else { return .failure(.badOption) }
                hostname = bytes(message + value, optionLength)
            default:
                break
            }
            offset = value + optionLength
        }
        guard let type, let messageType = DHCPMessageType(rawValue: type),
            messageType != .offer, messageType != .ack, messageType != .nak
        else { return .failure(.badMessageType) }
        let relay = IPv4Address(message + 24)
        guard relay.rawValue == 0 else { return .failure(.relayed) }
        return .success(
            DHCPRequest(
                type: messageType, transactionID: Wire.u32(message, 4), flags: Wire.u16(message, 10),
                clientAddress: IPv4Address(message + 12), relayAddress: relay,
                clientMAC: EthernetAddress(message + 28), requestedAddress: requested,
                serverIdentifier: server, clientIdentifier: clientIdentifier, hostname: hostname))
    }

    /// Where a reply goes (RFC 2131 4.1, for a request without a relay): a NAK is broadcast; a client that
    /// has an address (`ciaddr`) gets a unicast to it; one that set the broadcast flag gets a broadcast;
    /// anything else is unicast to `yiaddr` at the client's MAC (the client accepts it before configuring).
    public static func destination(
        of reply: DHCPReply, to request: DHCPRequest
    ) -> (mac: EthernetAddress, address: IPv4Address) {
        if reply.type == .nak { return (.broadcast, IPv4Address(rawValue: .max)) }
        if request.clientAddress.rawValue != 0 { return (request.clientMAC, request.clientAddress) }
        if request.wantsBroadcast || reply.yourAddress.rawValue == 0 {
            return (.broadcast, IPv4Address(rawValue: .max))
        }
        return (request.clientMAC, reply.yourAddress)
    }

    /// The length of the frame `writeReply` writes, or nil if the options do not fit one option each
    /// (a domain or route list longer than 255 bytes).
    public static func replyLength(
        _ reply: DHCPReply, to request: DHCPRequest, options: DHCPServerOptions, vlan: UInt16
    )
        -> Int?
    {
        guard let optionBytes = self.options(of: reply, to: request, server: options) else { return nil }
        let message = max(fixedLength + 4 + optionBytes.count, minimumReply)
        return (vlan == 0 ? 14 : 18) + 20 + 8 + message
    }

    /// Writes the reply frame (Ethernet, an 802.1Q tag unless `vlan` is 0, IPv4, UDP 67 → 68 with its
    /// checksum, the DHCP message) at `frame`; returns its length, or nil (nothing written) when it does
    /// not fit `capacity` or the options cannot be encoded.
    public static func writeReply(
        _ reply: DHCPReply, to request: DHCPRequest, options server: DHCPServerOptions, vlan: UInt16,
        into frame: UnsafeMutableRawPointer, capacity: Int
    ) -> Int? {
        guard let optionBytes = options(of: reply, to: request, server: server) else { return nil }
        let messageLength = max(fixedLength + 4 + optionBytes.count, minimumReply)
        let l3 = vlan == 0 ? 14 : 18
        let length = l3 + 20 + 8 + messageLength
        guard length <= capacity else { return nil }
        frame.initializeMemory(as: UInt8.self, repeating: 0, count: length)
        let (mac, address) = destination(of: reply, to: request)
        mac.write(to: frame)
        server.serverMAC.write(to: frame + 6)
        if vlan != 0 {
            Wire.store16(EtherType.vlan, frame, 12)
            Wire.store16(vlan & 0x0fff, frame, 14)
        }
        Wire.store16(EtherType.ipv4, frame, l3 - 2)

        let ip = frame + l3
        Wire.store16(0x4500, ip, 0)
        Wire.store16(UInt16(20 + 8 + messageLength), ip, 2)
        Wire.store16(UInt16(64) << 8 | 17, ip, 8)  // TTL 64, UDP
        server.serverAddress.write(to: ip + 12)
        address.write(to: ip + 16)
        Wire.store16(LocalReplies.headerChecksum(ip, length: 20), ip, 10)

        let udp = ip + 20
        Wire.store16(serverPort, udp, 0)
        Wire.store16(clientPort, udp, 2)
        Wire.store16(UInt16(8 + messageLength), udp, 4)

        let message = udp + 8
        Wire.store32(0x0201_0600, message, 0)  // BOOTREPLY, Ethernet, 6-byte addresses, 0 hops
        Wire.store32(request.transactionID, message, 4)
        Wire.store16(request.flags, message, 10)
        if reply.type == .ack { request.clientAddress.write(to: message + 12) }  // RFC 2131 table 3
        reply.yourAddress.write(to: message + 16)
        request.relayAddress.write(to: message + 24)
        request.clientMAC.write(to: message + 28)
        Wire.store32(magicCookie, message, fixedLength)
        optionBytes.withUnsafeBytes { raw in
            (message + fixedLength + 4).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        }
        Wire.store16(udpChecksum(ip), udp, 6)
        return length
    }

    /// The options of a reply, in the order written: 53, 54, then (not in a NAK) 51 unless the reply
    /// answers an INFORM, 1, 3, 6, 15, 26, 121; 61 echoed when the client sent it; 255.
    static func options(of reply: DHCPReply, to request: DHCPRequest, server: DHCPServerOptions) -> [UInt8]? {
        var out: [UInt8] = [53, 1, reply.type.rawValue]
        out += [54, 4] + be32(server.serverAddress.rawValue)
        if reply.includesLease { out += [51, 4] + be32(server.leaseSeconds) }
        if reply.includesConfiguration {
            out += [1, 4] + be32(server.subnetMask.rawValue)
            if let router = server.router { out += [3, 4] + be32(router.rawValue) }
            if !server.dnsServers.isEmpty {
                guard server.dnsServers.count <= 63 else { return nil }
                out += [6, UInt8(server.dnsServers.count * 4)] + server.dnsServers.flatMap { be32($0.rawValue) }
            }
            if let domain = server.domain {
                let bytes = Array(domain.utf8)
                guard !bytes.isEmpty, bytes.count <= 255 else { return nil }
                out += [15, UInt8(bytes.count)] + bytes
            }
            if let mtu = server.mtu { out += [26, 2, UInt8(mtu >> 8), UInt8(mtu & 0xff)] }
            if !server.routes.isEmpty {
                var routes = server.routes
                if let router = server.router, !routes.contains(where: { $0.prefixLength == 0 }) {
                    routes.append(DHCPRoute(destination: IPv4Address(rawValue: 0), prefixLength: 0, gateway: router))
                }
                var encoded: [UInt8] = []
                for route in routes {
                    guard (0...32).contains(route.prefixLength) else { return nil }
                    let significant = (route.prefixLength + 7) / 8
                    encoded.append(UInt8(route.prefixLength))
                    let mask = route.prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - route.prefixLength)
                    encoded += be32(route.destination.rawValue & mask).prefix(significant)
                    encoded += be32(route.gateway.rawValue)
                }
                guard encoded.count <= 255 else { return nil }
                out += [121, UInt8(encoded.count)] + encoded
            }
        }
        if let identifier = request.clientIdentifier, identifier.count <= 255 {
            out += [61, UInt8(identifier.count)] + identifier
        }
        out.append(255)
        return out
    }

    /// The UDP checksum of the datagram behind the 20-byte IPv4 header at `ip` (pseudo-header included);
    /// 0xffff stands for a computed zero (RFC 768).
    static func udpChecksum(_ ip: UnsafeRawPointer) -> UInt16 {
        let udp = ip + 20
        let udpLength = Int(Wire.u16(udp, 4))
        var sum: UInt32 = 0
        for i in stride(from: 12, to: 20, by: 2) { sum &+= UInt32(Wire.u16(ip, i)) }
        sum &+= 17 &+ UInt32(udpLength)
        var i = 0
        while i + 1 < udpLength {
            if i != 6 { sum &+= UInt32(Wire.u16(udp, i)) }
            i += 2
        }
        if i < udpLength { sum &+= UInt32(Wire.u8(udp, i)) << 8 }
        while sum > 0xffff { sum = (sum & 0xffff) &+ (sum >> 16) }
        let result = ~UInt16(truncatingIfNeeded: sum)
        return result == 0 ? 0xffff : result
    }

    private static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    private static func bytes(_ pointer: UnsafeRawPointer, _ count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
