import DPDK

/// One step of the dataplane pipeline. Stages work on whole bursts (as VPP's graph nodes do): the loop over
/// packets lives inside `process`, so a stage's code and tables stay hot in cache for the whole burst and the
/// call itself is paid once per burst, statically dispatched (pipelines are concrete structs of concrete
/// stages; nothing is dispatched per packet).
///
/// A stage may drop packets: it compacts the burst with `PacketBurst.keep`/`drop`/`endCompaction` and
/// counts each drop under one of its `Drop` reasons.
public protocol PipelineStage: ~Copyable {
    /// Why the stage drops packets: an enum, one counter per case, named by the case (`NoReasons` for a
    /// stage that never drops).
    associatedtype Drop: StageReason
    /// What the stage counts that is not a drop (MACs learned, floods, ...): an enum like `Drop`, by default
    /// `NoReasons`.
    associatedtype Event: StageReason = NoReasons

    /// Stable identifier shown by `sluicectl` and used in JSON output.
    static var name: String { get }
    /// This PMD's counters for the stage (layout: `StageCounters`), counted by `Drop` and `Event`.
    var counters: TypedStageCounters<Drop, Event> { get }

    mutating func process(_ burst: inout PacketBurst)

    /// Points the stage at a newly published generation of the configuration tables. Called by the PMD
    /// (between bursts, never during one) when the control thread has published a new generation, so that
    /// every burst is processed against one consistent configuration. Required, so that no stage can keep
    /// reading a freed generation by forgetting it: stages that read no configuration say so with an empty
    /// body.
    mutating func bind(_ tables: borrowing ForwardingTables)

    /// Explains what the stage would do with one packet (`sluicectl trace`), against `context` (the current
    /// generation's tables and the shared MAC table), without any side effect: nothing is learned, counted
    /// or sent. It updates `packet.meta` as `process` would, so that later stages see the decision, and
    /// returns the step to show. Static: tracing runs on the control thread and never touches a PMD's stage.
    /// Never called from the PMD loop. A stage that does not implement it shows as passing the packet
    /// unchanged with a note saying so (the default below).
    static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep
}

extension PipelineStage where Self: ~Copyable {
    /// The default explanation: the stage is listed, passes the packet and says it cannot explain itself.
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        TraceStep(stage: name, facts: [TraceFact("note", "this stage does not explain its decisions")])
    }
}

extension PipelineStage where Self: ~Copyable {
    /// The stage's counters, typed by its reasons.
    public typealias Counters = TypedStageCounters<Drop, Event>

    /// Names of the stage's drop reasons, in counter order (a reason's counter is `firstDrop` + its index).
    public static var dropReasons: [String] { Drop.names }
    /// Names of the stage's events, in counter order (an event's counter is `firstEvent` + its index).
    public static var eventNames: [String] { Event.names }

    /// Counters laid out for this stage's drop reasons and events.
    public static func allocateCounters() -> Counters { .allocate() }

    /// Runs the stage and accounts packets in/out and the cycles it took. `since` is the TSC value at the
    /// end of the previous stage, so one TSC read per stage boundary suffices.
    @inlinable @inline(__always)
    public mutating func run(_ burst: inout PacketBurst, since start: UInt64) -> UInt64 {
        run(&burst, since: start, weight: 1)
    }

    /// Runs the stage and accounts packets in/out; when `weight` is not 0 also the cycles it took times
    /// `weight` (the burst stands for `weight` bursts: see `StageTimingSampler`), reading the TSC at its end
    /// and returning it. With `weight` 0 the stage is not timed, no TSC is read and `start` is returned.
    @inlinable @inline(__always)
    public mutating func run(_ burst: inout PacketBurst, since start: UInt64, weight: UInt64) -> UInt64 {
        let packetsIn = burst.count
        process(&burst)
        guard weight != 0 else {
            counters.untyped.record(packetsIn: packetsIn, packetsOut: burst.count)
            return start
        }
        let now = readTSC()
        counters.untyped.record(packetsIn: packetsIn, packetsOut: burst.count, cycles: (now &- start) &* weight)
        return now
    }

    public var descriptor: StageDescriptor {
        StageDescriptor(
            name: Self.name, dropReasons: Self.dropReasons, eventNames: Self.eventNames, counters: counters.untyped)
    }
}

/// The per-PMD counters of one stage: calls, packets in and out, cycles, then one counter per drop reason,
/// then one per event. Stages count drops and events through `TypedStageCounters`, readers label them with
/// the names of a `StageDescriptor`.
@frozen
public struct StageCounters: Sendable {
    public let block: CounterBlock
    /// Index of the first event counter.
    public let firstEvent: Int

    public static let calls = 0, packetsIn = 1, packetsOut = 2, cycles = 3, firstDrop = 4

    public static func allocate(dropReasons: Int, events: Int = 0) -> StageCounters {
        StageCounters(block: .allocate(count: firstDrop + dropReasons + events), firstEvent: firstDrop + dropReasons)
    }

    @inlinable
    public init(block: CounterBlock, firstEvent: Int) {
        self.block = block
        self.firstEvent = firstEvent
    }

    @inlinable @inline(__always)
    public func record(packetsIn: Int, packetsOut: Int, cycles: UInt64) {
        block.increment(Self.calls)
        block.add(Self.packetsIn, UInt64(truncatingIfNeeded: packetsIn))
        block.add(Self.packetsOut, UInt64(truncatingIfNeeded: packetsOut))
        block.add(Self.cycles, cycles)
    }

    /// `record` for a burst that was not timed.
    @inlinable @inline(__always)
    public func record(packetsIn: Int, packetsOut: Int) {
        block.increment(Self.calls)
        block.add(Self.packetsIn, UInt64(truncatingIfNeeded: packetsIn))
        block.add(Self.packetsOut, UInt64(truncatingIfNeeded: packetsOut))
    }
}

/// Chooses the bursts whose stages are timed. Reading the TSC costs ~25 cycles on some machines (VMs), and
/// a pipeline has a stage boundary per stage: timing every burst cost several cycles per packet. So one
/// burst in about 16 is timed, at a pseudo-random interval (8 to 23 untimed bursts in between, so that
/// the sample never locks onto a period of the traffic), and its cycles count for every burst since the
/// previous sample: its weight. The cycle counters are then an unbiased estimate of the cycles spent
/// (exact over a long run up to sampling noise), while calls and packet counters stay exact. The first
/// burst is always timed, with weight 1.
@frozen
public struct StageTimingSampler: Sendable {
    @usableFromInline var untimedLeft: UInt64 = 0
    @usableFromInline var sinceSample: UInt64 = 0
    @usableFromInline var state: UInt64

    public init(seed: UInt64 = 0x9E37_79B9_7F4A_7C15) { state = seed | 1 }

    /// Called once per burst: 0 for a burst that is not timed, else the weight of its cycles.
    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        sinceSample &+= 1
        if untimedLeft != 0 {
            untimedLeft &-= 1
            return 0
        }
        // xorshift64: a cheap, good enough source for the interval.
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        untimedLeft = 8 &+ (state & 15)
        let weight = sinceSample
        sinceSample = 0
        return weight
    }
}

/// What the control plane needs to read and label a stage's counters.
public struct StageDescriptor: Sendable {
    public let name: String
    public let dropReasons: [String]
    public let eventNames: [String]
    public let counters: StageCounters
}

/// Everything a PMD does with one received burst: the pipeline stages and the transmit. The PMD loop is
/// generic over it, so each processor gets its own specialised loop.
public protocol BurstProcessor: ~Copyable {
    mutating func process(_ burst: inout PacketBurst)
    /// Takes a newly published generation of the configuration tables (see `PipelineStage.bind`).
    mutating func bind(_ tables: borrowing ForwardingTables)
    /// The stages, for counters; read once at start-up.
    var stages: [StageDescriptor] { get }
}
