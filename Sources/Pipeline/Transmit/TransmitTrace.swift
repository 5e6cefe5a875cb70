import Packet

extension TransmitStage {
    /// The ports the frame would leave on and how its tag changes on each, or why it is dropped: the same
    /// checks as `process` (port down, VLAN membership, a flood with no port). What only the moment of
    /// sending decides (a full tx queue, a failed copy, missing headroom) is not predicted.
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let meta = packet.meta
        let bridge = context.bridge
        let egress = Int(meta.egress)
        if egress < ForwardingTables.maxPorts {
            let facts = [TraceFact("egress", context.portName(egress))]
            if !context.enabled.contains(egress) { return .drop(Self.self, .portDown, facts) }
            if meta.vlan != 0 && !bridge.isMember(egress, of: meta.vlan) {
                return .drop(Self.self, .notMember, facts + [TraceFact("vlan", "\(meta.vlan)")])
            }
            return TraceStep(
                stage: name, verdict: .output, facts: facts, outputs: [output(meta, port: egress, context)])
        }
        guard meta.egress == PacketMeta.flood else {
            return .drop(Self.self, .noEgress, [TraceFact("egress", "none")])
        }
        let ingress = Int(packet.ingress)
        let ports = bridge.floodMembers(meta.vlan).map { Int($0) }.filter {
            $0 != ingress && context.enabled.contains($0)
        }
        var facts = [TraceFact("egress", "flood vlan \(meta.vlan)")]
        if ports.isEmpty { return .drop(Self.self, .floodNoPorts, facts) }
        // QoS to-vm: the copy to a limited port passes only while that port's buckets have tokens.
        let policed = ports.filter { context.qosToVM.contains($0) }
        if !policed.isEmpty {
            let names = policed.map { context.portName($0) }
            facts.append(
                TraceFact("to-vm", "policed: \(names.joined(separator: ", ")) (copy passes while tokens last)"))
        }
        let outputs = ports.map { output(meta, port: $0, context) }
        return TraceStep(stage: name, verdict: .output, facts: facts, outputs: outputs)
    }

    /// The tagging `fitTag` gives the frame on `port`.
    static func output(_ meta: PacketMeta, port: Int, _ context: TraceContext) -> TraceOutput {
        var tagging = TraceOutput.Tagging.asIs
        if meta.vlan != 0 {
            if context.bridge.isUntagged(port, in: meta.vlan) {
                if meta.tagged { tagging = .pop }
            } else if meta.tagged {
                if meta.headers.vlanID != meta.vlan { tagging = .setVLAN(meta.vlan) }
            } else {
                tagging = .push(meta.vlan)
            }
        }
        return TraceOutput(port: UInt16(port), portName: context.portName(port), tagging: tagging)
    }
}
