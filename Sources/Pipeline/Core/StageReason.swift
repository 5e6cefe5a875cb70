/// Something a stage counts by name: a reason it drops packets, or an event that is not a drop (a MAC
/// learned, a flood). A stage declares its reasons of each kind as an enum of this kind (`PipelineStage.Drop`,
/// `PipelineStage.Event`) and counts them through its typed counters (`TypedStageCounters`), so it can only
/// count its own reasons and never a bare number.
///
/// A case's counter is its raw value: cases are numbered 0, 1, 2, ... in declaration order (checked by
/// `names`). The raw value of a case is a compile-time constant, so counting `.sourceMAC` compiles to the
/// same add at a constant offset as indexing the counters by a literal did.
public protocol StageReason: RawRepresentable, CaseIterable, Sendable where RawValue: FixedWidthInteger {
    /// Stable kebab-case name shown by `sluicectl stages`, `sluice-bench` and the control API, e.g.
    /// "tagged-on-access". Renaming or reordering cases changes what they show.
    var name: String { get }
}

extension StageReason {
    /// The reason's position among the cases: its counter's offset among the stage's reasons of its kind.
    @inlinable @inline(__always)
    public var index: Int { Int(truncatingIfNeeded: rawValue) }

    /// The names of all cases, in counter order (the labels of the counters). Traps unless the raw values
    /// are exactly the positions of the cases and the names are distinct: otherwise counters would be
    /// shown under another reason's name, or two reasons under one.
    public static var names: [String] {
        let cases = Array(allCases)
        for (position, reason) in cases.enumerated() {
            precondition(
                reason.index == position,
                "\(Self.self).\(reason): raw value \(reason.rawValue) at position \(position) (must be 0, 1, 2, ...)")
        }
        let names = cases.map(\.name)
        precondition(Set(names).count == names.count, "\(Self.self): two cases share a name: \(names)")
        return names
    }
}

/// The reasons of a stage that counts none of a kind (`typealias Drop = NoReasons` for a stage that never
/// drops; the default `Event`): no cases, so no counters and no names.
public enum NoReasons: StageReason {
    public init?(rawValue: Int) { nil }
    public var rawValue: Int { switch self {} }
    public var name: String { switch self {} }
}
