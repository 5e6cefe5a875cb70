import CDPDK

/// A block of 64-bit counters written by exactly one PMD thread and read by the control thread.
///
/// The writer uses plain adds (no atomics, no fences in the PMD loop); readers use `load`, a volatile
/// single-copy-atomic read. Each block starts on its own cache line so two PMDs never share one.
@frozen
public struct CounterBlock: @unchecked Sendable {
    // @unchecked: one writer (the owning PMD) and readers that only load; see the type comment.
    public let base: UnsafeMutablePointer<UInt64>
    public let count: Int

    /// Allocates `count` zeroed counters on their own cache lines. Blocks live as long as the dataplane
    /// (readers may hold them), so they are released only by `deallocate()` at shutdown.
    public static func allocate(count: Int) -> CounterBlock {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 8, alignment: 64)
        let base = raw.bindMemory(to: UInt64.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
        return CounterBlock(base: base, count: count)
    }

    @inlinable
    public init(base: UnsafeMutablePointer<UInt64>, count: Int) {
        self.base = base
        self.count = count
    }

    public func deallocate() { UnsafeMutableRawPointer(base).deallocate() }

    @inlinable @inline(__always)
    public func add(_ index: Int, _ value: UInt64) { base[index] &+= value }

    @inlinable @inline(__always)
    public func increment(_ index: Int) { base[index] &+= 1 }

    /// A torn-free read from any thread.
    public func load(_ index: Int) -> UInt64 { sl_load_u64(base + index) }

    public func loadAll() -> [UInt64] { (0..<count).map { load($0) } }
}
