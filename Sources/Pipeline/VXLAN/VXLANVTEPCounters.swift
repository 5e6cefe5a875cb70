/// Per remote VTEP counters of one PMD: packets decapsulated from it (`rxPackets`), tunnel packets from it
/// dropped by the decap stage (`rxDrops`: a VNI it sends that is not configured), packets encapsulated to it
/// and handed to the uplink (`txPackets`: unicast and flood copies), and frames for it the encap stage
/// dropped (`txDrops`: unresolved next hop, too big for the underlay, no headroom, no copy, the uplink's tx
/// queue full or down). Plain adds by the owning PMD (a `CounterBlock`: no atomics on the fast path);
/// `vxlan.show` sums the PMDs' blocks off the fast path.
@frozen
public struct VXLANVTEPCounters: Sendable {
    public let block: CounterBlock

    @inlinable public static var rxPackets: Int { 0 }
    @inlinable public static var rxDrops: Int { 1 }
    @inlinable public static var txPackets: Int { 2 }
    @inlinable public static var txDrops: Int { 3 }
    /// Counters per slot.
    @inlinable public static var stride: Int { 4 }

    /// Zeroed counters for every remote VTEP slot.
    public static func allocate() -> VXLANVTEPCounters {
        VXLANVTEPCounters(block: .allocate(count: MACOwner.maxRemoteVTEPs * stride))
    }

    @inlinable
    public init(block: CounterBlock) {
        precondition(block.count >= MACOwner.maxRemoteVTEPs * Self.stride, "VXLAN: VTEP counter block too small")
        self.block = block
    }

    /// Adds `count` to counter `counter` of remote VTEP `slot` (`0 ..< MACOwner.maxRemoteVTEPs`).
    @inlinable @inline(__always)
    public func add(slot: Int, _ counter: Int, _ count: UInt64 = 1) {
        block.add(slot &* Self.stride &+ counter, count)
    }

    /// A torn-free read of one counter (any thread).
    public func load(slot: Int, _ counter: Int) -> UInt64 { block.load(slot * Self.stride + counter) }
}
