import DPDK

/// The io baseline: each burst goes straight to the peer of the port it came from, with no stage at all —
/// what `dpdk-testpmd --forward-mode=io` does. sluice-bench runs it beside the real pipeline so every
/// report carries its own floor.
public struct IOForwarder: BurstProcessor, ~Copyable {
    @usableFromInline let peers: UnsafeMutableBufferPointer<UInt16>
    /// The targets given at init until a generation is bound, then that generation's.
    @usableFromInline var targets: UnsafeMutableBufferPointer<TxTarget>
    private let ownTargets: UnsafeMutableBufferPointer<TxTarget>

    public init(peers: [UInt16?], targets: [TxTarget]) {
        self.peers = .allocate(capacity: max(peers.count, 1))
        self.peers.initialize(repeating: PacketMeta.noEgress)
        for (index, peer) in peers.enumerated() { self.peers[index] = peer ?? PacketMeta.noEgress }
        // Exactly `targets.count` slots (the allocation is never empty): `process` bounds egress by the count.
        let buffer = UnsafeMutableBufferPointer<TxTarget>.allocate(capacity: max(targets.count, 1))
        _ = buffer.initialize(from: targets)
        ownTargets = buffer
        self.targets = UnsafeMutableBufferPointer(rebasing: buffer[0..<targets.count])
    }

    deinit {
        peers.deallocate()
        ownTargets.deallocate()
    }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {
        targets = UnsafeMutableBufferPointer(start: tables.targets, count: ForwardingTables.maxPorts)
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let ingress = Int(burst.ingress)
        let egress = ingress < peers.count ? Int(peers[ingress]) : Int(PacketMeta.noEgress)
        // Unpatched ports' packets are left in the burst; the PMD loop frees them.
        guard egress < targets.count else { return }
        _ = targets[egress].send(burst.packets.slots, count: burst.count)
        burst.packets.count = 0
    }

    public var stages: [StageDescriptor] { [] }
}
