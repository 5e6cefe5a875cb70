import DPDK

/// The last stage: sorts the burst by output port and hands each port its packets in one tx burst.
public struct TransmitStage: PipelineStage, ~Copyable {
    public static let name = "transmit"
    public static let dropReasons = ["no-egress", "port-down", "tx-queue-full"]
    public enum Drop { public static let noEgress = 0, portDown = 1, txQueueFull = 2 }

    public let counters: StageCounters
    @usableFromInline let targets: UnsafeMutableBufferPointer<TxTarget>
    /// One row of `capacity` slots per port: the packets bound for it in this burst.
    @usableFromInline let pending: UnsafeMutablePointer<OpaquePointer?>
    @usableFromInline let pendingCounts: UnsafeMutablePointer<Int>
    @usableFromInline let capacity: Int

    /// - Parameters:
    ///   - targets: indexed by port-table index; copied.
    ///   - capacity: the burst capacity.
    public init(targets: [TxTarget], capacity: Int) {
        self.targets = .allocate(capacity: targets.count)
        _ = self.targets.initialize(from: targets)
        self.capacity = capacity
        pending = .allocate(capacity: max(targets.count, 1) * capacity)
        pendingCounts = .allocate(capacity: max(targets.count, 1))
        pendingCounts.initialize(repeating: 0, count: max(targets.count, 1))
        counters = .allocate(dropReasons: Self.dropReasons.count)
    }

    deinit {
        targets.deallocate()
        pending.deallocate()
        pendingCounts.deallocate()
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let portCount = targets.count
        var kept = 0
        for i in 0..<burst.count {
            let egress = Int(burst.meta[i].egress)
            guard egress < portCount else {
                counters.drop(reason: Drop.noEgress)
                burst.drop(i)
                continue
            }
            guard targets[egress].enabled else {
                counters.drop(reason: Drop.portDown)
                burst.drop(i)
                continue
            }
            pending[egress &* capacity &+ pendingCounts[egress]] = burst.packets.slots[i]
            pendingCounts[egress] &+= 1
            kept &+= 1
        }
        // Every packet is now either pending for a port or dropped: the burst no longer owns any.
        burst.packets.count = 0
        guard kept > 0 else { return }
        var sent = 0
        for port in 0..<portCount where pendingCounts[port] > 0 {
            let count = pendingCounts[port]
            let done = targets[port].send(pending + port &* capacity, count: count)
            if done < count { counters.drop(reason: Drop.txQueueFull, count: UInt64(truncatingIfNeeded: count &- done)) }
            sent &+= done
            pendingCounts[port] = 0
        }
        counters.block.add(StageCounters.packetsOut, UInt64(truncatingIfNeeded: sent))
    }
}
