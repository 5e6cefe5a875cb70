/// A set of port slots (`0 ..< PortLimit.maxPorts`): one bit per slot in `wordCount` 64-bit words, in memory
/// owned by whoever allocated it (a generation's tables, a stage). The fast path's port sets (VLAN members and
/// untagged ports, enabled ports, the ports a feature serves) are these: a membership test is one load and a
/// bit test, whatever the port count.
///
/// A plain pointer (no reference counting): copying a `PortSet` copies the handle, not the bits.
@frozen
public struct PortSet: @unchecked Sendable {
    // @unchecked: the words are written only while the set is built, before it is published.
    public let words: UnsafeMutablePointer<UInt64>

    @inlinable
    public init(words: UnsafeMutablePointer<UInt64>) { self.words = words }

    /// Words per set: `maxPorts / 64` rounded up to a power of two, so that an index is masked, not checked.
    @inlinable public static var wordCount: Int {
        var n = 1
        while n &* 64 < PortLimit.maxPorts { n &*= 2 }
        return n
    }

    /// Bytes of one set.
    @inlinable public static var byteCount: Int { wordCount * MemoryLayout<UInt64>.stride }

    /// Whether `slot` is in the set. A slot outside `0 ..< maxPorts` wraps (the index is masked, never out of
    /// the set's memory): callers range-check slots that may be out of range (`PacketMeta.flood`, ...).
    @inlinable @inline(__always)
    public func contains(_ slot: Int) -> Bool {
        words[(slot &>> 6) & (Self.wordCount &- 1)] & (UInt64(1) &<< UInt64(truncatingIfNeeded: slot & 63)) != 0
    }

    /// Adds `slot` (in `0 ..< maxPorts`). Only while the set is being built, before it is published.
    @inlinable
    public func insert(_ slot: Int) {
        precondition((0..<PortLimit.maxPorts).contains(slot), "port slot \(slot) out of range")
        words[slot >> 6] |= UInt64(1) << UInt64(slot & 63)
    }

    /// Removes `slot` (in `0 ..< maxPorts`). Only while the set is being built, before it is published.
    @inlinable
    public func remove(_ slot: Int) {
        precondition((0..<PortLimit.maxPorts).contains(slot), "port slot \(slot) out of range")
        words[slot >> 6] &= ~(UInt64(1) << UInt64(slot & 63))
    }

    /// Adds `slot` on the fast path: no range check (the index is masked like `contains`'s).
    @inlinable @inline(__always)
    public func add(_ slot: Int) {
        words[(slot &>> 6) & (Self.wordCount &- 1)] |= UInt64(1) &<< UInt64(truncatingIfNeeded: slot & 63)
    }

    /// Empties the set (one store per word).
    @inlinable @inline(__always)
    public func removeAll() {
        for i in 0..<Self.wordCount { words[i] = 0 }
    }

    /// Whether no slot is in the set (reads every word: not for per-packet use).
    public var isEmpty: Bool { (0..<Self.wordCount).allSatisfy { words[$0] == 0 } }

    /// The number of slots in the set.
    public var count: Int { (0..<Self.wordCount).reduce(0) { $0 + words[$1].nonzeroBitCount } }

    /// The slots in the set, ascending.
    public var slots: [Int] {
        var result: [Int] = []
        for word in 0..<Self.wordCount {
            var bits = words[word]
            while bits != 0 {
                result.append(word << 6 | bits.trailingZeroBitCount)
                bits &= bits &- 1
            }
        }
        return result
    }

    /// A new empty set (or `count` consecutive empty sets, the first returned); free with `deallocate`.
    public static func allocate(count: Int = 1) -> PortSet {
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: max(count, 1) * wordCount)
        words.initialize(repeating: 0, count: max(count, 1) * wordCount)
        return PortSet(words: words)
    }

    /// A new set holding `slots` (each in `0 ..< maxPorts`); free with `deallocate`.
    public static func allocate(_ slots: some Sequence<Int>) -> PortSet {
        let set = allocate()
        for slot in slots { set.insert(slot) }
        return set
    }

    /// The `index`th of `count` consecutive sets allocated together.
    @inlinable @inline(__always)
    public func at(_ index: Int) -> PortSet { PortSet(words: words + index &* Self.wordCount) }

    /// Frees memory from `allocate` (the first set of a group frees the group).
    public func deallocate() { words.deallocate() }

    /// Copies `other`'s bits into this set (built off the fast path).
    public func assign(_ other: PortSet) { words.update(from: other.words, count: Self.wordCount) }

    /// An empty set that is never freed: the port set of disabled features and of tables without ports.
    /// Read when views are built, never on the fast path (a stored static is initialised lazily).
    public static let none = PortSet.allocate()
}
