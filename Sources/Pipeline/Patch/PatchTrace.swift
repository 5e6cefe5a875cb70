extension PatchStage {
    /// A patched port's frame goes to the peer, untouched; the bridge stages are skipped.
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let ingress = Int(packet.ingress)
        guard context.isPatched(packet.ingress) else {
            return TraceStep(stage: name, facts: [TraceFact("patched", "no")])
        }
        let peer = context.peers[ingress]
        packet.meta.egress = peer
        return TraceStep(
            stage: name,
            facts: [TraceFact("peer", context.portName(Int(peer))), TraceFact("bridge", "bypassed: frame left as is")])
    }
}
