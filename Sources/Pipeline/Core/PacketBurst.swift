import DPDK
import Packet

/// The unit every pipeline stage works on: up to `capacity` packets received together on one port, the
/// per-packet metadata stages share, and the packets dropped so far (freed in one bulk call at the end of
/// the burst rather than one by one).
///
/// Allocated once per PMD thread and reused: nothing in here allocates after `init`.
@frozen
public struct PacketBurst: ~Copyable {
    public var packets: MbufBurst
    public let meta: UnsafeMutablePointer<PacketMeta>
    /// Packets stages dropped during this burst; freed by `releaseDropped()`.
    public var dropped: MbufBurst
    /// Port-table index of the port every packet of this burst arrived on.
    public var ingress: UInt16
    /// What the parse stage saw in this burst (set by `ParseStage`, stale before it runs).
    public var parsed = ParsedBurst()
    /// `capacity` port sets: the ports a packet's flood must skip (`PacketMeta.floodExclude` picks one). The
    /// stage that fills one clears it first; it is read later in the same burst.
    public let floodExcludes: PortSet

    public init(capacity: Int) {
        packets = MbufBurst(capacity: capacity)
        dropped = MbufBurst(capacity: capacity)
        // On a cache line: with 32-byte entries, no packet's metadata straddles two lines.
        meta = UnsafeMutableRawPointer.allocate(
            byteCount: MemoryLayout<PacketMeta>.stride * capacity, alignment: 64
        ).bindMemory(to: PacketMeta.self, capacity: capacity)
        meta.initialize(repeating: PacketMeta(), count: capacity)
        ingress = 0
        floodExcludes = PortSet.allocate(count: capacity)
    }

    deinit {
        UnsafeMutableRawPointer(meta).deallocate()
        floodExcludes.deallocate()
    }

    /// The ports packet `index`'s flood must skip, or nil when it skips none.
    @inlinable @inline(__always)
    public func floodExclusion(of index: Int) -> PortSet? {
        let set = Int(meta[index].floodExclude)
        return set == 0 ? nil : floodExcludes.at(set &- 1)
    }

    @inlinable @inline(__always)
    public var count: Int { packets.count }

    @inlinable @inline(__always)
    public var capacity: Int { packets.capacity }

    /// Resets the metadata of the packets just received, before the first stage runs.
    @inlinable @inline(__always)
    public mutating func beginBurst(ingress port: UInt16) {
        ingress = port
        for i in 0..<packets.count { meta[i] = PacketMeta() }
    }

    /// Moves packet `index` to slot `slot` while a stage compacts the burst (see `PipelineStage`).
    @inlinable @inline(__always)
    public mutating func keep(_ index: Int, at slot: inout Int) {
        if slot != index {
            packets.slots[slot] = packets.slots[index]
            meta[slot] = meta[index]
        }
        slot &+= 1
    }

    /// Removes packet `index` from the burst while compacting: it is freed at the end of the burst.
    @inlinable @inline(__always)
    public mutating func drop(_ index: Int) {
        dropped.slots[dropped.count] = packets.slots[index]
        dropped.count &+= 1
    }

    /// Ends a compaction pass: `slot` packets remain.
    @inlinable @inline(__always)
    public mutating func endCompaction(keeping slot: Int) { packets.count = slot }

    /// Frees every dropped packet in one call.
    @inlinable @inline(__always)
    public mutating func releaseDropped() { dropped.freeAll() }
}
