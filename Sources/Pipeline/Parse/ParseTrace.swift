import Packet

extension ParseStage {
    /// The parser's verdict on the frame (against the ingress port's MTU) and what it found.
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let ingress = Int(packet.ingress)
        let bridge = context.bridge
        let mtu = ingress < bridge.portCount ? Int(bridge.ports[ingress].mtu) : PacketParser.maximumFrameLength
        var facts = [TraceFact("length", "\(packet.frame.count)"), TraceFact("mtu", "\(mtu)")]
        if let error = PacketParser.parse(
            packet.bytes, length: packet.frame.count, frameLength: packet.frame.count, mtu: mtu,
            into: &packet.meta.headers)
        {
            return .drop(Self.self, error, facts)
        }
        facts += describe(packet.meta.headers, packet.bytes)
        return TraceStep(stage: name, facts: facts)
    }

    /// The parsed headers as facts: addresses, tag, EtherType, layer 3 and 4.
    static func describe(_ headers: PacketHeaders, _ frame: UnsafeRawPointer) -> [TraceFact] {
        let flags = headers.flags
        var facts = [
            TraceFact("destination", "\(EthernetAddress(frame))"),
            TraceFact("source", "\(EthernetAddress(frame + 6))"),
        ]
        if flags.contains(.vlanTagged) {
            facts.append(TraceFact("tag", "vlan \(headers.vlanID) priority \(headers.vlanPriority)"))
        }
        facts.append(TraceFact("ethertype", "0x" + String(headers.etherType, radix: 16)))
        let l3 = frame + Int(headers.l3Offset)
        if flags.contains(.arp) {
            let arp = ARPHeader(l3)
            facts.append(
                TraceFact("arp", "sender \(arp.senderHardwareAddress) \(arp.senderProtocolAddress)"))
        } else if flags.contains(.ipv4) {
            let ip = IPv4Header(l3)
            facts.append(TraceFact("ipv4", "\(ip.source) -> \(ip.destination)"))
        } else if flags.contains(.ipv6) {
            let ip = IPv6Header(l3)
            facts.append(TraceFact("ipv6", "\(ip.source) -> \(ip.destination)"))
        }
        let l4: [(HeaderFlags, String)] = [(.tcp, "tcp"), (.udp, "udp"), (.icmp, "icmp"), (.icmpv6, "icmpv6")]
        if let (_, name) = l4.first(where: { flags.contains($0.0) }) { facts.append(TraceFact("l4", name)) }
        if flags.contains(.vxlan) { facts.append(TraceFact("vxlan", "yes")) }
        if flags.contains(.ipFragment) { facts.append(TraceFact("fragment", "yes")) }
        return facts
    }
}
