/// Adaptive skipping of idle vhost-user rx queues, per PMD (docs/vhost-user.md, "Idle queues"): a queue that
/// has returned nothing for `threshold` polls in a row is polled only every `period`-th loop iteration until
/// it returns packets again. Bounded extra latency: a guest that starts sending on such a queue waits at most
/// `period - 1` iterations of its PMD (microseconds on an idle PMD; its ring holds what arrives meanwhile).
/// Queues are staggered by position so that the skipped ones do not all come due in the same iteration.
/// The streaks are the PMD's own memory (no other thread reads them); a new generation resets them, since
/// queue positions change with it.
@usableFromInline
struct IdleVhostQueues {
    /// Queue positions tracked; queues of a PMD past this are always polled.
    @inlinable static var capacity: Int { 4096 }
    @inlinable static var threshold: UInt32 { 64 }
    /// A power of two.
    @inlinable static var period: Int { 8 }

    @usableFromInline let streaks: UnsafeMutablePointer<UInt32>
    @usableFromInline var iteration = 0

    init() {
        streaks = .allocate(capacity: Self.capacity)
        streaks.initialize(repeating: 0, count: Self.capacity)
    }

    func deallocate() { streaks.deallocate() }

    /// A new generation: every queue counts as busy again.
    @inlinable func reset(count: Int) { streaks.update(repeating: 0, count: min(count, Self.capacity)) }

    @inlinable mutating func nextIteration() { iteration &+= 1 }

    /// Whether the queue at position `q` sits out this iteration.
    @inlinable @inline(__always)
    func skips(_ q: Int) -> Bool {
        q < Self.capacity && streaks[q] >= Self.threshold && (iteration &+ q) & (Self.period - 1) != 0
    }

    /// What a poll of the queue at position `q` returned.
    @inlinable @inline(__always)
    func record(_ q: Int, received n: Int) {
        guard q < Self.capacity else { return }
        if n != 0 {
            streaks[q] = 0
        } else if streaks[q] < Self.threshold {
            streaks[q] &+= 1
        }
    }
}
