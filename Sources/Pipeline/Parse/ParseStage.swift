import DPDK
import Packet

/// Parses every packet once (Ethernet, 802.1Q, ARP, IPv4/IPv6, TCP/UDP/ICMP, VXLAN) into its metadata, which
/// every later stage reads instead of re-parsing. Malformed frames are dropped under the parser's reason.
public struct ParseStage: PipelineStage, ~Copyable {
    public static let name = "parse"
    /// A malformed frame is dropped under the parser's reason, named as the parser names it.
    public typealias Drop = ParseError

    public let counters: Counters

    public init() { counters = Self.allocateCounters() }

    /// Reads no configuration tables (the MAC table is not part of a generation).
    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {}

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        var kept = 0
        let count = burst.count
        for i in 0..<count {
            let mbuf = burst.packets[i]
            // Headers are parsed from the first segment; drivers deliver frames up to the MTU in one.
            if let error = PacketParser.parse(
                UnsafeRawPointer(mbuf.data), length: mbuf.dataLength, into: &burst.meta[i].headers)
            {
                counters.drop(error)
                burst.drop(i)
            } else {
                burst.keep(i, at: &kept)
            }
        }
        burst.endCompaction(keeping: kept)
    }
}

/// The parser's errors are the parse stage's drop reasons: numbered from 0 in declaration order, with their
/// kebab-case names.
extension ParseError: StageReason {}
