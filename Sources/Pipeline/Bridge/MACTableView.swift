import Synchronization

// The shared MAC learning table: the fast-path half (lookup, learn) and the slot protocol that the control
// half (`MACTable`) follows. The design and the argument for why each race is harmless are in
// docs/mac-table.md; the comments here point at the rules the code relies on.

/// Packing of (VLAN, MAC) into a table key, and of MAC bytes into an integer.
///
/// A key is `(vlan << 48) | mac`: the 12-bit VLAN id in bits 48...59 and the 48-bit MAC (first octet most
/// significant) in bits 0...47. Bits 60...63 of a key are always zero, which leaves room for the reserved
/// slot markers (`MACTableView.tombstoneKey`, `MACTableView.freeKey`). The all-zero key (VLAN 0, MAC
/// 00:00:00:00:00:00) is the empty-slot marker: it is never stored.
@frozen
public enum MACTableKey {
    /// The key of `mac` on `vlan`. Out-of-range bits are masked off (VLAN ids are 12 bits, MACs 48 bits), so
    /// no argument can produce a reserved marker.
    @inlinable @inline(__always)
    public static func make(vlan: UInt16, mac: UInt64) -> UInt64 {
        (UInt64(vlan & 0x0FFF) << 48) | (mac & macMask)
    }

    @inlinable @inline(__always)
    public static func vlan(of key: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: key >> 48) & 0x0FFF }

    @inlinable @inline(__always)
    public static func mac(of key: UInt64) -> UInt64 { key & macMask }

    /// The six bytes at `bytes` (network order, as in an Ethernet header) as a 48-bit integer.
    @inlinable @inline(__always)
    public static func mac(fromBytes bytes: UnsafeRawPointer) -> UInt64 {
        let high = UInt64(UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self)))
        let low = UInt64(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self)))
        return (high << 16) | low
    }

    /// The six bytes at `bytes` as a 48-bit integer, read with one 8-byte load: the two bytes after the MAC
    /// must be readable too (in an Ethernet header they are: the source MAC is followed by the EtherType).
    @inlinable @inline(__always)
    public static func mac(fromBytesFollowedByTwoMore bytes: UnsafeRawPointer) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)) &>> 16
    }

    /// True if `mac` may be learned as a source address: not 00:00:00:00:00:00, and the group (I/G) bit of the
    /// first octet clear (not multicast or broadcast).
    @inlinable @inline(__always)
    public static func isLearnableSource(_ mac: UInt64) -> Bool {
        (mac & macMask) != 0 && (mac & groupBit) == 0
    }

    @inlinable public static var macMask: UInt64 { 0xFFFF_FFFF_FFFF }
    /// The I/G bit: the least significant bit of the first (most significant) octet.
    @inlinable public static var groupBit: UInt64 { 1 << 40 }
}

/// What `MACTableView.learn` did.
@frozen
public enum MACLearnResult: UInt8, Sendable, Hashable {
    /// A new entry was created and published.
    case learned
    /// The entry existed on this port; its last-seen time was advanced to `now`.
    case refreshed
    /// Nothing to do: the entry exists on this port and was already seen at `now` (or later), it is a static
    /// entry on this port, another thread is creating or changing it at this very moment, the control thread
    /// removed it (or made it static) while this call looked at it: the next frame from the MAC learns it
    /// again if need be.
    case unchanged
    /// The MAC was on another port and now is on this one (a MAC move).
    case moved
    /// The MAC has a static entry on another port: static entries never move.
    case staticConflict
    /// The port already owns its limit of learned MACs; nothing was learned or moved. Counted per port.
    case limitReached
    /// No free slot within the probe bound of the key's home slot. Counted per port.
    case tableFull
    /// The MAC is new, but learning of new MACs is paused while the control thread recycles tombstones.
    case learningPaused
    /// The source MAC is zero or a group address: never learned.
    case invalidSource
}

/// The fast-path handle of a `MACTable`: raw pointers into memory the table owns, no references, so copying
/// it or calling it involves no reference counting, allocation, locks or exclusivity checks.
///
/// Any number of threads may call `lookup` and `learn` concurrently with each other and with the owning
/// `MACTable`'s control operations. `lookup` is wait-free; `learn` is lock-free (a bounded scan, then at
/// most a handful of compare-and-swaps, retried only when another thread changed the same word). The view
/// is valid as long as its `MACTable` is alive.
///
/// Every thread that uses a view must be covered by the grace period that
/// `MACTable.recycleTombstones(waitForGracePeriod:)` waits for (for PMDs: a call of `lookup` or `learn` lies
/// between two quiescent points).
///
/// Slot protocol (see docs/mac-table.md): each slot is two words, key and value.
/// - key: `emptyKey` → K (a learner's CAS) → `tombstoneKey` (the control thread, after it killed the value)
///   → `freeKey` or `emptyKey` (only inside `recycleTombstones`, after a grace period, with learning paused)
///   → K' (a learner's CAS) ...
/// - value: 0 (claimed, unpublished) → published (CAS by the claimer) → published' (refresh, move: CAS) ...
///   → `deadValue` (the control thread's CAS: the linearisation point of a deletion) → 0 (recycling).
@frozen
public struct MACTableView: @unchecked Sendable {
    // @unchecked: all shared state is reached through the pointers and accessed only with atomics.

    /// `2 * capacity` words: slot `i` is key word `2i` and value word `2i + 1`. 64-byte aligned: 4 slots
    /// per cache line.
    @usableFromInline let words: UnsafeMutablePointer<Atomic<UInt64>>
    /// `capacity - 1`; the capacity is a power of two.
    @usableFromInline let mask: Int
    /// How many slots from its home slot a key may be placed (and is searched): `min(probeLimit, capacity)`.
    @usableFromInline let window: Int
    /// The hash's random odd multiplier, derived from the table's seed (see `home`).
    @usableFromInline let multiplier: UInt64
    /// 64 - log2(capacity): `home` takes the top bits of a product.
    @usableFromInline let shift: UInt64
    /// `portCount` blocks of 8 words, one cache line each; see `PortWord`.
    @usableFromInline let portWords: UnsafeMutablePointer<Atomic<UInt64>>
    @usableFromInline let portCount: Int
    /// One cache line; word 0 is non-zero while learning of new MACs is paused.
    @usableFromInline let controlWords: UnsafeMutablePointer<Atomic<UInt64>>

    @inlinable
    init(
        words: UnsafeMutablePointer<Atomic<UInt64>>, mask: Int, window: Int, seed: UInt64,
        portWords: UnsafeMutablePointer<Atomic<UInt64>>, portCount: Int,
        controlWords: UnsafeMutablePointer<Atomic<UInt64>>
    ) {
        self.words = words
        self.mask = mask
        self.window = window
        // SplitMix64's finalizer spreads even a small test seed (1, 2, ...) over all 64 bits; odd, so that
        // the multiplication is a bijection and the top bits depend on every key bit.
        var z = seed &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        multiplier = (z ^ (z &>> 31)) | 1
        shift = UInt64(64 - (mask + 1).trailingZeroBitCount)
        self.portWords = portWords
        self.portCount = portCount
        self.controlWords = controlWords
    }

    // MARK: Encoding

    /// Key of a never-used slot. Ends every search.
    @inlinable public static var emptyKey: UInt64 { 0 }
    /// Key of a deleted slot. Skipped by searches; never claimed until recycled (after a grace period).
    @inlinable public static var tombstoneKey: UInt64 { ~0 }
    /// Key of a recycled tombstone inside a run: skipped by searches (keys may lie beyond it), claimable.
    @inlinable public static var freeKey: UInt64 { ~1 }

    /// Value bit: the entry is published (the slot's key is valid and `port`/`lastSeen` are meaningful).
    @inlinable static var publishedBit: UInt64 { 1 << 63 }
    /// Value bit: a static entry (never ages, never moves, not counted against a port's limit).
    @inlinable static var staticBit: UInt64 { 1 << 62 }
    /// The value of a deleted slot. Never equal to a published value, so stale CASs on it fail.
    @inlinable static var deadValue: UInt64 { 1 << 61 }

    @inlinable @inline(__always)
    static func learnedValue(port: UInt16, now: UInt32) -> UInt64 {
        publishedBit | (UInt64(port) << 32) | UInt64(now)
    }

    @inlinable @inline(__always)
    static func staticValue(port: UInt16) -> UInt64 { publishedBit | staticBit | (UInt64(port) << 32) }

    @inlinable @inline(__always)
    static func port(of value: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: value >> 32) }

    @inlinable @inline(__always)
    static func lastSeen(of value: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: value) }

    /// Seconds from `lastSeen` to `now`, wrapping-safe; 0 if `lastSeen` is ahead (another PMD's clock).
    @inlinable @inline(__always)
    static func age(lastSeen: UInt32, now: UInt32) -> UInt32 {
        let delta = Int32(bitPattern: now &- lastSeen)
        return delta > 0 ? UInt32(delta) : 0
    }

    /// Offsets inside a port's cache line.
    @usableFromInline enum PortWord {
        /// Learned (non-static) entries owned by the port, plus reservations of learns in progress.
        @usableFromInline static let learned = 0
        @usableFromInline static let limit = 1
        @usableFromInline static let limitReached = 2
        @usableFromInline static let tableFull = 3
        @usableFromInline static let stride = 8
    }

    // MARK: Slots

    @inlinable @inline(__always)
    var capacity: Int { mask + 1 }

    @inlinable @inline(__always)
    func key(_ slot: Int) -> UInt64 { words[2 &* slot].load(ordering: .acquiring) }

    @inlinable @inline(__always)
    func value(_ slot: Int) -> UInt64 { words[2 &* slot &+ 1].load(ordering: .acquiring) }

    /// The home slot of `key`: multiply by the table's random odd multiplier, fold the high half onto the
    /// low half, multiply by 2^64/φ and take the top log2(capacity) bits. The keyed multiply makes where a
    /// key lands relative to another depend on the secret multiplier, so a sender cannot aim its MACs at
    /// another MAC's probe window; the fold and the Fibonacci multiply carry every key bit to the top bits
    /// and spread the structured keys a switch sees (consecutive hypervisor MACs, one MAC in many VLANs)
    /// like random ones. Measured ~2.5 cycles/packet cheaper in the L2 stage than the multiply-xorshift-
    /// multiply-xorshift mixer it replaced (two hashes per packet); docs/mac-table.md has the alternatives
    /// that were rejected. Callers that look up several keys at once compute them early (`homeSlot`) and
    /// pass them in, so that the hashes overlap.
    @inlinable @inline(__always)
    public func homeSlot(of key: UInt64) -> Int { home(key) }

    @inlinable @inline(__always)
    func home(_ key: UInt64) -> Int {
        var x = key &* multiplier
        x ^= x &>> 32
        x &*= 0x9E37_79B9_7F4A_7C15
        // `&>>`: for a one-slot table the shift is 64, taken mod 64; the mask then makes the slot 0.
        return Int(truncatingIfNeeded: x &>> shift) & mask
    }

    @inlinable @inline(__always)
    func casValue(_ slot: Int, _ expected: UInt64, _ desired: UInt64) -> (exchanged: Bool, original: UInt64) {
        words[2 &* slot &+ 1].compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing)
    }

    @inlinable @inline(__always)
    func casKey(_ slot: Int, _ expected: UInt64, _ desired: UInt64) -> (exchanged: Bool, original: UInt64) {
        words[2 &* slot].compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing)
    }

    @inlinable @inline(__always)
    func portWord(_ port: UInt16, _ word: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        portWords + (Int(port) &* PortWord.stride &+ word)
    }

    // MARK: Fast path

    /// The port `mac` was learned on (or statically assigned to) in `vlan`, or nil.
    @inlinable @inline(__always)
    public func lookup(vlan: UInt16, mac: UInt64) -> UInt16? {
        lookup(key: MACTableKey.make(vlan: vlan, mac: mac))
    }

    /// The port of the entry with `key` (see `MACTableKey`), or nil. Wait-free: at most `probeLimit` slots,
    /// acquire loads only, no stores. Skips tombstones and recycled slots, stops at the first empty slot; an
    /// entry being created (not yet published) or being deleted counts as absent.
    @inlinable @_noLocks
    public func lookup(key: UInt64) -> UInt16? { lookup(key: key, home: home(key)) }

    /// `lookup(key:)` with the key's home slot (`homeSlot(of: key)`) already computed. Only the home slot is
    /// inlined into the caller (a key load, a value load): with the table sized for its MACs most keys sit
    /// there, and a small inlined part leaves the caller's loop registers to overlap packets. Anything else
    /// continues out of line.
    @inlinable @inline(__always)
    public func lookup(key: UInt64, home: Int) -> UInt16? {
        let slot = home & mask  // masked: no home value reads outside the table
        let k = self.key(slot)
        if k == key {
            let v = value(slot)
            if v & Self.publishedBit != 0 { return Self.port(of: v) }
        } else if k == Self.emptyKey {
            return nil
        }
        return probe(key: key, home: slot)
    }

    /// The whole probe of `lookup` (also re-reading the home slot: the same answer as a fresh lookup).
    @usableFromInline @inline(never) @_noLocks
    func probe(key: UInt64, home: Int) -> UInt16? {
        var slot = home & mask
        var remaining = window
        repeat {
            let k = self.key(slot)
            if k == key {
                let v = value(slot)
                if v & Self.publishedBit != 0 { return Self.port(of: v) }
                // Unpublished (being created) or dead (being deleted): no live copy can precede this one,
                // and a live one after it exists only if this one is dead. Keep looking.
            }
            if k == Self.emptyKey { return nil }  // after the equality test: key 0 is never found
            slot = (slot &+ 1) & mask
            remaining &-= 1
        } while remaining > 0
        return nil
    }

    /// Learns that `mac` (a source address) was seen on `port` in `vlan` at `now` (seconds, any epoch, from
    /// the caller's clock; the table never reads a clock).
    @inlinable @inline(__always)
    public func learn(vlan: UInt16, mac: UInt64, port: UInt16, now: UInt32) -> MACLearnResult {
        learn(key: MACTableKey.make(vlan: vlan, mac: mac), port: port, now: now)
    }

    /// Learns the entry `key` on `port` at `now`. Creates it, refreshes its last-seen time (only if `now` is
    /// later than the stored time, so a busy MAC costs at most one store per second and the line is not
    /// bounced between PMDs), or moves it from another port (unless static). New MACs and moves are subject
    /// to the port's limit. Allocation-free and lock-free; see `MACLearnResult`.
    @inlinable @_noLocks
    public func learn(key: UInt64, port: UInt16, now: UInt32) -> MACLearnResult {
        learn(key: key, home: home(key), port: port, now: now)
    }

    /// `learn(key:port:now:)` with the key's home slot (`homeSlot(of: key)`) already computed. Only the
    /// common case is inlined into the caller: the MAC's entry in its home slot, on this port, already seen
    /// this second — two loads, no store, nothing to claim (so the paused flag is not needed). That is
    /// exactly what the full search would conclude, since the home slot is the first it looks at and a key
    /// has at most one live copy. Everything else (another slot, a refresh, a move, a new MAC) is out of line.
    @inlinable @inline(__always)
    public func learn(key: UInt64, home: Int, port: UInt16, now: UInt32) -> MACLearnResult {
        let slot = home & mask
        // Published, not static, this port, last seen `now`: one comparison of the whole value. (Seen later
        // than `now`, by a PMD whose clock ticked first, also means "unchanged": the full path says so.)
        if self.key(slot) == key, value(slot) == Self.learnedValue(port: port, now: now) { return .unchanged }
        return learnSearching(key: key, home: slot, port: port, now: now)
    }

    /// The full learn: search, then refresh, move or create.
    @usableFromInline @inline(never) @_noLocks
    func learnSearching(key: UInt64, home: Int, port: UInt16, now: UInt32) -> MACLearnResult {
        guard MACTableKey.isLearnableSource(key) else { return .invalidSource }
        precondition(Int(port) < portCount, "MAC table: port index out of range")
        // Read before the search: a learner that saw learning enabled here may claim, and the grace period
        // of `recycleTombstones` waits for it; one that saw it paused does not claim at all.
        let paused = controlWords[0].load(ordering: .acquiring) != 0

        // 1. Search for a live copy of the key, remembering the first claimable slot on the way.
        let found = search(key, from: home & mask)
        if found.live >= 0 {
            // A known MAC (not in its home slot, or due for a refresh or a move).
            let v = found.value
            if v & (Self.publishedBit | Self.staticBit) == Self.publishedBit, Self.port(of: v) == port,
                Self.age(lastSeen: Self.lastSeen(of: v), now: now) == 0
            {
                return .unchanged
            }
            return update(slot: found.live, value: v, port: port, now: now)
        }
        return create(key, port: port, now: now, paused: paused, found: found)
    }

    /// A new MAC: limit check, claim, publish. Out of line: rare (once per MAC, or per frame of a flood).
    @usableFromInline @inline(never) @_noLocks
    func create(_ key: UInt64, port: UInt16, now: UInt32, paused: Bool, found: SearchResult) -> MACLearnResult {
        if paused { return .learningPaused }
        let learned = portWord(port, PortWord.learned)
        let limit = portWord(port, PortWord.limit).pointee.load(ordering: .relaxed)
        if learned.pointee.load(ordering: .relaxed) >= limit {
            portWord(port, PortWord.limitReached).pointee.wrappingAdd(1, ordering: .relaxed)
            return .limitReached
        }
        guard found.claimable >= 0 else {
            portWord(port, PortWord.tableFull).pointee.wrappingAdd(1, ordering: .relaxed)
            return .tableFull
        }
        guard reserve(port) else {
            portWord(port, PortWord.limitReached).pointee.wrappingAdd(1, ordering: .relaxed)
            return .limitReached
        }

        // Claim the first claimable slot.
        let claim = self.claim(key, from: found.claimable, scanned: found.claimableScanned)
        if claim.claimed {
            // Publish. Fails only if the control thread took the slot over in between (made it a static
            // entry): then this learn did not happen.
            if casValue(claim.slot, 0, Self.learnedValue(port: port, now: now)).exchanged { return .learned }
            release(port)
            return .unchanged
        }
        release(port)
        if claim.slot >= 0 { return update(slot: claim.slot, value: value(claim.slot), port: port, now: now) }
        portWord(port, PortWord.tableFull).pointee.wrappingAdd(1, ordering: .relaxed)
        return .tableFull
    }

    /// The outcome of `search`: the slot of a live copy of the key (-1: none) and its value, and the first
    /// claimable slot of the probe window (-1: none) with its distance from the home slot.
    @usableFromInline
    struct SearchResult {
        @usableFromInline var live: Int
        @usableFromInline var value: UInt64
        @usableFromInline var claimable: Int
        @usableFromInline var claimableScanned: Int

        @inlinable @inline(__always)
        init(live: Int, value: UInt64, claimable: Int, claimableScanned: Int) {
            self.live = live
            self.value = value
            self.claimable = claimable
            self.claimableScanned = claimableScanned
        }
    }

    /// Scans the key's probe window for a live copy (value not dead: published or being created), up to the
    /// first empty slot, and notes the first claimable (empty or free) slot on the way. A free slot does not
    /// end the search: the key may have been placed beyond it before it was recycled.
    @inlinable @inline(__always)
    func search(_ key: UInt64) -> SearchResult { search(key, from: home(key)) }

    @inlinable @inline(__always)
    func search(_ key: UInt64, from home: Int) -> SearchResult {
        var slot = home
        var scanned = 0
        var claimable = -1
        var claimableScanned = 0
        while scanned < window {
            let k = self.key(slot)
            if k == key {
                let v = value(slot)
                if v & Self.deadValue == 0 {
                    return SearchResult(live: slot, value: v, claimable: -1, claimableScanned: 0)
                }
            } else if k == Self.emptyKey {
                if claimable < 0 {
                    claimable = slot
                    claimableScanned = scanned
                }
                break  // no key lies beyond the first empty slot of its probe window
            } else if k == Self.freeKey, claimable < 0 {
                claimable = slot
                claimableScanned = scanned
            }
            slot = (slot &+ 1) & mask
            scanned &+= 1
        }
        return SearchResult(live: -1, value: 0, claimable: claimable, claimableScanned: claimableScanned)
    }

    /// Claims a slot for `key` (a CAS of its key word), starting at the first claimable slot that `search`
    /// found. Claimable slots only ever become unclaimable while learners run (recycling happens with
    /// learning paused and drained), so every thread creating the same key contends for the same slot, and
    /// a loser finds the winner's copy: returns `(slot, false)` for a live copy found on the way, `(slot,
    /// true)` for the claimed slot (value 0: unpublished), `(-1, false)` if the window is full.
    @inlinable @inline(__always)
    func claim(_ key: UInt64, from start: Int, scanned alreadyScanned: Int) -> (slot: Int, claimed: Bool) {
        var slot = start
        var scanned = alreadyScanned
        while scanned < window {
            let k = self.key(slot)
            if k == key {
                if value(slot) & Self.deadValue == 0 { return (slot, false) }
            } else if k == Self.emptyKey || k == Self.freeKey {
                if casKey(slot, k, key).exchanged { return (slot, true) }
                continue  // someone else claimed it: look at what they put there
            }
            slot = (slot &+ 1) & mask
            scanned &+= 1
        }
        return (-1, false)
    }

    /// Refresh or move of a live entry found at `slot` with value `value`. Out of line: at most once per MAC
    /// per second, or on a move.
    @usableFromInline @inline(never) @_noLocks
    func update(slot: Int, value: UInt64, port: UInt16, now: UInt32) -> MACLearnResult {
        var v = value
        var attempts = 0
        while attempts < 4 {  // each failed CAS means another thread changed this entry just now
            attempts &+= 1
            // Unpublished: another thread is creating it right now. Dead: the control thread deleted it while
            // we looked; the next frame learns it again.
            if v & Self.publishedBit == 0 { return .unchanged }
            let current = Self.port(of: v)
            if v & Self.staticBit != 0 { return current == port ? .unchanged : .staticConflict }
            if current == port {
                if Self.age(lastSeen: Self.lastSeen(of: v), now: now) == 0 { return .unchanged }
                let result = casValue(slot, v, Self.learnedValue(port: port, now: now))
                if result.exchanged { return .refreshed }
                v = result.original
            } else {
                guard reserve(port) else {
                    portWord(port, PortWord.limitReached).pointee.wrappingAdd(1, ordering: .relaxed)
                    return .limitReached
                }
                let result = casValue(slot, v, Self.learnedValue(port: port, now: now))
                if result.exchanged {
                    release(current)
                    return .moved
                }
                release(port)
                v = result.original
            }
        }
        return .unchanged
    }

    /// Takes one unit of `port`'s learned count if it is below the port's limit.
    @inlinable @inline(__always)
    func reserve(_ port: UInt16) -> Bool {
        let learned = portWord(port, PortWord.learned)
        let limit = portWord(port, PortWord.limit).pointee.load(ordering: .relaxed)
        var count = learned.pointee.load(ordering: .relaxed)
        while count < limit {
            let result = learned.pointee.compareExchange(expected: count, desired: count &+ 1, ordering: .relaxed)
            if result.exchanged { return true }
            count = result.original
        }
        return false
    }

    @inlinable @inline(__always)
    func release(_ port: UInt16) {
        portWord(port, PortWord.learned).pointee.wrappingSubtract(1, ordering: .relaxed)
    }
}
