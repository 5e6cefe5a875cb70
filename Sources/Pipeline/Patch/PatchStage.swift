/// Static port-to-port forwarding, like a patch cable: every packet received on a patched port leaves on its
/// peer, untouched, bypassing the bridge. Bursts from other ports pass through to the bridge stages.
public struct PatchStage: PipelineStage, ~Copyable {
    public static let name = "patch"
    /// Never drops: a patched burst always has its egress.
    public typealias Drop = NoReasons

    public let counters: Counters
    /// Peer port index for each port index, or `PacketMeta.noEgress`: the table given at init until a
    /// generation is bound, then that generation's.
    @usableFromInline var peers: UnsafeMutableBufferPointer<UInt16>
    private let ownPeers: UnsafeMutableBufferPointer<UInt16>

    /// - Parameter peers: for each port index, the port index its traffic goes to, or nil.
    public init(peers: [UInt16?]) {
        ownPeers = .allocate(capacity: max(peers.count, 1))
        ownPeers.initialize(repeating: PacketMeta.noEgress)
        for (index, peer) in peers.enumerated() { ownPeers[index] = peer ?? PacketMeta.noEgress }
        self.peers = ownPeers
        counters = Self.allocateCounters()
    }

    deinit { ownPeers.deallocate() }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {
        peers = UnsafeMutableBufferPointer(start: tables.peers, count: ForwardingTables.maxPorts)
    }

    /// Whether bursts from `port` are patched (and so skip the bridge stages).
    @inlinable @inline(__always)
    public func isPatched(_ port: UInt16) -> Bool {
        Int(port) < peers.count && peers[Int(port)] != PacketMeta.noEgress
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        // A burst comes from one port, so one lookup serves every packet in it.
        let ingress = Int(burst.ingress)
        guard ingress < peers.count else { return }
        let egress = peers[ingress]
        guard egress != PacketMeta.noEgress else { return }
        for i in 0..<burst.count { burst.meta[i].egress = egress }
    }
}
