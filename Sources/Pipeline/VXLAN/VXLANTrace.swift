import Packet

extension VXLANDecapStage {
    /// What decapsulation does with a frame from the uplink: not the tunnel's (bridged as it is), the
    /// underlay's ARP/ICMP for the VTEP (handed to the control thread), a refused tunnel packet (its reason),
    /// or the outer headers, the VNI and its VLAN, and the remote VTEP the inner frame comes from; the later
    /// stages then see the inner frame, as in `process`.
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let v = context.vxlan
        let frame = packet.bytes
        let length = packet.frame.count
        guard v.enabled, packet.ingress == v.uplink else {
            return TraceStep(stage: name, facts: [TraceFact("vxlan", "not the uplink: not looked at")])
        }
        let l3 = v.underlayVLAN == 0 ? 14 : 18
        switch VXLANDecap.classify(frame, length: length, local: v.local, underlayVLAN: v.underlayVLAN) {
        case .notTunnel:
            if isForVTEP(frame, length: length, local: v.local, underlayVLAN: v.underlayVLAN) {
                let what = u16(frame, l3 - 2) == LocalReplies.ethertypeARP ? "ARP" : "ICMP"
                return TraceStep(
                    stage: name, verdict: .output,
                    facts: [
                        TraceFact("underlay", "\(what) for the VTEP address \(v.local)"),
                        TraceFact("punt", "to the control thread (the VTEP's underlay handler answers or learns)"),
                    ])
            }
            return TraceStep(
                stage: name, facts: [TraceFact("vxlan", "not a tunnel packet for \(v.local): bridged as it is")])
        case .drop(let problem):
            return .drop(Self.self, Drop(problem), [TraceFact("outer", outerSummary(frame, length: length, l3: l3))])
        case .tunnel(let vni, let innerOffset, let source):
            var facts = [TraceFact("outer", outerSummary(frame, length: length, l3: l3))]
            let vlan = v.vlan(ofVNI: vni)
            if vlan == 0 {
                facts.append(TraceFact("vni", "\(vni): not configured"))
                return .drop(Self.self, .unknownVNI, facts)
            }
            facts.append(TraceFact("vni", "\(vni) -> vlan \(vlan)"))
            let slot = v.remoteSlot(of: source)
            if slot < 0 {
                facts.append(TraceFact("vtep", "\(source): not a configured remote VTEP"))
                return .drop(Self.self, .unknownVTEP, facts)
            }
            facts.append(TraceFact("vtep", "\(source) (slot \(slot))"))
            let innerEnd = l3 + Int(u16(frame, l3 + 2))
            packet.frame = UnsafeRawBufferPointer(rebasing: packet.frame[innerOffset..<innerEnd])
            packet.meta.source = MACOwner.remoteVTEP(slot)
            packet.meta.vlan = vlan
            packet.meta.tagged = false
            facts.append(TraceFact("inner", "\(innerEnd - innerOffset) bytes, from vtep:\(source) in vlan \(vlan)"))
            return TraceStep(stage: name, facts: facts)
        }
    }

    /// The outer addresses and UDP ports of a frame addressed to the VTEP (as far as it has them).
    static func outerSummary(_ frame: UnsafeRawPointer, length: Int, l3: Int) -> String {
        let source = IPv4Address(rawValue: u32(frame, l3 + 12))
        let destination = IPv4Address(rawValue: u32(frame, l3 + 16))
        var text = "\(source) -> \(destination)"
        let l4 = l3 + Int(frame.load(fromByteOffset: l3, as: UInt8.self) & 0x0f) * 4
        if l4 >= l3 + 20, length >= l4 + 4 { text += " udp \(u16(frame, l4)) -> \(u16(frame, l4 + 2))" }
        if l3 == 18 { text += " (underlay vlan \(u16(frame, 14) & 0x0fff))" }
        return text
    }
}

extension VXLANEncapStage {
    /// What encapsulation does with the frame: the remote VTEP a known destination is behind (its VNI, next
    /// hop and outer headers, or why it is dropped), or for a flood of a VNI's VLAN the copies each VTEP of
    /// the flood list gets; other frames pass untouched. The same checks as `process`.
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let v = context.vxlan
        let meta = packet.meta
        guard v.enabled else { return TraceStep(stage: name, facts: [TraceFact("vxlan", "off")]) }
        if let slot = MACOwner.remoteVTEPSlot(of: meta.egress) {
            var facts: [TraceFact] = []
            switch outcome(packet, slot: slot, context) {
            case .failure(let reason, let fact):
                facts.append(fact)
                return .drop(Self.self, reason, facts)
            case .success(let fact):
                facts.append(fact)
            }
            packet.meta.egress = v.uplink
            packet.meta.vlan = 0
            packet.meta.tagged = false
            return TraceStep(stage: name, facts: facts)
        }
        guard meta.egress == PacketMeta.flood, meta.vlan < 4096 else {
            return TraceStep(stage: name, facts: [TraceFact("vxlan", "not for a remote VTEP: untouched")])
        }
        let floodSlots = v.floodOfVLAN[Int(meta.vlan)]
        if floodSlots == 0 {
            return TraceStep(stage: name, facts: [TraceFact("vxlan", "vlan \(meta.vlan) floods to no remote VTEP")])
        }
        if meta.source != PacketMeta.burstIngress {
            return TraceStep(
                stage: name, facts: [TraceFact("copies", "none: the frame came from a VTEP (split horizon)")])
        }
        let uplinkUp = context.enabled.contains(Int(v.uplink))
        var facts: [TraceFact] = []
        var sent = 0
        var remaining = floodSlots
        while remaining != 0 {
            let slot = remaining.trailingZeroBitCount
            remaining &= remaining &- 1
            switch outcome(packet, slot: slot, context) {
            case .failure(let reason, let fact):
                facts.append(TraceFact("copy", "\(fact.value): dropped (\(reason.name))"))
            case .success(let fact):
                if uplinkUp {
                    facts.append(TraceFact("copy", fact.value))
                    sent += 1
                } else {
                    facts.append(TraceFact("copy", "\(fact.value): dropped (\(Drop.uplinkDown.name))"))
                }
            }
        }
        let ingress = Int(packet.ingress)
        let local = context.bridge.floodMembers(meta.vlan).contains {
            Int($0) != ingress && context.enabled.contains(Int($0))
        }
        if !local {
            // No local port to flood to: the copies were the whole flood (`process` ends the frame here).
            facts.append(TraceFact("local", "no local port in vlan \(meta.vlan): the copies are the whole flood"))
            let outputs =
                sent > 0 ? [TraceOutput(port: v.uplink, portName: context.portName(Int(v.uplink)), tagging: .asIs)] : []
            return TraceStep(stage: name, verdict: .output, facts: facts, outputs: outputs)
        }
        return TraceStep(stage: name, facts: facts)
    }

    enum Outcome {
        case success(TraceFact)
        case failure(Drop, TraceFact)
    }

    /// `encapsulate`'s decision for remote VTEP `slot`, explained (headroom is the mbuf's: not traced).
    static func outcome(_ packet: TracedPacket, slot: Int, _ context: TraceContext) -> Outcome {
        let v = context.vxlan
        let meta = packet.meta
        let vni = meta.vlan < 4096 ? v.vniOfVLAN[Int(meta.vlan)] : 0
        guard slot < v.remoteCount, v.remotes[slot] != 0, vni != 0 else {
            return .failure(.staleDestination, TraceFact("vtep", "slot \(slot) (vlan \(meta.vlan)): no VTEP or VNI"))
        }
        let remote = IPv4Address(rawValue: v.remotes[slot])
        let vtep = "\(remote) (slot \(slot)) vni \(vni)"
        guard let nextHop = context.vxlanNextHops.nextHop(slot: slot) else {
            return .failure(.nextHopUnresolved, TraceFact("vtep", "\(vtep), next hop unresolved"))
        }
        // The inner frame travels untagged.
        var inner = Array(packet.frame)
        if meta.tagged && inner.count >= 16 { inner.removeSubrange(12..<16) }
        let innerLength = inner.count
        if innerLength + VXLANWire.ipOverhead > v.mtu {
            return .failure(
                .exceedsUnderlayMTU,
                TraceFact(
                    "vtep", "\(vtep), \(innerLength + VXLANWire.ipOverhead) bytes above the underlay mtu \(v.mtu)"))
        }
        inner += [UInt8](repeating: 0, count: 16)
        let port = inner.withUnsafeBytes { VXLANEncap.sourcePort(inner: $0.baseAddress!, length: innerLength) }
        var outer = "\(v.local) -> \(remote) udp \(port) -> \(VXLANWire.udpPort), ttl \(v.ttl), df"
        if v.underlayVLAN != 0 { outer += ", underlay vlan \(v.underlayVLAN)" }
        return .success(TraceFact("vtep", "\(vtep) via \(nextHop): \(outer)"))
    }
}
