import Synchronization

/// The fixed parameters of one token bucket, as of one generation: how fast it refills, how many tokens it
/// holds at most, and the one-time burst it starts with. Tokens are bytes (bandwidth buckets) or packets.
///
/// Time is the TSC scaled by `2^scaleShift` (fixed point, so that a token may cost a fraction of a cycle at
/// high rates). A bucket is kept as one word, its *empty time* `e`: the scaled TSC value at which it held no
/// tokens (the virtual-scheduling form of a token bucket, GCRA). At time `t` it holds
/// `min(size, (t − e) / cyclesPerToken)` tokens; taking `n` tokens moves `e` to `max(e, t − window) + n ×
/// cyclesPerToken`, and is allowed when that is not later than `t`. This is Firecracker's bucket exactly:
/// tokens refill continuously and lazily (only when asked), never above `size`; the one-time burst is a second
/// word, spent first and never refilled. One word per bucket is what makes it lock-free for buckets shared by
/// PMDs: one compare-and-swap per burst.
@frozen
public struct TokenBucketSpec: Sendable, Equatable {
    /// Fractional bits of the scaled TSC.
    @inlinable public static var scaleShift: UInt64 { 8 }
    /// The most `window` may be: 2^56 scaled cycles (2^48 cycles, a day at 3 GHz), far beyond any useful
    /// burst, so that every sum below stays clear of overflow.
    @inlinable public static var maxWindow: UInt64 { 1 << 56 }
    /// Scaled TSC cycles per token (at least 1).
    public var cyclesPerToken: UInt64
    /// The time to refill an empty bucket: `size × cyclesPerToken`, capped at `maxWindow`.
    public var window: UInt64
    /// Most tokens the bucket holds (its burst).
    public var size: UInt64
    /// Tokens available once, on top of `size`, spent first.
    public var oneTimeBurst: UInt64
    /// Tokens added per second (for status).
    public var tokensPerSecond: Double

    /// - Parameters:
    ///   - tokens: tokens added per `per` seconds (bits-per-second limits give bytes per 8 seconds).
    ///   - tscHz: TSC cycles per second.
    public init(tokens: UInt64, perSeconds per: UInt64 = 1, size: UInt64, oneTimeBurst: UInt64, tscHz: UInt64) {
        precondition(tokens > 0 && per > 0 && size > 0 && tscHz > 0, "a bucket needs a rate, a size and a clock")
        let scaled = (tscHz.multipliedFullWidth(by: per << Self.scaleShift))
        let (quotient, _) = tokens.dividingFullWidth(
            scaled.high >= tokens ? (tokens - 1, UInt64.max) : (scaled.high, scaled.low))
        cyclesPerToken = max(1, quotient)
        let full = size.multipliedReportingOverflow(by: cyclesPerToken)
        window = full.overflow ? Self.maxWindow : min(full.partialValue, Self.maxWindow)
        self.size = size
        self.oneTimeBurst = oneTimeBurst
        tokensPerSecond = Double(tokens) / Double(per)
    }

    /// The scaled form of a TSC reading. Wrapping: differences stay right across the counter's wraparound.
    @inlinable @inline(__always)
    public static func scaled(_ tsc: UInt64) -> UInt64 { tsc &<< scaleShift }

    /// The empty time of a full bucket at `tsc` (what a new bucket starts with).
    @inlinable
    public func fullEmptyTime(at tsc: UInt64) -> UInt64 { Self.scaled(tsc) &- window }

    /// The empty time clamped to a full bucket at scaled time `t`. A bucket is never more than `window` behind
    /// `t` (it holds at most `size` tokens); a bucket in debt is ahead of `t` by at most a burst of frames
    /// (from-vm charges after receiving), so an empty time further ahead than 64 windows can only mean a
    /// scaled clock that wrapped around during a very long idle time (2^55 cycles): the bucket is full.
    @inlinable @inline(__always)
    public func clamped(_ e: UInt64, at t: UInt64) -> UInt64 {
        let d = Int64(bitPattern: t &- e)
        if d >= Int64(bitPattern: window) || d < -Int64(bitPattern: window &<< 6) { return t &- window }
        return e
    }

    /// Tokens in the bucket at scaled time `t` (not counting the one-time burst).
    @inlinable @inline(__always)
    public func tokens(emptyTime e: UInt64, at t: UInt64) -> UInt64 {
        let d = Int64(bitPattern: t &- clamped(e, at: t))
        return d <= 0 ? 0 : UInt64(d) / cyclesPerToken
    }

    /// Whether the bucket (one-time burst first) holds `cost` tokens at scaled time `t`: `take` without the
    /// taking, and without a division (what from-vm asks first: may a whole burst of full frames come in?).
    @inlinable @inline(__always)
    public func covers(_ cost: UInt64, emptyTime e: UInt64, oneTime: UInt64, at t: UInt64) -> Bool {
        if oneTime >= cost { return true }
        let rest = cost &- oneTime
        guard rest <= size else { return false }
        let d = Int64(bitPattern: t &- clamped(e, at: t))
        return d >= 0 && UInt64(d) >= rest &* cyclesPerToken
    }

    /// Takes `cost` tokens at scaled time `t` if the bucket (one-time burst first) has them: true and the new
    /// state, or false and the state untouched. A cost larger than `size + oneTime` never passes.
    @inlinable @inline(__always)
    public func take(_ cost: UInt64, at t: UInt64, emptyTime e: inout UInt64, oneTime: inout UInt64) -> Bool {
        let fromOneTime = min(oneTime, cost)
        let rest = cost &- fromOneTime
        if rest == 0 {
            oneTime &-= fromOneTime
            return true
        }
        guard rest <= size else { return false }
        let next = clamped(e, at: t) &+ rest &* cyclesPerToken
        guard Int64(bitPattern: t &- next) >= 0 else { return false }
        e = next
        oneTime &-= fromOneTime
        return true
    }

    /// Takes `cost` tokens at scaled time `t` whether or not the bucket has them (what from-vm does after
    /// receiving frames it admitted by their largest size): the bucket may go into debt, which delays what
    /// it admits next, so the long-run rate stays exact.
    @inlinable @inline(__always)
    public func charge(_ cost: UInt64, at t: UInt64, emptyTime e: inout UInt64, oneTime: inout UInt64) {
        let fromOneTime = min(oneTime, cost)
        oneTime &-= fromOneTime
        e = clamped(e, at: t) &+ (cost &- fromOneTime) &* cyclesPerToken
    }
}

/// The state of one bucket, in memory shared by every PMD that may use it: the empty time and the one-time
/// burst left (two words), updated with compare-and-swap. Lives as long as the dataplane: configuration
/// generations come and go, the tokens stay.
@frozen
public struct TokenBucketState {
    public let emptyTime: UnsafeMutablePointer<Atomic<UInt64>>
    public let oneTime: UnsafeMutablePointer<Atomic<UInt64>>

    @inlinable
    public init(words: UnsafeMutablePointer<Atomic<UInt64>>) {
        emptyTime = words
        oneTime = words + 1
    }

    /// Sets the bucket full, with its whole one-time burst (a new bucket or a changed one). Control thread.
    public func reset(_ spec: TokenBucketSpec, at tsc: UInt64) {
        oneTime.pointee.store(spec.oneTimeBurst, ordering: .relaxed)
        emptyTime.pointee.store(spec.fullEmptyTime(at: tsc), ordering: .relaxed)
    }

    /// Tokens available now, one-time burst included.
    @inlinable @inline(__always)
    public func available(_ spec: TokenBucketSpec, at t: UInt64) -> UInt64 {
        spec.tokens(emptyTime: emptyTime.pointee.load(ordering: .relaxed), at: t)
            &+ oneTime.pointee.load(ordering: .relaxed)
    }

    /// Publishes a state computed from `(e0, o0)` as `(e1, o1)`: the one-time burst first, then the empty time,
    /// each with one compare-and-swap (none when unchanged). False, with nothing changed, when another PMD
    /// changed either word meanwhile: the caller recomputes from fresh values. Out of line: its compare-and-swaps
    /// are the only locked instructions QoS puts on the fast path (allow-listed in `tools/check-fastpath`).
    @inline(never)
    public func commit(from e0: UInt64, _ o0: UInt64, to e1: UInt64, _ o1: UInt64) -> Bool {
        if o1 != o0 {
            guard oneTime.pointee.compareExchange(expected: o0, desired: o1, ordering: .relaxed).exchanged else {
                return false
            }
        }
        if e1 != e0 {
            guard emptyTime.pointee.compareExchange(expected: e0, desired: e1, ordering: .relaxed).exchanged else {
                if o1 != o0 { oneTime.pointee.wrappingAdd(o0 &- o1, ordering: .relaxed) }
                return false
            }
        }
        return true
    }

    /// Gives back what a successful `commit` took (when a second bucket then refused): the one-time burst and
    /// the empty time moved back by the same amounts.
    @inline(never)
    public func refund(from e0: UInt64, _ o0: UInt64, to e1: UInt64, _ o1: UInt64) {
        if o1 != o0 { oneTime.pointee.wrappingAdd(o0 &- o1, ordering: .relaxed) }
        if e1 != e0 { emptyTime.pointee.wrappingSubtract(e1 &- e0, ordering: .relaxed) }
    }

    /// Charges `cost` unconditionally (see `TokenBucketSpec.charge`), retrying until its compare-and-swap wins.
    @inline(never)
    public func charge(_ spec: TokenBucketSpec, _ cost: UInt64, at t: UInt64) {
        while true {
            let e0 = emptyTime.pointee.load(ordering: .relaxed)
            let o0 = oneTime.pointee.load(ordering: .relaxed)
            var e1 = e0
            var o1 = o0
            spec.charge(cost, at: t, emptyTime: &e1, oneTime: &o1)
            if commit(from: e0, o0, to: e1, o1) { return }
        }
    }
}
