import DPDK
import Packet

/// MAC learning and forwarding per VLAN: learns each frame's source MAC on its ingress port, then sends
/// known unicast to the port that owns the destination and floods broadcast, multicast and unknown unicast
/// to the VLAN's other ports (the transmit stage expands floods). The table is shared by all PMDs.
///
/// Owners: a packet's source owner is its ingress port, or the remote VTEP it was decapsulated from
/// (`PacketMeta.source`, set by the VXLAN decap stage); a destination learned behind a remote VTEP gets that
/// VTEP's owner (`MACOwner.remoteVTEP`) as egress, for the VXLAN encap stage. Between two remote VTEPs the
/// frame is dropped (`split-horizon`).
public struct L2Stage: PipelineStage, ~Copyable {
    public static let name = "l2"
    public enum Drop: Int, StageReason {
        /// The destination was learned on the ingress port itself (it hears its own segment).
        case samePort
        /// A frame from a remote VTEP whose destination is learned behind a remote VTEP: a frame that came
        /// through the tunnel never goes back into it (split horizon; the VTEPs form a full mesh).
        case splitHorizon

        public var name: String {
            switch self {
            case .samePort: "same-port"
            case .splitHorizon: "split-horizon"
            }
        }
    }
    public enum Event: Int, StageReason {
        case learned, moved, limit, tableFull, staticConflict, flooded, unknownUnicast

        public var name: String {
            switch self {
            case .learned: "learned"
            case .moved: "moved"
            case .limit: "learn-limit"
            case .tableFull: "table-full"
            case .staticConflict: "static-conflict"
            case .flooded: "flooded"
            case .unknownUnicast: "unknown-unicast"
            }
        }
    }

    public let counters: Counters
    @usableFromInline let table: MACTableView
    @usableFromInline let tscHz: UInt64
    /// The learning clock (seconds since the TSC's epoch) and the TSC value at which it next ticks: the
    /// division is done once a second, not once per burst.
    @usableFromInline var clockSeconds: UInt32 = 0
    @usableFromInline var nextTick: UInt64 = 0

    public init(table: MACTableView, tscHz: UInt64) {
        self.table = table
        self.tscHz = max(tscHz, 1)
        counters = Self.allocateCounters()
    }

    /// Reads no configuration tables (the MAC table is not part of a generation).
    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {}

    /// Learning time in seconds: the same clock as the control thread's aging (TSC / TSC rate).
    @inlinable @inline(__always)
    mutating func learningClock() -> UInt32 {
        let tsc = readTSC()
        if tsc >= nextTick {
            let seconds = tsc / tscHz
            clockSeconds = UInt32(truncatingIfNeeded: seconds)
            nextTick = (seconds &+ 1) &* tscHz
        }
        return clockSeconds
    }

    /// Counts the event of a learn that changed something (or could not).
    @inlinable @inline(__always)
    func countEvent(of result: MACLearnResult) {
        switch result {
        case .learned: counters.event(.learned)
        case .moved: counters.event(.moved)
        case .limitReached: counters.event(.limit)
        case .tableFull: counters.event(.tableFull)
        case .staticConflict: counters.event(.staticConflict)
        default: break
        }
    }

    /// One pass: per packet, the learn of the source, then the lookup of the destination, both from home
    /// slots computed up front so that the two hashes overlap. Tried and measured no faster with tables
    /// that fit the caches (a table sized for a few thousand MACs): computing and prefetching the slots of
    /// the whole burst (or of the next packet) before probing, and comparing four slots per probe without
    /// a branch per slot.
    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let ingress = burst.ingress
        let now = learningClock()
        let t = table
        let count = burst.count
        var kept = 0
        var flooded: UInt64 = 0
        var unknown: UInt64 = 0
        for i in 0..<count {
            let frame = UnsafeRawPointer(burst.packets[i].data)
            let vlan = burst.meta[i].vlan
            let marked = burst.meta[i].source
            let owner = marked == PacketMeta.burstIngress ? ingress : marked
            // Parsed frames are at least 14 bytes: both 8-byte loads stay inside the Ethernet header.
            let source = MACTableKey.make(vlan: vlan, mac: MACTableKey.mac(fromBytesFollowedByTwoMore: frame + 6))
            let destination = MACTableKey.make(vlan: vlan, mac: MACTableKey.mac(fromBytesFollowedByTwoMore: frame))
            let sourceHome = t.homeSlot(of: source)
            let destinationHome = t.homeSlot(of: destination)
            if MACTableKey.isLearnableSource(source) {
                let learned = t.learn(key: source, home: sourceHome, port: owner, now: now)
                if _slowPath(learned != .unchanged) { countEvent(of: learned) }
            }
            if destination & MACTableKey.groupBit != 0 {
                burst.meta[i].egress = PacketMeta.flood
                flooded &+= 1
            } else if let port = t.lookup(key: destination, home: destinationHome) {
                if port == owner {
                    counters.drop(.samePort)
                    burst.drop(i)
                    continue
                }
                if _slowPath(MACOwner.isRemoteVTEP(port) && MACOwner.isRemoteVTEP(owner)) {
                    counters.drop(.splitHorizon)
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
        if flooded > 0 { counters.event(.flooded, count: flooded) }
        if unknown > 0 { counters.event(.unknownUnicast, count: unknown) }
    }
}
