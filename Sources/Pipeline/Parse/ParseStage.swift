import DPDK
import Packet

/// Parses every packet once (Ethernet, 802.1Q, ARP, IPv4/IPv6, TCP/UDP/ICMP, VXLAN) into its metadata, which
/// every later stage reads instead of re-parsing. Malformed frames are dropped under the parser's reason, and
/// so are frames the ingress port must refuse: a group (multicast or broadcast) source MAC
/// (`group-source-mac`), more bytes after the Ethernet header than the port's MTU (`exceeds-mtu`).
public struct ParseStage: PipelineStage, ~Copyable {
    public static let name = "parse"
    /// A malformed frame is dropped under the parser's reason, named as the parser names it.
    public typealias Drop = ParseError

    public let counters: Counters
    /// The bound generation's bridge rows, for the ingress port's MTU; nil (no MTU limit) until bound.
    @usableFromInline var ports: UnsafeMutablePointer<BridgePort>?
    @usableFromInline var portCount = 0
    /// The bound generation's metadata intercept and DHCP ports: for bursts from a port either serves, the
    /// stage notes what the burst holds (`PacketBurst.parsed`); other bursts pay nothing for it.
    @usableFromInline var metadata = MetadataView.off
    @usableFromInline var dhcp = DHCPView.disabled

    /// A stage without an MTU limit until it is bound to a generation.
    public init() { counters = Self.allocateCounters() }

    /// A stage that reads the ports' MTUs from `bridge`, the intercept from `metadata` and the DHCP ports from
    /// `dhcp` until it is bound to a generation.
    public init(bridge: BridgeView, metadata: MetadataView = .off, dhcp: DHCPView = .disabled) {
        ports = bridge.ports
        portCount = bridge.portCount
        self.metadata = metadata
        self.dhcp = dhcp
        counters = Self.allocateCounters()
    }

    /// Takes the ports' MTUs from the generation's bridge rows.
    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {
        ports = tables.bridge.ports
        portCount = tables.bridge.portCount
        metadata = tables.metadata
        dhcp = tables.dhcp
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        // One port per burst: its MTU is read once.
        let ingress = Int(burst.ingress)
        let mtu =
            ingress < portCount ? Int(ports.unsafelyUnwrapped[ingress].mtu) : PacketParser.maximumFrameLength
        // Two copies of the loop (the flag is a constant in each): ordinary ports' bursts keep the plain one.
        if dhcp.serves(burst.ingress) || metadata.servesVM(burst.ingress) {
            parseAll(&burst, mtu: mtu, summarize: true)
        } else {
            parseAll(&burst, mtu: mtu, summarize: false)
            // Nothing was noted: whoever reads it must assume anything (no stage does for these ports).
            burst.parsed = ParsedBurst(flags: HeaderFlags(rawValue: .max), toIntercept: true)
        }
    }

    /// Parses every packet of `burst`; with `summarize`, notes what it holds in `burst.parsed`.
    @inlinable @inline(__always)
    mutating func parseAll(_ burst: inout PacketBurst, mtu: Int, summarize: Bool) {
        var kept = 0
        let count = burst.count
        // The intercepted address as the frame holds it (0, never an intercepted address, for other ports).
        let watched = summarize && metadata.servesVM(burst.ingress) ? metadata.intercept.rawValue.bigEndian : 0
        var seen: UInt16 = 0
        var toIntercept = false
        for i in 0..<count {
            let mbuf = burst.packets[i]
            // Headers are parsed from the first segment; the MTU limits the whole frame (all segments).
            if let error = PacketParser.parse(
                UnsafeRawPointer(mbuf.data), length: mbuf.dataLength, frameLength: mbuf.packetLength, mtu: mtu,
                into: &burst.meta[i].headers)
            {
                counters.drop(error)
                burst.drop(i)
            } else {
                if summarize {
                    let headers = burst.meta[i].headers
                    seen |= headers.flags.rawValue
                    if watched != 0 && headers.flags.contains(.ipv4)
                        && mbuf.data.loadUnaligned(fromByteOffset: Int(headers.l3Offset) &+ 16, as: UInt32.self)
                            == watched
                    {
                        toIntercept = true
                    }
                }
                burst.keep(i, at: &kept)
            }
        }
        burst.endCompaction(keeping: kept)
        if summarize { burst.parsed = ParsedBurst(flags: HeaderFlags(rawValue: seen), toIntercept: toIntercept) }
    }
}

/// The parser's errors are the parse stage's drop reasons: numbered from 0 in declaration order, with their
/// kebab-case names.
extension ParseError: StageReason {}
