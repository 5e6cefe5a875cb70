/// A stage's counters as the stage writes them: drops and events are counted by the stage's own reason
/// types (`PipelineStage.Drop`, `.Event`), so a stage cannot count another stage's reason or a bare index.
/// The layout and the block are `StageCounters`'s; readers (status, `StageDescriptor`) use `untyped`.
@frozen
public struct TypedStageCounters<Drop: StageReason, Event: StageReason>: Sendable {
    public let block: CounterBlock
    /// Index of the first event counter (`StageCounters.firstDrop` + the number of drop reasons).
    public let firstEvent: Int

    /// Zeroed counters for every case of `Drop` and of `Event`.
    public static func allocate() -> Self {
        Self(.allocate(dropReasons: Drop.names.count, events: Event.names.count))
    }

    @inlinable
    public init(_ untyped: StageCounters) {
        block = untyped.block
        firstEvent = untyped.firstEvent
    }

    /// The same counters, for readers that label them by name.
    @inlinable
    public var untyped: StageCounters { StageCounters(block: block, firstEvent: firstEvent) }

    @inlinable @inline(__always)
    public func drop(_ reason: Drop, count: UInt64 = 1) { block.add(StageCounters.firstDrop &+ reason.index, count) }

    @inlinable @inline(__always)
    public func event(_ event: Event, count: UInt64 = 1) { block.add(firstEvent &+ event.index, count) }
}
