import Packet

extension PortSecurityStage {
    /// Whether the ingress port has port security and, if so, the check the frame fails (or that it passes).
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let port = Int(packet.ingress)
        let bridge = context.bridge
        if packet.meta.source != PacketMeta.burstIngress {
            return TraceStep(stage: name, facts: [TraceFact("port-security", "not applied: decapsulated from a VTEP")])
        }
        guard port < bridge.portCount, bridge.ports[port].securityEnabled else {
            return TraceStep(stage: name, facts: [TraceFact("port-security", "off")])
        }
        let row = bridge.ports[port]
        var facts = [
            TraceFact("port-security", "on"), TraceFact("allowed-mac", "\(EthernetAddress(rawValue: row.allowedMAC))"),
        ]
        if row.restrictIPv4 || row.restrictIPv6 { facts.append(TraceFact("addresses", "restricted")) }
        if let reason = violation(packet.bytes, packet.meta.headers, port: port, row: row, bridge: bridge) {
            return .drop(Self.self, reason, facts)
        }
        facts.append(TraceFact("verdict", "allowed"))
        return TraceStep(stage: name, facts: facts)
    }
}

extension VLANStage {
    /// The VLAN the frame is assigned by the ingress port's mode, or why the port may not carry it; the same
    /// rules as `process`.
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let port = Int(packet.ingress)
        let bridge = context.bridge
        if packet.meta.source != PacketMeta.burstIngress {
            return TraceStep(
                stage: name, facts: [TraceFact("vlan", "\(packet.meta.vlan) (the VNI's, set by vxlan-decap)")])
        }
        let row = bridge.ports[port]
        let headers = packet.meta.headers
        let tagged = headers.flags.contains(.vlanTagged)
        let tagVLAN = headers.vlanID
        var facts = [
            TraceFact(
                "port-mode",
                row.trunk
                    ? "trunk" + (row.untaggedVLAN != 0 ? " native \(row.untaggedVLAN)" : " without native vlan")
                    : "access \(row.untaggedVLAN)"),
            TraceFact("frame", !tagged ? "untagged" : tagVLAN == 0 ? "priority-tagged" : "tagged \(tagVLAN)"),
        ]
        let vlan: UInt16
        if !tagged || tagVLAN == 0 {
            vlan = row.untaggedVLAN
            if vlan == 0 { return .drop(Self.self, .untaggedOnTrunk, facts) }
        } else if row.trunk {
            vlan = tagVLAN
            if !bridge.isMember(port, of: vlan) {
                return .drop(Self.self, .notAllowed, facts)
            }
        } else {
            return .drop(Self.self, .taggedOnAccess, facts)
        }
        packet.meta.vlan = vlan
        packet.meta.tagged = tagged
        facts.append(TraceFact("vlan", "\(vlan)"))
        return TraceStep(stage: name, facts: facts)
    }
}

extension L2Stage {
    /// What learning would do with the source (without learning it) and where the destination goes: the
    /// owning port, a flood, or a drop because it lives on the ingress port.
    ///
    /// The prediction reads the MAC table as it is at the moment of the trace (`predictLearn`): a PMD may
    /// learn or the control thread age an entry right after.
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        // A decapsulated frame's owner is its remote VTEP, as in `process`.
        let ingress = packet.meta.source == PacketMeta.burstIngress ? packet.ingress : packet.meta.source
        let frame = packet.bytes
        let vlan = packet.meta.vlan
        let table = context.macTable
        let source = MACTableKey.make(vlan: vlan, mac: MACTableKey.mac(fromBytes: frame + 6))
        let destination = MACTableKey.make(vlan: vlan, mac: MACTableKey.mac(fromBytes: frame))
        var facts: [TraceFact] = []
        // Where the source's entry is once the frame's learn has happened.
        var sourceOwner: UInt16?
        let here = context.portName(Int(ingress))
        if MACTableKey.isLearnableSource(source) {
            let (result, owner) = table.predictLearn(key: source, port: ingress)
            sourceOwner = owner
            let ownerName = owner.map { context.portName(Int($0)) } ?? "-"
            let learn: String
            switch result {
            case .learned: learn = "new: learned on \(here)"
            case .refreshed, .unchanged: learn = owner == nil ? "being changed elsewhere" : "known on \(here)"
            case .moved: learn = "moves to \(here)"
            case .staticConflict: learn = "static on \(ownerName): not moved (static-conflict)"
            case .limitReached: learn = "not learned: \(here) is at its learn limit (learn-limit)"
            case .tableFull: learn = "not learned: no free slot (table-full)"
            case .learningPaused: learn = "not learned: learning paused while the table is recycled"
            case .invalidSource: learn = "source not learnable"
            }
            facts.append(TraceFact("learn", learn))
        } else {
            facts.append(TraceFact("learn", "source not learnable (zero or group address)"))
        }
        if destination & MACTableKey.groupBit != 0 {
            let broadcast = MACTableKey.mac(of: destination) == MACTableKey.macMask
            facts.append(TraceFact("lookup", broadcast ? "broadcast: flood" : "multicast: flood"))
            packet.meta.egress = PacketMeta.flood
            return TraceStep(stage: name, facts: facts)
        }
        // The learn comes first: a frame to its own source finds the entry the learn left.
        let owner = destination == source ? sourceOwner : table.lookup(key: destination)
        guard let owner else {
            facts.append(TraceFact("lookup", "unknown unicast: flood"))
            packet.meta.egress = PacketMeta.flood
            return TraceStep(stage: name, facts: facts)
        }
        facts.append(TraceFact("lookup", "known on \(context.portName(Int(owner)))"))
        if owner == ingress { return .drop(Self.self, .samePort, facts) }
        if MACOwner.isRemoteVTEP(owner) && MACOwner.isRemoteVTEP(ingress) {
            return .drop(Self.self, .splitHorizon, facts)
        }
        packet.meta.egress = owner
        return TraceStep(stage: name, facts: facts)
    }
}
