import Packet

extension DHCPStage {
    /// On a port with DHCP (the pipeline calls the stage for no other): whether the frame is a DHCP request
    /// or an ARP request for the VLAN's server, which the stage takes out of the bridge for the responder on
    /// the control thread (the trace then ends, with no output port), or anything else, which passes. The
    /// rate limit is not predicted (it depends on the moment).
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let headers = packet.meta.headers
        let frame = packet.bytes
        let view = context.dhcp
        var facts = [TraceFact("dhcp", "port answered by the responder")]
        var isRequest = false
        if headers.flags.contains(.ipv4), headers.flags.contains(.udp), !headers.flags.contains(.ipFragment),
            packet.frame.count >= Int(headers.l4Offset) + 4
        {
            let ports = UInt32(bigEndian: frame.loadUnaligned(fromByteOffset: Int(headers.l4Offset), as: UInt32.self))
            isRequest = ports == 0x0044_0043
        }
        var isServerARP = false
        let server = view.servers?[Int(packet.ingress)] ?? 0
        if headers.flags.contains(.arp), server != 0, packet.frame.count >= Int(headers.l3Offset) + 28 {
            let arp = frame + Int(headers.l3Offset)
            isServerARP =
                UInt16(bigEndian: arp.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) == 1
                && UInt32(bigEndian: arp.loadUnaligned(fromByteOffset: 24, as: UInt32.self)) == server
        }
        guard isRequest || isServerARP else {
            facts.append(TraceFact("frame", "not a DHCP request: bridged"))
            return TraceStep(stage: name, facts: facts)
        }
        if packet.frame.count > view.maximumFrame { return .drop(Self.self, .oversized, facts) }
        facts.append(
            TraceFact(
                "verdict",
                isRequest
                    ? "DHCP request punted to the responder (it replies on the port)"
                    : "ARP request for the server \(IPv4Address(rawValue: server)) punted to the responder"))
        return TraceStep(stage: name, verdict: .output, facts: facts)
    }
}
