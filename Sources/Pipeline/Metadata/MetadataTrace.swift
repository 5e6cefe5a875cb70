import Packet

extension MetadataStage {
    /// What the stage would do with one frame, as `process` decides, without side effects: the NAT table is
    /// only read, and the request rate limit is not predicted (it depends on the tokens at that moment).
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let v = context.metadata
        let ingress = Int(packet.ingress)
        guard ingress < ForwardingTables.maxPorts else { return TraceStep(stage: name) }
        let data = UnsafeMutableRawPointer(mutating: packet.bytes)
        let h = packet.meta.headers
        let l3 = Int(h.l3Offset)
        let l4 = Int(h.l4Offset)
        if v.servesVM(UInt16(ingress)) {
            if h.flags.contains(.arp) {
                guard let asked = LocalReplies.arpSender(data, length: packet.frame.count, l3: l3), asked.opcode == 1,
                    asked.target == v.intercept
                else { return TraceStep(stage: name, facts: [TraceFact("metadata", "ARP not for the intercept")]) }
                return output(
                    to: ingress, in: context,
                    facts: [TraceFact("arp", "answered: \(v.intercept) is at \(v.gatewayMAC)")])
            }
            guard h.flags.contains(.ipv4), MetadataRewrite.ipv4Destination(data, l3: l3) == v.intercept else {
                return TraceStep(stage: name, facts: [TraceFact("metadata", "not to \(v.intercept)")])
            }
            guard h.flags.contains(.tcp), !h.flags.contains(.ipFragment), !h.flags.contains(.vlanTagged),
                MetadataRewrite.tcpDestinationPort(data, l4: l4) == v.interceptPort
            else {
                return .drop(
                    Self.self, .otherToIntercept,
                    [TraceFact("metadata", "to \(v.intercept) but not TCP to port \(v.interceptPort)")])
            }
            let pool = IPv4Address(rawValue: v.poolAddresses.unsafelyUnwrapped[ingress])
            var facts = [
                TraceFact(
                    "intercepted",
                    "\(pool):\(MetadataRewrite.tcpSourcePort(data, l4: l4)) -> \(v.service):\(v.servicePort)")
            ]
            let flags = MetadataRewrite.tcpFlags(data, l4: l4)
            if flags.contains(.syn) && !flags.contains(.ack) && v.limited.contains(ingress) {
                facts.append(TraceFact("rate-limit", "a new request: passes while the port's bucket has tokens"))
            }
            return output(to: Int(v.serviceSlot), in: context, facts: facts)
        }
        guard ingress == Int(v.serviceSlot) else { return TraceStep(stage: name) }
        if h.flags.contains(.arp) {
            guard let asked = LocalReplies.arpSender(data, length: packet.frame.count, l3: l3), asked.opcode == 1,
                v.slot(ofPoolAddress: asked.target) >= 0
            else { return TraceStep(stage: name, facts: [TraceFact("metadata", "ARP not for a pool address")]) }
            return output(
                to: ingress, in: context, facts: [TraceFact("arp", "answered: \(asked.target) is at \(v.gatewayMAC)")])
        }
        guard h.flags.contains(.ipv4) else { return TraceStep(stage: name) }
        let slot = v.slot(ofPoolAddress: MetadataRewrite.ipv4Destination(data, l3: l3))
        guard slot >= 0 else { return TraceStep(stage: name, facts: [TraceFact("metadata", "not to a pool address")]) }
        guard h.flags.contains(.tcp), !h.flags.contains(.ipFragment), !h.flags.contains(.vlanTagged),
            MetadataRewrite.ipv4Source(data, l3: l3) == v.service,
            MetadataRewrite.tcpSourcePort(data, l4: l4) == v.servicePort
        else {
            return .drop(
                Self.self, .notFromService,
                [TraceFact("metadata", "to the pool address of \(context.portName(slot)), not from the service")])
        }
        let guestPort = MetadataRewrite.tcpDestinationPort(data, l4: l4)
        guard let flow = v.nat.unsafelyUnwrapped.lookup(slot: slot, guestPort: guestPort) else {
            return .drop(
                Self.self, .noFlow,
                [TraceFact("nat", "no flow of \(context.portName(slot)) from guest port \(guestPort)")])
        }
        return output(
            to: slot, in: context,
            facts: [
                TraceFact("translated", "\(v.intercept):\(v.interceptPort) -> \(flow.guestAddress):\(guestPort)"),
                TraceFact("hop-limit", "\(v.hopLimit)"),
            ])
    }

    /// The stage sends the frame itself: the trace ends here (on a port that is down, as `egress-down`).
    static func output(to slot: Int, in context: TraceContext, facts: [TraceFact]) -> TraceStep {
        guard context.enabled.contains(slot) else {
            return .drop(Self.self, .egressDown, facts + [TraceFact("egress", "\(context.portName(slot)) is down")])
        }
        return TraceStep(
            stage: name, verdict: .output, facts: facts,
            outputs: [TraceOutput(port: UInt16(slot), portName: context.portName(slot), tagging: .asIs)])
    }
}
