import DPDK
import Packet

extension PuntKind {
    /// DHCP requests from ports with a DHCP address, for the responder on the control thread (docs/dhcp.md).
    @inlinable public static var dhcp: PuntKind { PuntKind(rawValue: 4) }
}

/// What the DHCP stage reads: the ports whose requests the responder answers, their rate limit and each
/// port's server address (copied into the stage; `servers` is the generation's memory, see `DHCPTables`).
public struct DHCPView: @unchecked Sendable {
    // @unchecked: `servers` is read-only once published.
    /// The ports whose requests are taken out of the bridge and punted (owned by the generation's tables).
    public var enabled: PortSet
    /// By port slot (`PortLimit.maxPorts` entries), the server address of the port's VLAN (0: none): ARP
    /// requests for it from an enabled port are punted too, so the responder answers them. Nil: no ARP
    /// is punted.
    public var servers: UnsafePointer<UInt32>?
    /// Each port's request limit, per PMD (bucket of packets).
    public var bucket: TokenBucketSpec
    /// Longer frames are dropped (`dhcp-oversized`): the Ethernet header, a tag, IPv4 and UDP headers and
    /// `DHCPMessage.maximumRequest` bytes of DHCP (IPv4 options make it longer: those are dropped too).
    public var maximumFrame: Int

    public init(
        enabled: PortSet, bucket: TokenBucketSpec, maximumFrame: Int = Self.defaultMaximumFrame,
        servers: UnsafePointer<UInt32>? = nil
    ) {
        self.enabled = enabled
        self.servers = servers
        self.bucket = bucket
        self.maximumFrame = maximumFrame
    }

    @inlinable public static var defaultMaximumFrame: Int { 18 + 20 + 8 + DHCPMessage.maximumRequest }

    /// Requests per second and burst of the default per-port limit.
    @inlinable public static var defaultRate: UInt64 { 10 }
    @inlinable public static var defaultBurst: UInt64 { 20 }

    /// Whether requests from port slot `ingress` are punted.
    @inlinable @inline(__always)
    public func serves(_ ingress: UInt16) -> Bool {
        Int(ingress) < PortLimit.maxPorts && enabled.contains(Int(ingress))
    }

    /// No port enabled (the bucket is never used).
    public static var disabled: DHCPView { off(tscHz: 1) }

    /// No port enabled.
    public static func off(tscHz: UInt64) -> DHCPView {
        DHCPView(
            enabled: .none,
            bucket: TokenBucketSpec(tokens: defaultRate, size: defaultBurst, oneTimeBurst: 0, tscHz: tscHz))
    }
}

/// The DHCP stage, after `vlan` (so that a request's VLAN is known, and port security has checked its
/// source MAC): on ports with a DHCP address, IPv4 UDP requests from port 68 to port 67 are taken out of the
/// bridge and punted to the responder on the control thread, at most `bucket`'s rate per port (the excess is
/// dropped, `dhcp-rate-limited`). Every other packet, and every burst from a port without DHCP (one mask test
/// per burst), passes untouched: those requests go on to a DHCP server on the uplink as before.
///
/// ARP requests from those ports for their VLAN's server address are punted the same way (same bucket), so
/// that the responder answers them: a renewing client unicasts to the server.
///
/// The request itself is read on the control thread (`DHCPMessage.parseRequest`, whose refusals the handler
/// counts); the stage only refuses what is too long to be one. `SwitchPipeline` calls it only for bursts
/// from enabled ports that hold a request or an ARP frame (`wants`), so other bursts pay one test.
public struct DHCPStage: PipelineStage, ~Copyable {
    public static let name = "dhcp"
    public enum Drop: Int, StageReason {
        /// Longer than `DHCPView.maximumFrame`.
        case oversized
        /// Over the port's request rate.
        case rateLimited
        /// The punt ring to the control thread was full, or the PMD has none.
        case puntRingFull

        public var name: String {
            switch self {
            case .oversized: "dhcp-oversized"
            case .rateLimited: "dhcp-rate-limited"
            case .puntRingFull: "dhcp-punt-ring-full"
            }
        }
    }
    public enum Event: Int, StageReason {
        /// Requests handed to the responder.
        case punted

        public var name: String {
            switch self {
            case .punted: "dhcp-punted"
            }
        }
    }

    public let counters: Counters
    @usableFromInline var view: DHCPView
    @usableFromInline let punt: PuntPath?
    /// Each port's bucket on this PMD: its empty time (see `TokenBucketSpec`), then its one-time burst.
    @usableFromInline let buckets: UnsafeMutablePointer<UInt64>

    /// - Parameters:
    ///   - view: the ports and the limit (until a generation is bound, once generations carry them).
    ///   - punt: this PMD's punt path.
    ///   - tsc: now; every bucket starts full.
    public init(view: DHCPView, punt: PuntPath?, tsc: UInt64) {
        self.view = view
        self.punt = punt
        counters = Self.allocateCounters()
        buckets = .allocate(capacity: 2 * PortLimit.maxPorts)
        let full = view.bucket.fullEmptyTime(at: tsc)
        for slot in 0..<PortLimit.maxPorts {
            buckets[2 * slot] = full
            buckets[2 * slot + 1] = 0
        }
    }

    deinit { buckets.deallocate() }

    /// The generation's ports and limit (the buckets' state stays).
    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) { view = tables.dhcp }

    /// Whether bursts from `ingress` go through the stage.
    @inlinable @inline(__always)
    public func serves(_ ingress: UInt16) -> Bool { view.serves(ingress) }

    /// Whether `burst` (parsed) needs the stage: from a port with DHCP, holding a DHCP client message or an
    /// ARP frame (`PacketBurst.parsed`). For any other burst the stage would keep every packet.
    @inlinable @inline(__always)
    public func wants(_ burst: borrowing PacketBurst) -> Bool {
        view.serves(burst.ingress)
            && burst.parsed.holdsAny(
                of: HeaderFlags(rawValue: HeaderFlags.dhcpClient.rawValue | HeaderFlags.arp.rawValue))
    }

    /// Whether packet `i` (parsed) is an ARP request for `server` (not 0).
    @inlinable @inline(__always)
    static func isServerARP(_ burst: borrowing PacketBurst, _ i: Int, server: UInt32) -> Bool {
        let headers = burst.meta[i].headers
        guard headers.flags.contains(.arp), server != 0, burst.packets[i].dataLength >= Int(headers.l3Offset) + 28
        else { return false }
        let arp = burst.packets[i].data + Int(headers.l3Offset)
        // Operation 1 (request) at 6, target protocol address at 24.
        return UInt16(bigEndian: arp.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) == 1
            && UInt32(bigEndian: arp.loadUnaligned(fromByteOffset: 24, as: UInt32.self)) == server
    }

    /// Whether packet `i` (parsed) is an IPv4 UDP datagram from port 68 to port 67, not a fragment (the
    /// parser's `dhcpClient`).
    @inlinable @inline(__always)
    static func isRequest(_ burst: borrowing PacketBurst, _ i: Int) -> Bool {
        burst.meta[i].headers.flags.contains(.dhcpClient)
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let ingress = burst.ingress
        guard view.serves(ingress) else { return }
        let count = burst.count
        var kept = 0
        var punted: UInt64 = 0
        var t: UInt64 = 0
        let server = view.servers?[Int(ingress)] ?? 0
        for i in 0..<count {
            guard Self.isRequest(burst, i) || Self.isServerARP(burst, i, server: server) else {
                burst.keep(i, at: &kept)
                continue
            }
            let mbuf = burst.packets[i]
            if mbuf.packetLength > view.maximumFrame {
                counters.drop(.oversized)
                burst.drop(i)
                continue
            }
            if t == 0 { t = TokenBucketSpec.scaled(readTSC()) }
            let slot = 2 * Int(ingress)
            guard view.bucket.take(1, at: t, emptyTime: &buckets[slot], oneTime: &buckets[slot + 1]) else {
                counters.drop(.rateLimited)
                burst.drop(i)
                continue
            }
            guard let punt, punt.punt(mbuf.raw, kind: .dhcp, port: ingress) else {
                counters.drop(.puntRingFull)
                burst.drop(i)
                continue
            }
            // The control thread owns it now: neither kept nor dropped.
            punted &+= 1
        }
        burst.endCompaction(keeping: kept)
        if punted > 0 { counters.event(.punted, count: punted) }
    }
}
