import DPDK

/// The pipeline sluiced runs today: patch forwarding, then transmit. Stages are stored as concrete types
/// and called in a fixed order, so the compiler sees (and inlines) the whole per-burst path.
public struct ForwardingPipeline: BurstProcessor, ~Copyable {
    public var patch: PatchStage
    public var transmit: TransmitStage

    public init(patch: consuming PatchStage, transmit: consuming TransmitStage) {
        self.patch = patch
        self.transmit = transmit
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        var t = readTSC()
        t = patch.run(&burst, since: t)
        _ = transmit.run(&burst, since: t)
    }

    public var stages: [StageDescriptor] { [patch.descriptor, transmit.descriptor] }
}

/// The io baseline: each burst goes straight to the peer of the port it came from, with no stage at all —
/// what `dpdk-testpmd --forward-mode=io` does. sluice-bench runs it beside the real pipeline so every
/// report carries its own floor.
public struct IOForwarder: BurstProcessor, ~Copyable {
    @usableFromInline let peers: UnsafeMutableBufferPointer<UInt16>
    @usableFromInline let targets: UnsafeMutableBufferPointer<TxTarget>

    public init(peers: [UInt16?], targets: [TxTarget]) {
        self.peers = .allocate(capacity: max(peers.count, 1))
        self.peers.initialize(repeating: PacketMeta.noEgress)
        for (index, peer) in peers.enumerated() { self.peers[index] = peer ?? PacketMeta.noEgress }
        self.targets = .allocate(capacity: max(targets.count, 1))
        _ = self.targets.initialize(from: targets)
    }

    deinit {
        peers.deallocate()
        targets.deallocate()
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
