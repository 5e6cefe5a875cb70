/// One PMD's counters for one port. The control thread sums them over PMDs.
@frozen
public struct PortCounters: Sendable {
    public let block: CounterBlock

    public static let rxPackets = 0, rxBytes = 1, txPackets = 2, txBytes = 3, txDropped = 4
    public static let names = ["rx-packets", "rx-bytes", "tx-packets", "tx-bytes", "tx-dropped"]

    public static func allocate() -> PortCounters { PortCounters(block: .allocate(count: names.count)) }

    @inlinable
    public init(block: CounterBlock) { self.block = block }
}
