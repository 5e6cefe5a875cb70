import Packet
import Synchronization

/// One flow of the metadata intercept as the NAT table remembers it: who asked, from which port, and the
/// Ethernet addresses the guest used (the reply goes back with them, swapped).
public struct MetadataFlow: Equatable, Sendable {
    /// The guest's TCP source port (kept through the rewrite: the key of the flow within its port).
    public var guestPort: UInt16
    /// The source address the guest used (what the reply is sent back to, whatever it is).
    public var guestAddress: IPv4Address
    /// The guest's MAC (the reply's destination) and the MAC it addressed (the reply's source).
    public var guestMAC: EthernetAddress
    public var addressedMAC: EthernetAddress
    /// A FIN or RST was seen (either way): the entry goes after the linger time.
    public var closing: Bool

    public init(
        guestPort: UInt16, guestAddress: IPv4Address, guestMAC: EthernetAddress, addressedMAC: EthernetAddress,
        closing: Bool = false
    ) {
        self.guestPort = guestPort
        self.guestAddress = guestAddress
        self.guestMAC = guestMAC
        self.addressedMAC = addressedMAC
        self.closing = closing
    }
}

/// The NAT table of the metadata intercept: per VM port slot, `entriesPerPort` entries found by the guest's
/// TCP source port (linear probing over `probes` entries). Shared by every PMD and outliving generations.
///
/// **Lock-free across PMDs.** A VM port and the service port may be polled by different PMDs (and a port
/// with several queues by several): each entry is one cache line of atomic words guarded by a sequence
/// number, a seqlock whose writers never wait. A writer (a PMD recording a request or a FIN/RST, or the
/// control thread expiring the entry) claims the entry by one compare-and-swap of the sequence from even to
/// odd, writes the words, and publishes with a release store of the next even value; a writer that loses the
/// claim gives up (the caller counts `nat-busy`) instead of spinning. A reader (the service port's PMD)
/// loads the sequence (acquire), the words (acquire), and the sequence again: equal and even, the flow is
/// consistent; otherwise it retries once, then treats the flow as unknown. The time of the last packet is
/// a word of its own, refreshed with a relaxed store without a claim (only expiry reads it). Loads and
/// stores are plain `mov`s on x86; the claim is the only locked instruction, out of line.
public final class MetadataNAT: @unchecked Sendable {
    // @unchecked: the memory is shared by PMDs through `view`, under the protocol above.
    public static var entriesPerPort: Int { 256 }
    public static var probes: Int { 8 }
    /// Words per entry: sequence, key (valid, closing, guest port, guest address), guest MAC, addressed MAC,
    /// last seen (TSC), and padding to a cache line.
    public static var wordsPerEntry: Int { 8 }

    public let view: MetadataNATView
    let slots: Int

    public init(slots: Int = PortLimit.maxPorts) {
        self.slots = slots
        let words = slots * Self.entriesPerPort * Self.wordsPerEntry
        let raw = UnsafeMutableRawPointer.allocate(byteCount: words * 8, alignment: 64)
        let base = raw.bindMemory(to: Atomic<UInt64>.self, capacity: words)
        for i in 0..<words { (base + i).initialize(to: Atomic(0)) }
        view = MetadataNATView(words: base, slots: slots)
    }

    deinit { UnsafeMutableRawPointer(view.words).deallocate() }

    /// The valid flows of `slot` with the TSC of their last packet (control thread, for status).
    public func flows(slot: Int) -> [(flow: MetadataFlow, lastSeen: UInt64)] {
        guard slot < slots else { return [] }
        var found: [(flow: MetadataFlow, lastSeen: UInt64)] = []
        for index in 0..<Self.entriesPerPort {
            let entry = view.entry(slot: slot, index: index)
            if let flow = view.read(entry) { found.append((flow, entry[4].load(ordering: .relaxed))) }
        }
        return found
    }

    /// Removes the flows of every slot that were idle `idle` TSC cycles, or closing and idle `linger` cycles,
    /// at TSC `now`; returns how many. Control thread (the periodic work), never a PMD. An entry a PMD is
    /// writing at that moment is left for the next pass.
    @discardableResult
    public func expire(now: UInt64, idle: UInt64, linger: UInt64) -> Int {
        var removed = 0
        for slot in 0..<slots {
            for index in 0..<Self.entriesPerPort {
                let entry = view.entry(slot: slot, index: index)
                let key = entry[1].load(ordering: .relaxed)
                guard key & MetadataNATView.validBit != 0 else { continue }
                let age = now &- entry[4].load(ordering: .relaxed)
                let closing = key & MetadataNATView.closingBit != 0
                guard Int64(bitPattern: age) >= 0, age >= idle || (closing && age >= linger) else { continue }
                guard let sequence = MetadataNATView.claim(entry) else { continue }
                entry[1].store(0, ordering: .relaxed)
                entry[0].store(sequence &+ 2, ordering: .releasing)
                removed += 1
            }
        }
        return removed
    }

    /// Forgets every flow of `slot` (its port left the metadata, or its pool address changed). Control thread.
    public func clear(slot: Int) {
        guard slot < slots else { return }
        for index in 0..<Self.entriesPerPort {
            let entry = view.entry(slot: slot, index: index)
            while entry[1].load(ordering: .relaxed) & MetadataNATView.validBit != 0 {
                guard let sequence = MetadataNATView.claim(entry) else { continue }
                entry[1].store(0, ordering: .relaxed)
                entry[0].store(sequence &+ 2, ordering: .releasing)
            }
        }
    }
}

/// What a stage keeps of the NAT table: a plain pointer (see `MetadataNAT` for the protocol).
@frozen
public struct MetadataNATView: @unchecked Sendable {
    public let words: UnsafeMutablePointer<Atomic<UInt64>>
    public let slots: Int

    @inlinable public static var validBit: UInt64 { 1 << 63 }
    @inlinable public static var closingBit: UInt64 { 1 << 62 }

    public init(words: UnsafeMutablePointer<Atomic<UInt64>>, slots: Int) {
        self.words = words
        self.slots = slots
    }

    /// What `record` did.
    public enum Outcome: Sendable {
        case recorded
        /// Every entry the guest port may use holds another live flow.
        case full
        /// Another writer held the entry: nothing recorded.
        case busy
    }

    @inlinable @inline(__always)
    func entry(slot: Int, index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        words + (slot &* MetadataNAT.entriesPerPort &+ index) &* MetadataNAT.wordsPerEntry
    }

    @inlinable @inline(__always)
    static func home(_ port: UInt16) -> Int {
        // Ephemeral ports are mostly sequential: a multiplicative hash spreads neighbours apart.
        Int(truncatingIfNeeded: (UInt32(port) &* 0x9E37_79B1) >> 24) & (MetadataNAT.entriesPerPort &- 1)
    }

    @inlinable @inline(__always)
    static func key(_ flow: MetadataFlow) -> UInt64 {
        validBit | (flow.closing ? closingBit : 0) | UInt64(flow.guestPort) << 32 | UInt64(flow.guestAddress.rawValue)
    }

    /// Claims an entry for writing: its even sequence number, now odd in memory; nil if another writer holds
    /// it or got there first. Out of line: the only locked instruction of the table.
    @inline(never) @usableFromInline
    static func claim(_ entry: UnsafeMutablePointer<Atomic<UInt64>>) -> UInt64? {
        let sequence = entry[0].load(ordering: .relaxed)
        guard sequence & 1 == 0 else { return nil }
        let won = entry[0].compareExchange(expected: sequence, desired: sequence | 1, ordering: .acquiring).exchanged
        return won ? sequence : nil
    }

    /// Records (or refreshes) the flow of `slot` at TSC `now`. PMD. A flow already recorded as it is only
    /// has its time refreshed (no claim). A closing flow stays closing unless `reopen` (a new SYN).
    @inlinable @inline(__always)
    public func record(slot: Int, _ flow: MetadataFlow, reopen: Bool = false, now: UInt64) -> Outcome {
        var wanted = Self.key(flow)
        let portKey = UInt64(flow.guestPort) << 32
        let home = Self.home(flow.guestPort)
        var free: UnsafeMutablePointer<Atomic<UInt64>>? = nil
        for probe in 0..<MetadataNAT.probes {
            let entry = entry(slot: slot, index: (home &+ probe) & (MetadataNAT.entriesPerPort &- 1))
            let key = entry[1].load(ordering: .relaxed)
            if key & Self.validBit == 0 {
                if free == nil { free = entry }
                continue
            }
            guard key & 0xffff_0000_0000 == portKey else { continue }
            if !reopen { wanted |= key & Self.closingBit }
            if key == wanted && entry[2].load(ordering: .relaxed) == flow.guestMAC.rawValue
                && entry[3].load(ordering: .relaxed) == flow.addressedMAC.rawValue
            {
                entry[4].store(now, ordering: .relaxed)
                return .recorded
            }
            return write(entry, wanted, flow, now: now)
        }
        guard let free else { return .full }
        return write(free, wanted, flow, now: now)
    }

    @inlinable @inline(__always)
    func write(
        _ entry: UnsafeMutablePointer<Atomic<UInt64>>, _ key: UInt64, _ flow: MetadataFlow, now: UInt64
    ) -> Outcome {
        guard let sequence = Self.claim(entry) else { return .busy }
        entry[2].store(flow.guestMAC.rawValue, ordering: .relaxed)
        entry[3].store(flow.addressedMAC.rawValue, ordering: .relaxed)
        entry[4].store(now, ordering: .relaxed)
        entry[1].store(key, ordering: .relaxed)
        entry[0].store(sequence &+ 2, ordering: .releasing)
        return .recorded
    }

    /// The flow of `slot` whose guest port is `guestPort`, as one consistent snapshot; nil if there is none
    /// (or a writer kept it busy through two attempts). PMD.
    @inlinable @inline(__always)
    public func lookup(slot: Int, guestPort: UInt16) -> MetadataFlow? {
        let portKey = UInt64(guestPort) << 32
        let home = Self.home(guestPort)
        for probe in 0..<MetadataNAT.probes {
            let entry = entry(slot: slot, index: (home &+ probe) & (MetadataNAT.entriesPerPort &- 1))
            for _ in 0..<2 {
                let before = entry[0].load(ordering: .acquiring)
                let key = entry[1].load(ordering: .acquiring)
                let guestMAC = entry[2].load(ordering: .acquiring)
                let addressedMAC = entry[3].load(ordering: .acquiring)
                let after = entry[0].load(ordering: .acquiring)
                guard before & 1 == 0, before == after else { continue }
                guard key & Self.validBit != 0, key & 0xffff_0000_0000 == portKey else { break }
                return MetadataFlow(
                    guestPort: guestPort, guestAddress: IPv4Address(rawValue: UInt32(truncatingIfNeeded: key)),
                    guestMAC: EthernetAddress(rawValue: guestMAC),
                    addressedMAC: EthernetAddress(rawValue: addressedMAC),
                    closing: key & Self.closingBit != 0)
            }
        }
        return nil
    }

    /// Marks the flow closing (a FIN or RST from the service side), refreshing its time. PMD.
    @inlinable @inline(__always)
    public func close(slot: Int, _ flow: MetadataFlow, now: UInt64) {
        var closing = flow
        closing.closing = true
        _ = record(slot: slot, closing, now: now)
    }

    /// The flow in `entry` if it is valid, read consistently (control thread).
    func read(_ entry: UnsafeMutablePointer<Atomic<UInt64>>) -> MetadataFlow? {
        let key = entry[1].load(ordering: .relaxed)
        guard key & Self.validBit != 0 else { return nil }
        return lookup(
            slot: (entry - words) / (MetadataNAT.entriesPerPort * MetadataNAT.wordsPerEntry),
            guestPort: UInt16(truncatingIfNeeded: key >> 32))
    }
}
