import Config
import Packet
import Pipeline

/// The DHCP responder on the control thread (the DHCP punt handler, `PuntKind.dhcp`): it reads a punted
/// request (`DHCPMessage.parseRequest`), decides with `DHCPResponder` from the port's one address, writes the
/// reply frame, answers ARP for the VLAN's server address, and keeps what `dhcp.show` reports (each port's
/// last lease, client id, hostname, state) and counts every refusal by name. It works on plain memory with
/// the caller's clock, so it is tested without DPDK; `Dataplane` moves the mbufs (DHCPGeneration.swift).
public final class DHCPServer {
    /// What the responder serves on one port slot, as of the current generation.
    public struct Binding: Equatable, Sendable {
        public var port: String
        public var address: IPv4Address
        /// "static" or "auto".
        public var mode: String
        public var network: DHCPNetworkConfig

        public init(port: String, address: IPv4Address, mode: String, network: DHCPNetworkConfig) {
            self.port = port
            self.address = address
            self.mode = mode
            self.network = network
        }
    }

    /// What a port's client last did, for `dhcp.show`.
    public struct ClientState: Equatable, Sendable {
        /// "offered", "bound", "released", "declined" or "nak" (the client asked for another address).
        public var state: String
        public var clientMAC: EthernetAddress
        /// Option 61 as hex, option 12 as text (never echoed; display only).
        public var clientID: String?
        public var hostname: String?
        /// When the last ACK with a lease was sent (the caller's clock, seconds), and its length.
        public var leasedAt: Double?
        public var leaseSeconds: Int?
        /// When anything was last heard from the client.
        public var lastSeen: Double
    }

    /// Bindings by port slot.
    public private(set) var bindings: [UInt16: Binding] = [:]
    /// Each port's client, by port name (kept while the port has DHCP).
    public private(set) var clients: [String: ClientState] = [:]
    /// Counters by name: every refusal (`DHCPRequestError` names, `DHCPIgnoreReason` names, and the
    /// handler's own: "dhcp-port-not-served", "dhcp-reply-unwritable", "dhcp-reply-no-mbuf"), the replies sent by type
    /// ("offer", "ack", "nak"), "release", "decline", "arp-answered".
    public private(set) var counters: [String: UInt64] = [:]

    /// The room a caller gives `handle` for a reply: the longest reply (every option at its largest) fits.
    public static let replyCapacity = 1600

    public init() {}

    /// A reply that could not be sent: no mbuf free in the pool.
    public func countUnsent() { count("dhcp-reply-no-mbuf") }

    /// Takes the bindings of a new generation; clients of ports no longer served are forgotten.
    public func configure(_ bindings: [UInt16: Binding]) {
        self.bindings = bindings
        let served = Set(bindings.values.map(\.port))
        clients = clients.filter { served.contains($0.key) }
    }

    func count(_ name: String) { counters[name, default: 0] += 1 }

    /// Answers the punted `frame[0 ..< length]` from port slot `slot`: the reply's length written at `reply`
    /// (room for `capacity` bytes), or nil when nothing is to be sent (counted).
    public func handle(
        _ frame: UnsafeRawPointer, length: Int, slot: UInt16, now: Double, reply: UnsafeMutableRawPointer,
        capacity: Int
    ) -> Int? {
        guard let binding = bindings[slot] else {
            count("dhcp-port-not-served")
            return nil
        }
        // An access port: untagged frames, or priority-tagged ones.
        let l3 = length >= 14 && be16(frame, 12) == EtherType.vlan ? 18 : 14
        let network = binding.network
        if length >= l3 && be16(frame, l3 - 2) == EtherType.arp {
            guard length <= capacity else { return nil }
            reply.copyMemory(from: frame, byteCount: length)
            guard
                LocalReplies.answerARP(
                    reply, length: length, l3: l3, mac: network.serverMAC, address: network.server)
            else {
                count("arp-not-for-server")
                return nil
            }
            count("arp-answered")
            return length
        }
        let request: DHCPRequest
        switch DHCPMessage.parseRequest(frame, length: length, l3: l3) {
        case .success(let parsed): request = parsed
        case .failure(let error):
            count(error.name)
            return nil
        }
        var client =
            clients[binding.port]
            ?? ClientState(state: "new", clientMAC: request.clientMAC, lastSeen: now)
        client.clientMAC = request.clientMAC
        client.lastSeen = now
        if let id = request.clientIdentifier { client.clientID = id.map { hex($0) }.joined(separator: ":") }
        if let name = request.hostname {
            client.hostname = String(decoding: name.filter { $0 >= 0x20 && $0 < 0x7f }, as: UTF8.self)
        }
        defer { clients[binding.port] = client }
        switch DHCPResponder.respond(to: request, address: binding.address, server: network.server) {
        case .ignored(let reason):
            count(reason.name)
            return nil
        case .released:
            count("release")
            client.state = "released"
            return nil
        case .declined:
            count("decline")
            client.state = "declined"
            return nil
        case .reply(let answer):
            guard
                let written = DHCPMessage.writeReply(
                    answer, to: request, options: network.serverOptions, vlan: 0, into: reply, capacity: capacity)
            else {
                count("dhcp-reply-unwritable")
                return nil
            }
            count(answer.type.name)
            switch answer.type {
            case .offer: client.state = "offered"
            case .ack where answer.includesLease:
                client.state = "bound"
                client.leasedAt = now
                client.leaseSeconds = network.leaseSeconds
            case .nak: client.state = "nak"
            default: break
            }
            return written
        }
    }

    private func be16(_ frame: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(frame.load(fromByteOffset: offset, as: UInt8.self)) << 8
            | UInt16(frame.load(fromByteOffset: offset + 1, as: UInt8.self))
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
