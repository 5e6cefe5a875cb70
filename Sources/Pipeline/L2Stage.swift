import DPDK
import Packet

/// MAC learning and forwarding per VLAN: learns each frame's source MAC on its ingress port, then sends
/// known unicast to the port that owns the destination and floods broadcast, multicast and unknown unicast
/// to the VLAN's other ports (the transmit stage expands floods). The table is shared by all PMDs.
public struct L2Stage: PipelineStage, ~Copyable {
    public static let name = "l2"
    /// `same-port`: the destination was learned on the ingress port itself (it hears its own segment).
    public static let dropReasons = ["same-port"]
    public static let eventNames = [
        "learned", "moved", "learn-limit", "table-full", "static-conflict", "flooded", "unknown-unicast",
    ]
    public enum Event {
        public static let learned = 0, moved = 1, limit = 2, tableFull = 3, staticConflict = 4
        public static let flooded = 5, unknownUnicast = 6
    }

    public let counters: StageCounters
    @usableFromInline let table: MACTableView
    @usableFromInline let tscHz: UInt64

    public init(table: MACTableView, tscHz: UInt64) {
        self.table = table
        self.tscHz = max(tscHz, 1)
        counters = Self.allocateCounters()
    }

    /// Reads no configuration tables (the MAC table is not part of a generation).
    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {}

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let ingress = burst.ingress
        // Learning time in seconds, once per burst: the same clock as the control thread's aging.
        let now = UInt32(truncatingIfNeeded: readTSC() / tscHz)
        var kept = 0
        var flooded: UInt64 = 0
        var unknown: UInt64 = 0
        for i in 0..<burst.count {
            let frame = UnsafeRawPointer(burst.packets[i].data)
            let vlan = burst.meta[i].vlan
            let source = MACTableKey.mac(fromBytes: frame + 6)
            if MACTableKey.isLearnableSource(source) {
                switch table.learn(vlan: vlan, mac: source, port: ingress, now: now) {
                case .learned: counters.event(Event.learned)
                case .moved: counters.event(Event.moved)
                case .limitReached: counters.event(Event.limit)
                case .tableFull: counters.event(Event.tableFull)
                case .staticConflict: counters.event(Event.staticConflict)
                default: break
                }
            }
            let destination = MACTableKey.mac(fromBytes: frame)
            if destination & MACTableKey.groupBit != 0 {
                burst.meta[i].egress = PacketMeta.flood
                flooded &+= 1
            } else if let port = table.lookup(vlan: vlan, mac: destination) {
                if port == ingress {
                    counters.drop(reason: 0)
                    burst.drop(i)
                    continue
                }
                burst.meta[i].egress = port
            } else {
                burst.meta[i].egress = PacketMeta.flood
                flooded &+= 1
                unknown &+= 1
            }
            burst.keep(i, at: &kept)
        }
        burst.endCompaction(keeping: kept)
        if flooded > 0 { counters.event(Event.flooded, count: flooded) }
        if unknown > 0 { counters.event(Event.unknownUnicast, count: unknown) }
    }
}
