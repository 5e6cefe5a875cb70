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

    /// One pass: per packet, the learn of the source, then the lookup of the destination. Tried and measured
    /// no faster with tables that fit the caches (a table sized for a few thousand MACs): computing and
    /// prefetching the slots of the whole burst (or of the next packet) before probing, and comparing four
    /// slots per probe without a branch per slot.
    ///
    /// A burst is often one conversation (a guest sending to one peer): when its first and last frames carry
    /// the same two MAC addresses, the pass runs in its `conversation` form, in which a packet whose source
    /// (with its owner) or destination is the previous packet's reuses that learn or lookup, as VPP's l2-learn
    /// and l2-fwd nodes cache their last key. Other bursts take the plain form: a cache that mostly misses
    /// measured 1.7 cycles/packet dearer (the two hashes no longer overlap).
    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let count = burst.count
        guard count > 0 else { return }
        let first = UnsafeRawPointer(burst.packets[0].data)
        let last = UnsafeRawPointer(burst.packets[count &- 1].data)
        // Destination and source: the first 12 bytes, as an 8-byte and a 4-byte load.
        let sameEnds =
            first.loadUnaligned(as: UInt64.self) == last.loadUnaligned(as: UInt64.self)
            && first.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
                == last.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        let now = learningClock()
        if count > 1 && sameEnds {
            learnAndForwardConversation(&burst, now: now)
        } else {
            learnAndForward(&burst, now: now)
        }
    }

    /// The plain pass of `process`: every packet's source learned and destination looked up, the two home
    /// slots computed up front so that the hashes overlap.
    @inlinable @inline(__always)
    mutating func learnAndForward(_ burst: inout PacketBurst, now: UInt32) {
        let ingress = burst.ingress
        let t = table
        var tally = PassTally()
        for i in 0..<burst.count {
            let (source, destination, owner) = keys(of: burst, i, ingress: ingress)
            let sourceHome = t.homeSlot(of: source)
            let destinationHome = t.homeSlot(of: destination)
            if MACTableKey.isLearnableSource(source) {
                let learned = t.learn(key: source, home: sourceHome, port: owner, now: now)
                if _slowPath(learned != .unchanged) { countEvent(of: learned) }
            }
            if destination & MACTableKey.groupBit != 0 {
                flood(&burst, i, unknown: false, tally: &tally)
            } else if let port = t.lookup(key: destination, home: destinationHome) {
                send(&burst, i, to: port, owner: owner, tally: &tally)
            } else {
                flood(&burst, i, unknown: true, tally: &tally)
            }
        }
        finish(&burst, tally: tally)
    }

    /// The pass of `process` for a burst that looks like one conversation: a packet whose source (with its
    /// owner) or destination is the previous packet's reuses that learn or lookup. The answers are the ones
    /// the table would give: `now` is fixed for the burst, a learn that left the source on its owner makes the
    /// next learn of it `unchanged`, a learn that created or moved an entry forgets the cached destination, and
    /// a refused learn (limit, full table, static conflict, paused) is tried and counted again for the next
    /// packet. Only another thread's change to the same entry within the burst is seen one burst later, as
    /// for any packet it races with. Out of line: inlined, it made the plain path's whole burst (the PMD loop
    /// is one function) measurably slower.
    @inlinable @inline(never)
    mutating func learnAndForwardConversation(_ burst: inout PacketBurst, now: UInt32) {
        // Never a key (`MACTableKey.make` masks the VLAN id to 12 bits): the first packet misses both caches.
        let noKey = UInt64.max
        var cachedSource = noKey
        var cachedOwner: UInt16 = 0
        var cachedDestination = noKey
        var cachedPort: UInt16? = nil
        let ingress = burst.ingress
        let t = table
        var tally = PassTally()
        for i in 0..<burst.count {
            let (source, destination, owner) = keys(of: burst, i, ingress: ingress)
            if source != cachedSource || owner != cachedOwner {
                cachedSource = source
                cachedOwner = owner
                if MACTableKey.isLearnableSource(source) {
                    let learned = t.learn(key: source, home: t.homeSlot(of: source), port: owner, now: now)
                    if _slowPath(learned != .unchanged) {
                        countEvent(of: learned)
                        if learned != .refreshed { cachedDestination = noKey }
                        if learned != .refreshed && learned != .learned && learned != .moved { cachedSource = noKey }
                    }
                }
            }
            if destination & MACTableKey.groupBit != 0 {
                flood(&burst, i, unknown: false, tally: &tally)
                continue
            }
            if destination != cachedDestination {
                cachedDestination = destination
                cachedPort = t.lookup(key: destination, home: t.homeSlot(of: destination))
            }
            if let port = cachedPort {
                send(&burst, i, to: port, owner: owner, tally: &tally)
            } else {
                flood(&burst, i, unknown: true, tally: &tally)
            }
        }
        finish(&burst, tally: tally)
    }

    /// A pass's packets kept so far (compacted to the front of the burst) and its floods, counted once per burst.
    @usableFromInline struct PassTally {
        @usableFromInline var kept = 0
        @usableFromInline var flooded: UInt64 = 0
        @usableFromInline var unknown: UInt64 = 0
        @inlinable init() {}
    }

    /// Packet `i`'s source and destination keys and its source owner: its ingress port, or the remote VTEP
    /// the VXLAN decap stage marked.
    @inlinable @inline(__always)
    func keys(of burst: borrowing PacketBurst, _ i: Int, ingress: UInt16) -> (UInt64, UInt64, UInt16) {
        let frame = UnsafeRawPointer(burst.packets[i].data)
        let vlan = burst.meta[i].vlan
        let marked = burst.meta[i].source
        let owner = marked == PacketMeta.burstIngress ? ingress : marked
        // Parsed frames are at least 14 bytes: both 8-byte loads stay inside the Ethernet header.
        let source = MACTableKey.make(vlan: vlan, mac: MACTableKey.mac(fromBytesFollowedByTwoMore: frame + 6))
        let destination = MACTableKey.make(vlan: vlan, mac: MACTableKey.mac(fromBytesFollowedByTwoMore: frame))
        return (source, destination, owner)
    }

    /// Known unicast: to `port`, unless that is where the packet came from (or a remote VTEP to a remote VTEP).
    @inlinable @inline(__always)
    func send(_ burst: inout PacketBurst, _ i: Int, to port: UInt16, owner: UInt16, tally: inout PassTally) {
        if port == owner {
            counters.drop(.samePort)
            burst.drop(i)
        } else if _slowPath(MACOwner.isRemoteVTEP(port) && MACOwner.isRemoteVTEP(owner)) {
            counters.drop(.splitHorizon)
            burst.drop(i)
        } else {
            burst.meta[i].egress = port
            burst.keep(i, at: &tally.kept)
        }
    }

    @inlinable @inline(__always)
    func flood(_ burst: inout PacketBurst, _ i: Int, unknown: Bool, tally: inout PassTally) {
        burst.meta[i].egress = PacketMeta.flood
        tally.flooded &+= 1
        if unknown { tally.unknown &+= 1 }
        burst.keep(i, at: &tally.kept)
    }

    @inlinable @inline(__always)
    func finish(_ burst: inout PacketBurst, tally: PassTally) {
        burst.endCompaction(keeping: tally.kept)
        if tally.flooded > 0 { counters.event(.flooded, count: tally.flooded) }
        if tally.unknown > 0 { counters.event(.unknownUnicast, count: tally.unknown) }
    }
}
