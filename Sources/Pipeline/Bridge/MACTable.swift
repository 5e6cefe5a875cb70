import Synchronization

/// One entry of `MACTable.entries(now:)`.
public struct MACTableEntry: Sendable, Hashable {
    public var vlan: UInt16
    public var mac: UInt64
    public var port: UInt16
    /// Seconds since the entry was last seen (0 for static entries).
    public var age: UInt32
    public var isStatic: Bool

    public init(vlan: UInt16, mac: UInt64, port: UInt16, age: UInt32, isStatic: Bool) {
        self.vlan = vlan
        self.mac = mac
        self.port = port
        self.age = age
        self.isStatic = isStatic
    }
}

/// The MAC learning table shared by all PMDs: owns the memory, hands out `view` for the fast path, and runs
/// the control operations (aging, static entries, flushes, dumps, tombstone recycling).
///
/// Control operations may be called from any thread; they are serialised by a mutex (they are not on the
/// fast path), and run concurrently with any number of `view.lookup`/`view.learn` callers. The table must
/// outlive every copy of `view` that is still used. See docs/mac-table.md.
public final class MACTable: @unchecked Sendable {
    // @unchecked: the memory pointer is immutable; the memory is accessed only with atomics, and the
    // control-side bookkeeping lives in `state`, behind a mutex.
    /// Lookups and learns, for the PMDs. Valid while this object is alive.
    public let view: MACTableView
    /// Number of slots (a power of two). Keep the entries at about half of it or below: the first refusals
    /// (`tableFull`) appear from ~60 % load on; see docs/mac-table.md.
    public let capacity: Int
    /// How many slots from its home slot an entry may be placed.
    public let probeLimit: Int
    public let portCount: Int
    /// Bytes of table memory (slots, per-port counters, control line), all from one `allocate` call.
    public let byteCount: Int

    private let memory: UnsafeMutableRawPointer
    private let deallocate: @Sendable (UnsafeMutableRawPointer) -> Void
    private let state = Mutex(ControlState())

    private struct ControlState {
        /// Slots deleted since the last recycling (key `tombstoneKey`).
        var tombstones = 0
        var statics = 0
    }

    /// The default limit of a port: no limit beyond the table's capacity.
    public static let unlimited = Int(UInt32.max)

    /// Creates an empty table.
    ///
    /// - Parameters:
    ///   - capacity: slots; rounded up to a power of two (at least 8). Size it at 2x the entries you expect:
    ///     16 bytes per slot.
    ///   - ports: number of port indexes that `learn` and `addStatic` accept (`0 ..< ports`).
    ///   - limits: the most learned MACs each port may own, one per port; empty means `unlimited` for all.
    ///   - probeLimit: how far from its home slot an entry may be placed (and searched for).
    ///   - seed: seeds the hash (nil: random), so that the slots keys land in cannot be predicted by a
    ///     sender; tests pass a fixed seed for reproducibility.
    ///   - allocate: returns `byteCount` bytes aligned to at least `alignment` (64), called once. Pass an
    ///     allocator of hugepage-backed memory (e.g. DPDK's `rte_zmalloc`) for large tables: see
    ///     docs/mac-table.md. The memory need not be zeroed.
    ///   - deallocate: frees what `allocate` returned; called once, from `deinit`.
    public init(
        capacity: Int, ports: Int, limits: [Int] = [], probeLimit: Int = 64, seed: UInt64? = nil,
        allocate: (_ byteCount: Int, _ alignment: Int) -> UnsafeMutableRawPointer = {
            UnsafeMutableRawPointer.allocate(byteCount: $0, alignment: $1)
        },
        deallocate: @escaping @Sendable (UnsafeMutableRawPointer) -> Void = { $0.deallocate() }
    ) {
        precondition(capacity > 0 && capacity <= 1 << 40, "MAC table: bad capacity")
        precondition(ports > 0 && ports <= Int(UInt16.max) + 1, "MAC table: bad port count")
        precondition(limits.isEmpty || limits.count == ports, "MAC table: one limit per port")
        precondition(probeLimit > 0, "MAC table: bad probe limit")
        var slots = 8
        while slots < capacity { slots <<= 1 }
        self.capacity = slots
        self.probeLimit = min(probeLimit, slots)
        self.portCount = ports

        // One block: control line | one line per port | slots (4 per line).
        let controlBytes = 64
        let portBytes = ports * MACTableView.PortWord.stride * 8
        let slotBytes = slots * 16
        byteCount = controlBytes + portBytes + slotBytes
        memory = allocate(byteCount, 64)
        precondition(Int(bitPattern: memory) % 64 == 0, "MAC table: allocator returned unaligned memory")
        self.deallocate = deallocate

        let words = memory.bindMemory(to: Atomic<UInt64>.self, capacity: byteCount / 8)
        for i in 0..<(byteCount / 8) { (words + i).initialize(to: Atomic(0)) }
        let controlWords = words
        let portWords = words + controlBytes / 8
        let slotWords = portWords + portBytes / 8
        for port in 0..<ports {
            let limit = limits.isEmpty ? Self.unlimited : limits[port]
            precondition(limit >= 0, "MAC table: negative limit")
            portWords[port * MACTableView.PortWord.stride + MACTableView.PortWord.limit].store(
                UInt64(limit), ordering: .relaxed)
        }
        var generator = SystemRandomNumberGenerator()
        view = MACTableView(
            words: slotWords, mask: slots - 1, window: self.probeLimit, seed: seed ?? generator.next(),
            portWords: portWords, portCount: ports, controlWords: controlWords)
    }

    deinit {
        // Atomic<UInt64> is trivially destructible: no deinitialize needed.
        deallocate(memory)
    }

    // MARK: Counters

    /// Learned (non-static) entries owned by `port`. Exact when no learn is in progress; while learns run it
    /// may include a few that are being created.
    public func learnedCount(port: Int) -> Int {
        Int(truncatingIfNeeded: portWord(port, MACTableView.PortWord.learned).pointee.load(ordering: .relaxed))
    }

    /// How many times a new MAC (or a move) on `port` was refused because the port was at its limit.
    public func limitReachedCount(port: Int) -> UInt64 {
        portWord(port, MACTableView.PortWord.limitReached).pointee.load(ordering: .relaxed)
    }

    /// How many times a new MAC on `port` was refused because its probe window had no free slot.
    public func tableFullCount(port: Int) -> UInt64 {
        portWord(port, MACTableView.PortWord.tableFull).pointee.load(ordering: .relaxed)
    }

    public func limit(port: Int) -> Int {
        Int(truncatingIfNeeded: portWord(port, MACTableView.PortWord.limit).pointee.load(ordering: .relaxed))
    }

    /// Changes `port`'s limit. Lowering it below the port's current count removes nothing: the port learns
    /// no new MAC until enough of its entries have aged out or been flushed.
    public func setLimit(_ limit: Int, port: Int) {
        precondition(limit >= 0, "MAC table: negative limit")
        portWord(port, MACTableView.PortWord.limit).pointee.store(UInt64(limit), ordering: .relaxed)
    }

    /// Entries in the table: learned (all ports) plus static.
    public var count: Int {
        let statics = state.withLock { $0.statics }
        return (0..<portCount).reduce(statics) { $0 + learnedCount(port: $1) }
    }

    public var staticCount: Int { state.withLock { $0.statics } }

    /// Deleted slots not yet recycled. They lengthen searches for absent keys and are not reused until
    /// `recycleTombstones` runs.
    public var tombstoneCount: Int { state.withLock { $0.tombstones } }

    /// True when tombstones exceed `fraction` of the capacity: time to call `recycleTombstones`.
    public func shouldRecycle(fraction: Double = 0.125) -> Bool {
        Double(tombstoneCount) > fraction * Double(capacity)
    }

    private func portWord(_ port: Int, _ word: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        precondition(port >= 0 && port < portCount, "MAC table: port index out of range")
        return view.portWord(UInt16(port), word)
    }

    // MARK: Control operations

    /// Deletes every learned entry last seen more than `maxAge` seconds before `now`. Static entries never
    /// age. Returns the number deleted. A learner refreshing an entry at the same moment either wins (the
    /// entry stays) or loses (it is deleted and learned again by the MAC's next frame).
    @discardableResult
    public func age(now: UInt32, maxAge: UInt32) -> Int {
        removeLearned { _, v in MACTableView.age(lastSeen: MACTableView.lastSeen(of: v), now: now) > maxAge }
    }

    /// Deletes every learned entry on `port`; static entries stay. Returns the number deleted.
    @discardableResult
    public func flush(port: UInt16) -> Int {
        removeLearned { _, v in MACTableView.port(of: v) == port }
    }

    /// Deletes every learned entry in `vlan`; static entries stay. Returns the number deleted.
    @discardableResult
    public func flush(vlan: UInt16) -> Int {
        removeLearned { k, _ in MACTableKey.vlan(of: k) == vlan & 0x0FFF }
    }

    /// Deletes every learned entry (and, if `includingStatic`, every static one). Returns the number deleted.
    @discardableResult
    public func flushAll(includingStatic: Bool = false) -> Int {
        var removed = removeLearned { _, _ in true }
        if includingStatic {
            removed += state.withLock { state in
                var n = 0
                forEachLiveSlot { slot, _ in
                    var v = view.value(slot)
                    while v & MACTableView.publishedBit != 0 && v & MACTableView.staticBit != 0 {
                        let r = view.casValue(slot, v, MACTableView.deadValue)
                        if r.exchanged {
                            kill(slot, state: &state)
                            state.statics -= 1
                            n += 1
                            break
                        }
                        v = r.original
                    }
                }
                return n
            }
        }
        return removed
    }

    /// Adds a static entry, or turns an existing entry for the MAC (learned or static, any port) into a
    /// static one on `port`. Static entries never age, never move, and do not count against limits. Returns
    /// false if the MAC is 00:00:00:00:00:00 or the table has no free slot within the probe window for a new
    /// entry.
    @discardableResult
    public func addStatic(vlan: UInt16, mac: UInt64, port: UInt16) -> Bool {
        precondition(Int(port) < portCount, "MAC table: port index out of range")
        let key = MACTableKey.make(vlan: vlan, mac: mac)
        guard MACTableKey.mac(of: key) != 0 else { return false }  // 00:00:00:00:00:00 is never stored
        let desired = MACTableView.staticValue(port: port)
        return state.withLock { state in
            // The control thread creates entries like a learner (same search, same claim), so it never
            // creates a duplicate either.
            let t = view
            let found = t.search(key)
            var slot = found.live
            if slot < 0 {
                guard found.claimable >= 0 else { return false }
                let claim = t.claim(key, from: found.claimable, scanned: found.claimableScanned)
                if claim.claimed {
                    // Nobody but the control thread writes the value of an unpublished slot it claimed.
                    t.words[2 * claim.slot + 1].store(desired, ordering: .releasing)
                    state.statics += 1
                    return true
                }
                guard claim.slot >= 0 else { return false }
                slot = claim.slot
            }
            // A live copy: unpublished (a PMD is creating it; its publishing CAS then fails and it gives back
            // its reservation), learned, or static. Take it over.
            var v = t.value(slot)
            while true {
                let r = t.casValue(slot, v, desired)
                if r.exchanged { break }
                v = r.original
            }
            if v & MACTableView.publishedBit == 0 || v & MACTableView.staticBit == 0 { state.statics += 1 }
            if v & MACTableView.publishedBit != 0 && v & MACTableView.staticBit == 0 {
                t.release(MACTableView.port(of: v))
            }
            return true
        }
    }

    /// Removes the static entry for the MAC. Returns false if there is none (a learned entry is left alone).
    @discardableResult
    public func removeStatic(vlan: UInt16, mac: UInt64) -> Bool {
        let key = MACTableKey.make(vlan: vlan, mac: mac)
        return state.withLock { state in
            guard let slot = find(key) else { return false }
            let v = view.value(slot)
            guard v & MACTableView.publishedBit != 0, v & MACTableView.staticBit != 0 else { return false }
            // Static values are written only by the control thread (here, under the lock): this CAS succeeds.
            guard view.casValue(slot, v, MACTableView.deadValue).exchanged else { return false }
            kill(slot, state: &state)
            state.statics -= 1
            return true
        }
    }

    /// The entry for the MAC, if any (control-side convenience for tests and `sluicectl`).
    public func entry(vlan: UInt16, mac: UInt64, now: UInt32) -> MACTableEntry? {
        let key = MACTableKey.make(vlan: vlan, mac: mac)
        return state.withLock { _ in  // not concurrently with a recycling: it holds no grace period
            guard let slot = find(key) else { return nil }
            return makeEntry(key: key, value: view.value(slot), now: now)
        }
    }

    /// A snapshot of every published entry, in slot order. Each entry is read atomically; the set is not a
    /// single point-in-time snapshot while PMDs learn.
    public func entries(now: UInt32) -> [MACTableEntry] {
        state.withLock { _ in
            var result: [MACTableEntry] = []
            forEachLiveSlot { slot, key in
                if let e = makeEntry(key: key, value: view.value(slot), now: now) { result.append(e) }
            }
            return result
        }
    }

    /// Makes deleted slots reusable. Pauses learning of new MACs (lookups, refreshes and moves continue),
    /// calls `waitForGracePeriod`, which must return only after every thread using `view` has passed a
    /// quiescent point (no `lookup`/`learn` call that started before it is still running), then, in one
    /// backward pass, turns tombstones that end a run into empty slots and the others into claimable
    /// `free` slots, and resumes learning. Returns the number of tombstones recycled.
    ///
    /// The grace period is what makes reuse safe: no thread can still hold a slot index it read before the
    /// deletion (so no stale write can land on the slot's next occupant and no reader can pair the old key
    /// with the new value), and no learner can have begun its search before free slots appeared (so no
    /// two learners place the same key in two slots). Passing `{}` is correct only if no thread uses `view`.
    ///
    /// Contract of `waitForGracePeriod` (docs/mac-table.md): when it returns, every `lookup`/`learn` that began
    /// before the call has finished, and every one that begins afterwards sees learning paused. A PMD's
    /// quiescent report must therefore be followed by a full barrier (a sequentially consistent store or an
    /// atomic read-modify-write), or read a token this thread advanced; a plain counter increment does not
    /// order the PMD's next load of the pause flag after it.
    @discardableResult
    public func recycleTombstones(waitForGracePeriod: () -> Void) -> Int {
        tryRecycleTombstones(gracePeriod: {
            waitForGracePeriod()
            return true
        })
    }

    /// `recycleTombstones(waitForGracePeriod:)` for a grace period that may time out (a stalled PMD): when
    /// `gracePeriod` returns false, nothing is recycled (0) and learning resumes, since a PMD may still hold
    /// a slot index it read before the deletion.
    @discardableResult
    public func tryRecycleTombstones(gracePeriod: () -> Bool) -> Int {
        state.withLock { state in
            guard state.tombstones > 0 else { return 0 }
            let recycled = state.tombstones
            view.controlWords[0].store(1, ordering: .sequentiallyConsistent)
            guard gracePeriod() else {
                // Nothing was compacted, so resuming learning without a grace period is safe: the tombstones
                // stay tombstones until a later attempt.
                view.controlWords[0].store(0, ordering: .releasing)
                return 0
            }
            compactInPlace()
            view.controlWords[0].store(0, ordering: .releasing)
            state.tombstones = 0
            return recycled
        }
    }

    // MARK: Internals (control side)

    /// Runs inside `recycleTombstones` with learning paused and drained: no thread claims or writes a
    /// tombstone's words. Lookups may run: a slot becomes empty only when the slot after it is empty, so no
    /// search that could still find a live key ever stops early.
    private func compactInPlace() {
        let t = view
        let n = capacity
        // Start just before an empty slot, so "the next slot is empty" is known for the first one visited.
        var anchor = -1
        for i in 0..<n where t.key(i) == MACTableView.emptyKey {
            anchor = i
            break
        }
        var nextIsEmpty = anchor >= 0
        var slot = anchor >= 0 ? anchor : 0
        for _ in 0..<n {
            slot = (slot - 1) & t.mask
            let k = t.key(slot)
            if k == MACTableView.emptyKey {
                nextIsEmpty = true
            } else if k == MACTableView.tombstoneKey || k == MACTableView.freeKey {
                t.words[2 * slot + 1].store(0, ordering: .relaxed)
                let recycled = nextIsEmpty ? MACTableView.emptyKey : MACTableView.freeKey
                t.words[2 * slot].store(recycled, ordering: .releasing)
            } else {
                nextIsEmpty = false
            }
        }
    }

    /// The slot holding a live copy of `key`, if any.
    private func find(_ key: UInt64) -> Int? {
        let slot = view.search(key).live
        return slot >= 0 ? slot : nil
    }

    /// Deletes every published learned entry for which `predicate(key, value)` holds; returns how many.
    private func removeLearned(_ predicate: (UInt64, UInt64) -> Bool) -> Int {
        state.withLock { state in
            var removed = 0
            forEachLiveSlot { slot, key in
                var v = view.value(slot)
                // Re-decide on every failed CAS: a PMD refreshed or moved the entry in between.
                while v & MACTableView.publishedBit != 0, v & MACTableView.staticBit == 0, predicate(key, v) {
                    let r = view.casValue(slot, v, MACTableView.deadValue)
                    if r.exchanged {
                        kill(slot, state: &state)
                        view.release(MACTableView.port(of: v))
                        removed += 1
                        break
                    }
                    v = r.original
                }
            }
            return removed
        }
    }

    /// Second half of a deletion, after the value was CASed to `deadValue` (the linearisation point): the
    /// key becomes a tombstone. Only the control thread writes the key word of an occupied slot.
    private func kill(_ slot: Int, state: inout ControlState) {
        view.words[2 * slot].store(MACTableView.tombstoneKey, ordering: .releasing)
        state.tombstones += 1
    }

    private func forEachLiveSlot(_ body: (Int, UInt64) -> Void) {
        let t = view
        for slot in 0..<capacity {
            let k = t.key(slot)
            if k != MACTableView.emptyKey && k != MACTableView.tombstoneKey && k != MACTableView.freeKey {
                body(slot, k)
            }
        }
    }

    private func makeEntry(key: UInt64, value v: UInt64, now: UInt32) -> MACTableEntry? {
        guard v & MACTableView.publishedBit != 0 else { return nil }
        let isStatic = v & MACTableView.staticBit != 0
        return MACTableEntry(
            vlan: MACTableKey.vlan(of: key), mac: MACTableKey.mac(of: key), port: MACTableView.port(of: v),
            age: isStatic ? 0 : MACTableView.age(lastSeen: MACTableView.lastSeen(of: v), now: now),
            isStatic: isStatic)
    }
}
