import Packet

extension QoSStage {
    /// Whether the frame's output port is policed to-vm. The verdict itself is not predicted: it depends on
    /// the tokens in the port's buckets at the moment of sending (`sluicectl qos` shows them).
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let egress = Int(packet.meta.egress)
        guard egress < ForwardingTables.maxPorts else {
            // Floods are copied by transmit after this stage, which polices each copy (docs/qos.md).
            return TraceStep(stage: name, facts: [TraceFact("to-vm", "flood: transmit polices each copy")])
        }
        let policed = context.qosToVM.contains(egress)
        let fact =
            policed
            ? TraceFact("to-vm", "\(context.portName(egress)) policed: passes while its buckets have tokens")
            : TraceFact("to-vm", "\(context.portName(egress)) unlimited")
        return TraceStep(stage: name, facts: [fact])
    }
}
