import CDPDK
import Packet
import Synchronization

/// A connection's identity: zone (the bridge VLAN), protocol, family and the two endpoints in canonical
/// order (the lower address/port first), so both directions of a connection find the same entry.
@frozen
public struct ConnKey: Sendable, Equatable {
    /// zone << 48 | protocol << 40 | family (4 or 6) << 32 | portA << 16 | portB.
    public var meta: UInt64
    public var aHigh: UInt64
    public var aLow: UInt64
    public var bHigh: UInt64
    public var bLow: UInt64

    @inlinable
    public init(meta: UInt64, aHigh: UInt64, aLow: UInt64, bHigh: UInt64, bLow: UInt64) {
        self.meta = meta
        self.aHigh = aHigh
        self.aLow = aLow
        self.bHigh = bHigh
        self.bLow = bLow
    }

    /// The key of a packet from (sHigh, sLow):sPort to (dHigh, dLow):dPort, and whether the packet's source is
    /// the key's B endpoint. IPv4 addresses are in the low words, high words 0.
    @inlinable
    public static func of(
        zone: UInt16, proto: UInt8, ipv6: Bool, sHigh: UInt64, sLow: UInt64, sPort: UInt16, dHigh: UInt64,
        dLow: UInt64, dPort: UInt16
    ) -> (key: ConnKey, sourceIsB: Bool) {
        let sourceIsB =
            sHigh > dHigh || (sHigh == dHigh && (sLow > dLow || (sLow == dLow && sPort > dPort)))
        let family: UInt64 = ipv6 ? 6 : 4
        let head = UInt64(zone) << 48 | UInt64(proto) << 40 | family << 32
        if sourceIsB {
            return (
                ConnKey(
                    meta: head | UInt64(dPort) << 16 | UInt64(sPort), aHigh: dHigh, aLow: dLow, bHigh: sHigh,
                    bLow: sLow), true
            )
        }
        return (
            ConnKey(
                meta: head | UInt64(sPort) << 16 | UInt64(dPort), aHigh: sHigh, aLow: sLow, bHigh: dHigh,
                bLow: dLow), false
        )
    }

    @inlinable public var zone: UInt16 { UInt16(truncatingIfNeeded: meta >> 48) }
    @inlinable public var proto: UInt8 { UInt8(truncatingIfNeeded: meta >> 40) }
    @inlinable public var isIPv6: Bool { Self.isIPv6(meta: meta) }
    /// Whether a key whose `meta` word is `meta` is an IPv6 key (its family field, bits 32-39).
    @inlinable @inline(__always)
    public static func isIPv6(meta: UInt64) -> Bool { (meta >> 32) & 0xFF == 6 }
    @inlinable public var portA: UInt16 { UInt16(truncatingIfNeeded: meta >> 16) }
    @inlinable public var portB: UInt16 { UInt16(truncatingIfNeeded: meta) }

    /// An IPv4 key's two words of substance: `meta` and both addresses (`aLow << 32 | bLow`); its high address
    /// words are always 0.
    @inlinable public var addressPair: UInt64 { aLow << 32 | (bLow & 0xFFFF_FFFF) }

    /// IPv4 keys hash their two words (`meta`, `addressPair`: two multiplies), IPv6 keys all five; the
    /// stage's IPv4 path computes the same hash straight from the packet (`hashIPv4`).
    @inlinable @inline(__always)
    func hash(seed: UInt64) -> UInt64 {
        if !isIPv6 { return Self.hashIPv4(meta: meta, addresses: addressPair, seed: seed) }
        @inline(__always) func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
            let x = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
            return x ^ (x >> 29)
        }
        var h = mix(seed, meta)
        h = mix(h, aHigh)
        h = mix(h, aLow)
        h = mix(h, bHigh)
        h = mix(h, bLow)
        return h ^ (h >> 32)
    }

    /// The hash of an IPv4 key from its two words: multiply, fold, multiply, fold (every input bit reaches the
    /// low bits the first bucket uses and the bits from 24 up the second uses).
    @inlinable @inline(__always)
    static func hashIPv4(meta: UInt64, addresses: UInt64, seed: UInt64) -> UInt64 {
        var x = (seed ^ meta) &* 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 29) ^ addresses) &* 0xBF58_476D_1CE4_E5B9
        return x ^ (x >> 32)
    }
}

/// The fast path's handle on the connection table (`ConnTable` owns the memory): plain pointers, copied into
/// each PMD's stage. Lookups are wait-free (loads only); an insert claims a free slot with one
/// compare-and-swap, so PMDs never wait for each other. See docs/security-groups.md.
///
/// Layout: a 16-bit signature per slot (0 free, 1 claimed, 2 dead, or the top bits of the key's hash with the
/// top bit set when live), grouped in buckets of 16 (half a cache line); a key can live in either of two
/// buckets, and nearly always lives in its first (inserts go to the second only when the first is nearly full
/// and the second emptier), so that a lookup that finds its key loads one signature line. Each slot
/// has an entry of `entryWords` words (two cache lines): the first holds the key, info, last seen (written
/// at most every 1/64 s) and, for IPv4 keys (two words: `meta`, `addressPair`), the packet counts; the
/// second the TCP sides and an IPv6 connection's packet counts. An IPv4 UDP or ICMP packet touches one
/// line of its entry.
@frozen
public struct ConnTableView: @unchecked Sendable {
    // @unchecked: shared memory reached through pointers, accessed only with atomics.
    @usableFromInline let signatures: UnsafeMutablePointer<Atomic<Signature>>
    @usableFromInline let entries: UnsafeMutablePointer<Atomic<UInt64>>
    /// Per port slot: connections it owns (see `Entry.owner`).
    @usableFromInline let portCounts: UnsafeMutablePointer<Atomic<UInt64>>
    @usableFromInline let bucketMask: Int
    @usableFromInline let seed: UInt64

    public static let entryWords = 16
    public static let bucketSlots = 16
    /// A slot's signature word.
    public typealias Signature = UInt16
    public static let free: Signature = 0
    public static let claimed: Signature = 1
    public static let dead: Signature = 2
    @inlinable static var liveBit: Signature { 1 << (Signature.bitWidth - 1) }
    /// Free slots an insert leaves in the first bucket before it considers the second (see `insert`).
    @inlinable static var firstBucketReserve: Int { 4 }

    /// The live signature of a key whose hash is `hash`: its top 15 bits (the buckets come from bits 0-23 and
    /// from 24 up, which reach bit 48 only in tables of more than 2^28 slots). A false match (one lookup in
    /// about 2,000 over a full bucket) costs a key comparison, never a wrong answer.
    @inlinable @inline(__always)
    static func signature(_ hash: UInt64) -> Signature {
        Signature(truncatingIfNeeded: hash >> (64 - Signature.bitWidth)) | liveBit
    }

    /// Entry words.
    public enum Word {
        /// ... 4: an IPv6 `ConnKey`; an IPv4 key is `meta` then `addressPair` (words 1 and 2).
        public static let key = 0
        /// bit 0: the initiator is the key's B endpoint; bits 1-10: initiator port; 11-21: responder port
        /// (0x7FF: not known, e.g. flooded); 22-31: owner port (whose limit it counts against); 32-39: state.
        /// Port fields hold slots below `PortLimit.maxPorts` (1024: 10 bits).
        public static let info = 5
        public static let lastSeen = 6
        public static let created = 7
        /// An IPv4 connection's packet counts (in the first line, beside its two-word key).
        public static let packetsOriginalIPv4 = 2
        public static let packetsReplyIPv4 = 3
        /// Second cache line. TCP sides: end << 32 | maxEnd, then maxWindow | scale << 32 | seen << 40;
        /// original then reply.
        public static let tcpOriginal = 8
        public static let tcpReply = 10
        /// An IPv6 connection's packet counts.
        public static let packetsOriginal = 12
        public static let packetsReply = 13

        /// The original direction's packet count word of an entry whose `meta` word is `meta` (the reply's
        /// is the next).
        @inlinable @inline(__always)
        public static func packets(meta: UInt64) -> Int {
            ConnKey.isIPv6(meta: meta) ? packetsOriginal : packetsOriginalIPv4
        }
    }

    @inlinable
    init(
        signatures: UnsafeMutablePointer<Atomic<Signature>>, entries: UnsafeMutablePointer<Atomic<UInt64>>,
        portCounts: UnsafeMutablePointer<Atomic<UInt64>>, bucketMask: Int, seed: UInt64
    ) {
        self.signatures = signatures
        self.entries = entries
        self.portCounts = portCounts
        self.bucketMask = bucketMask
        self.seed = seed
    }

    @inlinable @inline(__always)
    func word(_ slot: Int, _ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        entries + (slot &* Self.entryWords &+ index)
    }

    @inlinable @inline(__always)
    func load(_ slot: Int, _ index: Int) -> UInt64 { word(slot, index).pointee.load(ordering: .relaxed) }

    @inlinable @inline(__always)
    func store(_ slot: Int, _ index: Int, _ value: UInt64) {
        word(slot, index).pointee.store(value, ordering: .relaxed)
    }

    @inlinable @inline(__always)
    func buckets(_ hash: UInt64) -> (Int, Int) {
        let first = Int(truncatingIfNeeded: hash) & bucketMask
        var second = Int(truncatingIfNeeded: hash >> 24) & bucketMask
        if second == first { second = (first &+ 1) & bucketMask }
        return (first, second)
    }

    @inlinable @inline(__always)
    func matches(_ slot: Int, _ key: ConnKey) -> Bool {
        if !key.isIPv6 { return matchesIPv4(slot, meta: key.meta, addresses: key.addressPair) }
        return load(slot, 0) == key.meta && load(slot, 1) == key.aHigh && load(slot, 2) == key.aLow
            && load(slot, 3) == key.bHigh && load(slot, 4) == key.bLow
    }

    /// The key stored in `slot`.
    public func key(_ slot: Int) -> ConnKey {
        let meta = load(slot, 0)
        if !ConnKey.isIPv6(meta: meta) {
            let pair = load(slot, 1)
            return ConnKey(meta: meta, aHigh: 0, aLow: pair >> 32, bHigh: 0, bLow: pair & 0xFFFF_FFFF)
        }
        return ConnKey(meta: meta, aHigh: load(slot, 1), aLow: load(slot, 2), bHigh: load(slot, 3), bLow: load(slot, 4))
    }

    /// The slot holding `key`, or -1.
    @inlinable
    public func lookup(_ key: ConnKey) -> Int { lookup(key, hash: key.hash(seed: seed)) }

    /// The hash `lookup` and `insert` use for `key`.
    @inlinable @inline(__always)
    public func hash(_ key: ConnKey) -> UInt64 { key.hash(seed: seed) }

    /// Starts loading the first signature line of `hash` (the first step of a burst's lookups; `probe` loads
    /// the second only for the keys the first does not hold).
    @inlinable @inline(__always)
    public func prefetchBuckets(_ hash: UInt64) {
        rte_prefetch0(UnsafeRawPointer(signatures + buckets(hash).0 &* Self.bucketSlots))
    }

    /// The slot of `hash`'s first bucket whose signature is `hash`'s (the key is not compared), or -1; when
    /// found, starts loading its entry's first line, and its second when `secondLine`. When not found, starts
    /// loading the second bucket (the key may live there: `lookup(_:hash:candidate:)` scans it) and the entry
    /// of the first bucket's first free slot, where an insert most likely puts a new connection. The second
    /// step of a burst's lookups: `lookup(_:hash:candidate:)` then confirms the key. Transparent:
    /// `@inline(__always)` alone left it a call per packet in the stage's loop.
    @_transparent
    public func probe(_ hash: UInt64, secondLine: Bool) -> Int {
        let signature = Self.signature(hash)
        let (first, second) = buckets(hash)
        let base = first &* Self.bucketSlots
        var found = -1
        var freeSlot = -1
        for j in 0..<Self.bucketSlots {
            let s = signatures[base &+ j].load(ordering: .relaxed)
            if s == signature {
                found = base &+ j
                break
            }
            if s == Self.free && freeSlot < 0 { freeSlot = base &+ j }
        }
        if found < 0 { rte_prefetch0(UnsafeRawPointer(signatures + second &* Self.bucketSlots)) }
        let target = found >= 0 ? found : freeSlot
        if target >= 0 {
            rte_prefetch0(UnsafeRawPointer(word(target, 0)))
            if secondLine { rte_prefetch0(UnsafeRawPointer(word(target, 8))) }
        }
        return found
    }

    /// The slot holding `key` (whose hash is `hash`), trying `candidate` (from `probe`) first.
    @inlinable @inline(__always)
    public func lookup(_ key: ConnKey, hash: UInt64, candidate: Int) -> Int {
        if candidate >= 0 && signatures[candidate].load(ordering: .acquiring) == Self.signature(hash)
            && matches(candidate, key)
        {
            return candidate
        }
        return lookup(key, hash: hash)
    }

    /// `lookup(_:hash:candidate:)` for the IPv4 key of words `meta` and `addresses` (`ConnKey.addressPair`).
    @inlinable @inline(__always)
    public func lookupIPv4(meta: UInt64, addresses: UInt64, hash: UInt64, candidate: Int) -> Int {
        if candidate >= 0 && signatures[candidate].load(ordering: .acquiring) == Self.signature(hash)
            && matchesIPv4(candidate, meta: meta, addresses: addresses)
        {
            return candidate
        }
        return lookup(
            ConnKey(meta: meta, aHigh: 0, aLow: addresses >> 32, bHigh: 0, bLow: addresses & 0xFFFF_FFFF), hash: hash)
    }

    @inlinable @inline(__always)
    func matchesIPv4(_ slot: Int, meta: UInt64, addresses: UInt64) -> Bool {
        load(slot, 0) == meta && load(slot, 1) == addresses
    }

    /// The slot holding `key` (whose hash is `hash`), or -1.
    @inlinable
    public func lookup(_ key: ConnKey, hash: UInt64) -> Int {
        let signature = Self.signature(hash)
        let (first, second) = buckets(hash)
        for b in 0..<2 {
            let bucket = b == 0 ? first : second
            let base = bucket &* Self.bucketSlots
            for j in 0..<Self.bucketSlots {
                let slot = base &+ j
                if signatures[slot].load(ordering: .acquiring) == signature && matches(slot, key) { return slot }
            }
        }
        return -1
    }

    /// Whether either bucket of `hash` has a free slot (what `insert` would find; for traces).
    public func hasFreeSlot(_ hash: UInt64) -> Bool {
        let (first, second) = buckets(hash)
        for bucket in [first, second] {
            for j in 0..<Self.bucketSlots
            where signatures[bucket &* Self.bucketSlots &+ j].load(ordering: .relaxed) == Self.free {
                return true
            }
        }
        return false
    }

    /// Why an insert failed.
    public enum InsertFailure: Error { case tableFull, portLimit }

    /// Inserts a new connection; returns its slot. `owner` is the port whose limit it counts against.
    /// Out of line on purpose: its compare-and-swap and the owner's count increment are the fast path's
    /// only locked instructions besides the MAC table's (once per new connection; `tools/check-fastpath`
    /// allows them here and nowhere else).
    @inline(never)
    public func insert(
        _ key: ConnKey, info: UInt64, owner: Int, limit: UInt64, now: UInt64
    ) -> Result<Int, InsertFailure> {
        insert(key, hash: key.hash(seed: seed), info: info, owner: owner, limit: limit, now: now)
    }

    /// `insert` with the key's hash already computed.
    @inline(never)
    public func insert(
        _ key: ConnKey, hash: UInt64, info: UInt64, owner: Int, limit: UInt64, now: UInt64
    ) -> Result<Int, InsertFailure> {
        let counter = portCounts + owner
        if counter.pointee.load(ordering: .relaxed) >= limit { return .failure(.portLimit) }
        var (first, second) = buckets(hash)
        // The first bucket while it keeps `firstBucketReserve` free slots, then the emptier of the two: nearly
        // every key stays in its first bucket (one signature line per lookup; 1.6% of keys in their second at
        // half load, in a simulation), and the second choice still fills the table evenly (the first insert
        // that finds both buckets full comes at about 85% load, against 74% for always-the-emptier over
        // buckets of 8).
        var freeFirst = 0
        for j in 0..<Self.bucketSlots
        where signatures[first &* Self.bucketSlots &+ j].load(ordering: .relaxed) == Self.free {
            freeFirst &+= 1
        }
        if freeFirst <= Self.firstBucketReserve {
            var freeSecond = 0
            for j in 0..<Self.bucketSlots
            where signatures[second &* Self.bucketSlots &+ j].load(ordering: .relaxed) == Self.free {
                freeSecond &+= 1
            }
            if freeSecond > freeFirst { swap(&first, &second) }
        }
        for b in 0..<2 {
            let bucket = b == 0 ? first : second
            let base = bucket &* Self.bucketSlots
            for j in 0..<Self.bucketSlots {
                let slot = base &+ j
                guard signatures[slot].load(ordering: .relaxed) == Self.free else { continue }
                guard
                    signatures[slot].compareExchange(
                        expected: Self.free, desired: Self.claimed, ordering: .acquiring
                    ).exchanged
                else { continue }
                // Counted before the entry is written: a locked add after the stores would wait for them
                // to leave the store buffer (each a cache miss on a new entry).
                counter.pointee.wrappingAdd(1, ordering: .relaxed)
                store(slot, 0, key.meta)
                if key.isIPv6 {
                    store(slot, 1, key.aHigh)
                    store(slot, 2, key.aLow)
                    store(slot, 3, key.bHigh)
                    store(slot, 4, key.bLow)
                } else {
                    store(slot, 1, key.addressPair)
                    store(slot, Word.packetsOriginalIPv4, 0)
                    store(slot, Word.packetsReplyIPv4, 0)
                    store(slot, 4, 0)
                }
                store(slot, Word.info, info | UInt64(owner & 0x3FF) << 22)
                store(slot, Word.lastSeen, now)
                store(slot, Word.created, now)
                // The second line only when something reads it (TCP, IPv6): an IPv4 UDP or ICMP connection's
                // first packet then writes one line of its entry.
                if key.isIPv6 || key.proto == 6 {
                    for w in Word.tcpOriginal..<Self.entryWords { store(slot, w, 0) }
                }
                signatures[slot].store(Self.signature(hash), ordering: .releasing)
                return .success(slot)
            }
        }
        return .failure(.tableFull)
    }

    // MARK: Entry fields

    @inlinable public func info(_ slot: Int) -> UInt64 { load(slot, Word.info) }

    /// Replaces the state byte (bits 32-39 of `info`) if the entry still holds `old`; false when another PMD
    /// changed it first.
    /// Out of line for the same reason as `insert`: one compare-and-swap per state change (handshake, close).
    @inline(never)
    public func exchangeInfo(_ slot: Int, _ old: UInt64, _ new: UInt64) -> Bool {
        old == new
            || word(slot, Word.info).pointee.compareExchange(
                expected: old, desired: new, ordering: .relaxed
            ).exchanged
    }

    /// Records a packet: last-seen time (written only when it moved by more than 1/64 s, so that both
    /// directions' PMDs do not keep writing the line) and the direction's packet count (not atomic across
    /// PMDs: a count may lose increments when both directions arrive at once).
    @inlinable
    public func touch(_ slot: Int, now: UInt64, reply: Bool, tickCycles: UInt64) {
        if now &- load(slot, Word.lastSeen) > tickCycles { store(slot, Word.lastSeen, now) }
        let w = Word.packets(meta: load(slot, 0)) &+ (reply ? 1 : 0)
        store(slot, w, load(slot, w) &+ 1)
    }

    /// A connection's packet counts, original then reply.
    public func packets(_ slot: Int) -> (original: UInt64, reply: UInt64) {
        let w = Word.packets(meta: load(slot, 0))
        return (load(slot, w), load(slot, w + 1))
    }

    @inlinable
    public func tcpSide(_ slot: Int, reply: Bool) -> TCPSide {
        let base = reply ? Word.tcpReply : Word.tcpOriginal
        let a = load(slot, base)
        let b = load(slot, base + 1)
        return TCPSide(
            end: UInt32(truncatingIfNeeded: a >> 32), maxEnd: UInt32(truncatingIfNeeded: a),
            maxWindow: UInt32(truncatingIfNeeded: b), scale: UInt8(truncatingIfNeeded: b >> 32),
            seen: (b >> 40) & 1 != 0)
    }

    /// Stores a side only if it differs from `old` (most segments of a steady flow change nothing).
    @inlinable @inline(__always)
    public func updateTCPSide(_ slot: Int, reply: Bool, from old: TCPSide, to side: TCPSide) {
        if old != side { setTCPSide(slot, reply: reply, side) }
    }

    @inlinable
    public func setTCPSide(_ slot: Int, reply: Bool, _ side: TCPSide) {
        let base = reply ? Word.tcpReply : Word.tcpOriginal
        store(slot, base, UInt64(side.end) << 32 | UInt64(side.maxEnd))
        store(slot, base + 1, UInt64(side.maxWindow) | UInt64(side.scale) << 32 | (side.seen ? 1 << 40 : 0))
    }

    // MARK: info fields

    @inlinable public static func state(of info: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: info >> 32) }
    @inlinable public static func withState(_ info: UInt64, _ state: UInt8) -> UInt64 {
        info & ~(UInt64(0xFF) << 32) | UInt64(state) << 32
    }
    @inlinable public static func initiatorIsB(_ info: UInt64) -> Bool { info & 1 != 0 }
    @inlinable public static func initiator(of info: UInt64) -> Int { Int(truncatingIfNeeded: (info >> 1) & 0x3FF) }
    @inlinable public static func responder(of info: UInt64) -> Int { Int(truncatingIfNeeded: (info >> 11) & 0x7FF) }
    @inlinable public static func owner(of info: UInt64) -> Int { Int(truncatingIfNeeded: (info >> 22) & 0x3FF) }
    @inlinable
    public static func makeInfo(initiatorIsB: Bool, initiator: Int, responder: Int, state: UInt8) -> UInt64 {
        (initiatorIsB ? 1 : 0) | UInt64(initiator & 0x3FF) << 1 | UInt64(responder & 0x7FF) << 11
            | UInt64(state) << 32
    }
    /// `responder` for a connection whose responder port is not known (above every port slot).
    public static let unknownPort = 0x7FF
}
