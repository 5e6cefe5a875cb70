import Packet
import Synchronization

/// The limits of one direction of one port: a bandwidth bucket (tokens are bytes of whole frames) and a
/// packet bucket (tokens are packets), either of which may be off.
@frozen
public struct QoSDirectionSpec: Sendable, Equatable {
    public var bytes: TokenBucketSpec?
    public var packets: TokenBucketSpec?
    /// The largest frame the port may receive (MTU + Ethernet header + one VLAN tag): from-vm admits frames
    /// by this size before it knows their real size.
    public var maxFrame: UInt64

    public init(bytes: TokenBucketSpec?, packets: TokenBucketSpec?, maxFrame: UInt64) {
        self.bytes = bytes
        self.packets = packets
        self.maxFrame = maxFrame
    }

    public static let unlimited = QoSDirectionSpec(bytes: nil, packets: nil, maxFrame: 0)
}

/// The two directions, as the PMD indexes them.
public enum QoSDirection: Int, Sendable, CaseIterable {
    /// What the port receives (what a VM sends): held back.
    case fromVM = 0
    /// What the switch sends out of the port (what a VM receives): policed.
    case toVM = 1

    public var name: String { self == .fromVM ? "from-vm" : "to-vm" }
}

/// Per-PMD counters of each port and direction (one `CounterBlock` per PMD, outliving generations).
public enum QoSCounters {
    /// Packets and bytes that passed; polls that dequeued nothing because the buckets were empty (from-vm)
    /// or packets dropped for lack of tokens (to-vm); bytes of the packets dropped (to-vm).
    public static let passedPackets = 0, passedBytes = 1, heldOrDropped = 2, droppedBytes = 3
    /// from-vm: TSC cycles this PMD held the port back in holds that ended (`heldCycles`), and the TSC value
    /// at which the current hold began, 0 while not held (`heldSince`: state, not a counter; a reader adds
    /// the hold in progress). Written at the transitions only: the first poll that may take nothing, the
    /// first that may take something again.
    public static let heldCycles = 4, heldSince = 5
    public static let perDirection = 6
    public static let count = PortLimit.maxPorts * 2 * perDirection

    @inlinable @inline(__always)
    public static func index(slot: Int, _ direction: QoSDirection, _ counter: Int) -> Int {
        (slot &* 2 &+ direction.rawValue) &* perDirection &+ counter
    }
}

/// What a PMD reads for QoS, as of one generation: which ports are limited in each direction (port sets, so
/// an unlimited port costs one test per burst), their bucket parameters (owned by the generation),
/// the buckets' state (shared by every PMD and every generation) and this PMD's counters.
@frozen
public struct QoSTables: @unchecked Sendable {
    /// The slots limited from-vm / to-vm (owned by the generation).
    public var fromVM: PortSet
    public var toVM: PortSet
    /// Whether any slot is limited from-vm / to-vm: the stages skip their checks otherwise.
    public var limitsFromVM: Bool
    public var limitsToVM: Bool
    /// `2 × maxPorts` entries: slot × direction.
    public var specs: UnsafePointer<QoSDirectionSpec>?
    /// `wordsPerSlot` words per slot: direction × (bytes, packets) × (empty time, one-time burst).
    public var state: UnsafeMutablePointer<Atomic<UInt64>>?
    public var counters: CounterBlock?

    public static var wordsPerSlot: Int { 8 }

    public init(
        fromVM: PortSet, toVM: PortSet, specs: UnsafePointer<QoSDirectionSpec>?,
        state: UnsafeMutablePointer<Atomic<UInt64>>?, counters: CounterBlock?
    ) {
        self.fromVM = fromVM
        self.toVM = toVM
        limitsFromVM = !fromVM.isEmpty
        limitsToVM = !toVM.isEmpty
        self.specs = specs
        self.state = state
        self.counters = counters
    }

    /// No port limited: the default of every generation built without QoS (tests, the bench's io baseline).
    @inlinable public static var off: QoSTables {
        QoSTables(fromVM: .none, toVM: .none, specs: nil, state: nil, counters: nil)
    }

    @inlinable @inline(__always)
    public func spec(slot: Int, _ direction: QoSDirection) -> QoSDirectionSpec {
        specs.unsafelyUnwrapped[slot &* 2 &+ direction.rawValue]
    }

    /// The state of a slot's bucket: `packets` false for the bandwidth bucket.
    @inlinable @inline(__always)
    public func bucket(slot: Int, _ direction: QoSDirection, packets: Bool) -> TokenBucketState {
        let word = slot &* Self.wordsPerSlot &+ direction.rawValue &* 4 &+ (packets ? 2 : 0)
        return TokenBucketState(words: state.unsafelyUnwrapped + word)
    }

    // MARK: from-vm

    /// How many packets the PMD may dequeue from a from-vm limited port now (at most `limit`): as many as
    /// the packet bucket has tokens, and as many frames of the port's largest size as the bandwidth bucket
    /// has bytes for, so that whatever is dequeued is paid for and nothing is half-consumed. 0: the rx queue
    /// is left alone this poll (its packets stay in the guest's ring, in order).
    @inlinable @inline(__always)
    public func fromVMAllowance(slot: Int, limit: Int, tsc: UInt64) -> Int {
        let spec = spec(slot: slot, .fromVM)
        let t = TokenBucketSpec.scaled(tsc)
        var allowed = UInt64(truncatingIfNeeded: limit)
        // The common case without a division: the buckets hold a whole burst of full-size frames.
        if covers(spec.packets, slot: slot, packets: true, allowed, at: t)
            && covers(spec.bytes, slot: slot, packets: false, allowed &* spec.maxFrame, at: t)
        {
            endHold(slot: slot, tsc: tsc)
            return limit
        }
        if let packets = spec.packets {
            allowed = min(allowed, bucket(slot: slot, .fromVM, packets: true).available(packets, at: t))
        }
        if let bytes = spec.bytes {
            allowed = min(allowed, bucket(slot: slot, .fromVM, packets: false).available(bytes, at: t) / spec.maxFrame)
        }
        if allowed == 0 {
            beginHold(slot: slot, tsc: tsc)
        } else {
            endHold(slot: slot, tsc: tsc)
        }
        return Int(truncatingIfNeeded: allowed)
    }

    /// A poll that may take nothing: counts it, and starts a hold unless one is in progress.
    @inlinable @inline(__always)
    func beginHold(slot: Int, tsc: UInt64) {
        let block = counters.unsafelyUnwrapped
        block.increment(QoSCounters.index(slot: slot, .fromVM, QoSCounters.heldOrDropped))
        let since = QoSCounters.index(slot: slot, .fromVM, QoSCounters.heldSince)
        if block.base[since] == 0 { block.base[since] = max(tsc, 1) }
    }

    /// A poll that may take something: ends the hold in progress, if any, adding its length.
    @inlinable @inline(__always)
    func endHold(slot: Int, tsc: UInt64) {
        let block = counters.unsafelyUnwrapped
        let since = QoSCounters.index(slot: slot, .fromVM, QoSCounters.heldSince)
        let start = block.base[since]
        if _slowPath(start != 0) {
            block.add(QoSCounters.index(slot: slot, .fromVM, QoSCounters.heldCycles), tsc &- start)
            block.base[since] = 0
        }
    }

    /// Ends every hold in progress on this PMD (the PMD binds a new generation, which may no longer limit a
    /// port that was held, so nothing would end its hold). A port still held starts a new hold at its next
    /// poll: only the time between the two polls goes uncounted.
    @inlinable
    public func endHolds(tsc: UInt64) {
        guard counters != nil else { return }
        for slot in 0..<PortLimit.maxPorts { endHold(slot: slot, tsc: tsc) }
    }

    @inlinable @inline(__always)
    func covers(_ spec: TokenBucketSpec?, slot: Int, packets: Bool, _ cost: UInt64, at t: UInt64) -> Bool {
        guard let spec else { return true }
        let state = bucket(slot: slot, .fromVM, packets: packets)
        return spec.covers(
            cost, emptyTime: state.emptyTime.pointee.load(ordering: .relaxed),
            oneTime: state.oneTime.pointee.load(ordering: .relaxed), at: t)
    }

    /// Charges what was dequeued (at its real size) to the from-vm buckets.
    @inlinable @inline(__always)
    public func fromVMCharge(slot: Int, packets n: Int, bytes: UInt64, tsc: UInt64) {
        let spec = spec(slot: slot, .fromVM)
        let t = TokenBucketSpec.scaled(tsc)
        let count = UInt64(truncatingIfNeeded: n)
        if let packets = spec.packets { bucket(slot: slot, .fromVM, packets: true).charge(packets, count, at: t) }
        if let b = spec.bytes { bucket(slot: slot, .fromVM, packets: false).charge(b, bytes, at: t) }
        let block = counters.unsafelyUnwrapped
        block.add(QoSCounters.index(slot: slot, .fromVM, QoSCounters.passedPackets), count)
        block.add(QoSCounters.index(slot: slot, .fromVM, QoSCounters.passedBytes), bytes)
    }
}
