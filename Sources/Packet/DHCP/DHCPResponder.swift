/// What the responder does with a request from a port that has exactly one address (static or allocated):
/// the whole RFC 2131 server state machine for that case, as a pure function (docs/dhcp.md).
public enum DHCPResponder {
    /// The answer to `request` from a port whose address is `address`, served by `server` (option 54).
    ///
    /// - DISCOVER → OFFER of `address`.
    /// - REQUEST addressed to another server (option 54 differs) → ignored: the client chose that server.
    ///   Otherwise the address asked for (option 50, or `ciaddr` when renewing or rebinding) → ACK when it
    ///   is `address`, NAK when it is not or when none is named.
    /// - INFORM → ACK with the configuration and no lease, `yiaddr` zero (RFC 2131 3.4).
    /// - RELEASE of `address` (to this server or none named) → released; of anything else → ignored.
    /// - DECLINE (the client found the address in use) → declined: reported, nothing else changes, since the
    ///   port has no other address to offer.
    public static func respond(to request: DHCPRequest, address: IPv4Address, server: IPv4Address) -> DHCPOutcome {
        let forOtherServer = request.serverIdentifier.map { $0 != server } ?? false
        switch request.type {
        case .discover:
            return .reply(
                DHCPReply(type: .offer, yourAddress: address, includesLease: true, includesConfiguration: true))
        case .request:
            if forOtherServer { return .ignored(.otherServer) }
            let wanted =
                request.requestedAddress ?? (request.clientAddress.rawValue != 0 ? request.clientAddress : nil)
            if wanted == address {
                return .reply(
                    DHCPReply(type: .ack, yourAddress: address, includesLease: true, includesConfiguration: true))
            }
            return .reply(
                DHCPReply(
                    type: .nak, yourAddress: IPv4Address(rawValue: 0), includesLease: false,
                    includesConfiguration: false))
        case .inform:
            return .reply(
                DHCPReply(
                    type: .ack, yourAddress: IPv4Address(rawValue: 0), includesLease: false,
                    includesConfiguration: true))
        case .release:
            if forOtherServer { return .ignored(.otherServer) }
            return request.clientAddress == address ? .released(address) : .ignored(.notBound)
        case .decline:
            if forOtherServer { return .ignored(.otherServer) }
            return .declined(request.requestedAddress ?? address)
        case .offer, .ack, .nak:
            // parseRequest refuses these; a hand-made request gets no answer either.
            return .ignored(.serverMessage)
        }
    }
}

/// The responder's decision for one request.
public enum DHCPOutcome: Equatable, Sendable {
    /// Send this reply (`DHCPMessage.writeReply`).
    case reply(DHCPReply)
    /// The client gave its address back.
    case released(IPv4Address)
    /// The client reports the address in use by someone else.
    case declined(IPv4Address)
    /// No reply and nothing to record.
    case ignored(DHCPIgnoreReason)
}

/// Why a well-formed request gets no answer (counted, not dropped as malformed).
public enum DHCPIgnoreReason: Int, Sendable, CaseIterable {
    /// The client addressed another server (option 54).
    case otherServer
    /// A RELEASE of an address that is not the port's.
    case notBound
    /// An OFFER, ACK or NAK sent to the server.
    case serverMessage

    public var name: String {
        switch self {
        case .otherServer: "other-server"
        case .notBound: "release-not-bound"
        case .serverMessage: "server-message"
        }
    }
}
