/// Static port-to-port forwarding: every packet received on a patched port leaves on its peer. The
/// interim forwarding stage until L2 switching; it also serves benchmarks as the thinnest real stage.
public struct PatchStage: PipelineStage, ~Copyable {
    public static let name = "patch"
    public static let dropReasons = ["unpatched-port"]

    public let counters: StageCounters
    /// Peer port index for each port index, or `PacketMeta.noEgress`.
    @usableFromInline let peers: UnsafeMutableBufferPointer<UInt16>

    /// - Parameter peers: for each port index, the port index its traffic goes to, or nil.
    public init(peers: [UInt16?]) {
        self.peers = .allocate(capacity: max(peers.count, 1))
        self.peers.initialize(repeating: PacketMeta.noEgress)
        for (index, peer) in peers.enumerated() { self.peers[index] = peer ?? PacketMeta.noEgress }
        counters = .allocate(dropReasons: Self.dropReasons.count)
    }

    deinit { peers.deallocate() }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        // A burst comes from one port, so one lookup serves every packet in it.
        let ingress = Int(burst.ingress)
        let egress = ingress < peers.count ? peers[ingress] : PacketMeta.noEgress
        if egress == PacketMeta.noEgress {
            counters.drop(reason: 0, count: UInt64(truncatingIfNeeded: burst.count))
            for i in 0..<burst.count { burst.drop(i) }
            burst.endCompaction(keeping: 0)
            return
        }
        for i in 0..<burst.count { burst.meta[i].egress = egress }
    }
}
