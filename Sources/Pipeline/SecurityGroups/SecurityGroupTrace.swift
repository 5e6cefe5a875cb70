import Packet

extension SecurityGroupStage {
    /// Why the stage passes or drops the frame: whether a filtered port is involved, the tracked connection
    /// the frame belongs to (its state, and what the TCP tracker would say), or for a new connection the
    /// rules that allow it (or the drop reason). The same decisions as `process`, read-only: nothing is
    /// inserted, counted or updated.
    public static func trace(_ packet: inout TracedPacket, in context: TraceContext) -> TraceStep {
        let groups = context.securityGroups
        let filtered = groups.filtered
        guard groups.anyFiltered else { return TraceStep(stage: name, facts: [TraceFact("security-groups", "off")]) }
        let ingress = Int(packet.ingress)
        let inFiltered = filtered.contains(ingress)
        let meta = packet.meta
        var outPorts: [Int] = []
        if Int(meta.egress) < PortLimit.maxPorts {
            if filtered.contains(Int(meta.egress)) { outPorts = [Int(meta.egress)] }
        } else if meta.egress == PacketMeta.flood {
            outPorts = context.bridge.floodMembers(meta.vlan).map { Int($0) }.filter {
                $0 != ingress && filtered.contains($0)
            }
        }
        guard inFiltered || !outPorts.isEmpty else {
            return TraceStep(stage: name, facts: [TraceFact("filtered", "neither sender nor receivers")])
        }
        var facts = [TraceFact("filtered", describe(ports: outPorts, sender: inFiltered ? ingress : nil, context))]
        let data = packet.bytes
        let h = meta.headers
        let ipv6 = h.flags.contains(.ipv6)
        guard ipv6 || h.flags.contains(.ipv4) else {
            facts.append(TraceFact("traffic", "not IP (port security's business)"))
            return TraceStep(stage: name, facts: facts)
        }
        let l3 = data + Int(h.l3Offset)
        let proto = h.l4Protocol
        var flow: Flow
        if ipv6 {
            let ip = IPv6Header(l3)
            flow = Flow(
                ipv6: true, proto: proto, sHigh: ip.source.high, sLow: ip.source.low, dHigh: ip.destination.high,
                dLow: ip.destination.low, sPort: 0, dPort: 0, icmpType: -1, icmpCode: -1)
        } else {
            let ip = IPv4Header(l3)
            flow = Flow(
                ipv6: false, proto: proto, sHigh: 0, sLow: UInt64(ip.source.rawValue), dHigh: 0,
                dLow: UInt64(ip.destination.rawValue), sPort: 0, dPort: 0, icmpType: -1, icmpCode: -1)
        }
        let l4Offset = Int(h.l4Offset)
        if l4Offset == 0 {
            if h.flags.contains(.ipFragment) {
                facts.append(TraceFact("fragment", "not the first: no ports to match"))
                return .drop(Self.self, .fragment, facts)
            }
        } else {
            let l4 = data + l4Offset
            if proto == 6 || proto == 17 {
                flow.sPort = SGWire.u16(l4, 0)
                flow.dPort = SGWire.u16(l4, 2)
                if proto == 17 && isExemptUDP(flow) {
                    facts.append(TraceFact("exempt", "DHCP"))
                    return TraceStep(stage: name, facts: facts)
                }
            } else if proto == 1 || proto == 58 {
                flow.icmpType = Int16(SGWire.u8(l4, 0))
                flow.icmpCode = Int16(SGWire.u8(l4, 1))
                if proto == 58 && isExemptICMPv6(flow.icmpType) {
                    facts.append(TraceFact("exempt", "neighbour discovery / multicast listener"))
                    return TraceStep(stage: name, facts: facts)
                }
                if isICMPError(flow) {
                    let quoted = quotedKey(data, l4: l4Offset, end: Int(h.l3End), ipv6: ipv6, zone: meta.vlan)
                    guard let quoted, context.connTable.lookup(quoted) >= 0 else {
                        facts.append(TraceFact("icmp-error", "quotes no tracked connection"))
                        return .drop(Self.self, .invalid, facts)
                    }
                    facts.append(TraceFact("icmp-error", "related to a tracked connection"))
                    return TraceStep(stage: name, facts: facts)
                }
                if isEcho(flow) {
                    flow.sPort = SGWire.u16(l4, 4)
                    flow.dPort = flow.sPort
                }
            }
        }
        if !ipv6 && (flow.dLow == metadataAddress || flow.sLow == metadataAddress) {
            facts.append(TraceFact("exempt", "metadata address"))
            return TraceStep(stage: name, facts: facts)
        }
        let (key, sourceIsB) = ConnKey.of(
            zone: meta.vlan, proto: proto, ipv6: ipv6, sHigh: flow.sHigh, sLow: flow.sLow, sPort: flow.sPort,
            dHigh: flow.dHigh, dLow: flow.dLow, dPort: flow.dPort)
        let table = context.connTable
        let slot = table.lookup(key)
        if slot >= 0 {
            return tracked(slot, table, data, h, sourceIsB: sourceIsB, flow: flow, facts: facts)
        }
        return new(
            key, flow, data, h, inFiltered: inFiltered, outPorts: outPorts, meta: meta, ingress: ingress, context, facts
        )
    }

    /// A frame of a tracked connection.
    static func tracked(
        _ slot: Int, _ table: ConnTableView, _ data: UnsafeRawPointer, _ h: PacketHeaders, sourceIsB: Bool,
        flow: Flow, facts: [TraceFact]
    ) -> TraceStep {
        var facts = facts
        let info = table.info(slot)
        let reply = sourceIsB != ConnTableView.initiatorIsB(info)
        let state = ConnTableView.state(of: info)
        let direction = reply ? "reply" : "original"
        if flow.proto == 6 {
            let stateName = (TCPState(rawValue: state) ?? .none).name
            facts.append(TraceFact("conntrack", "tracked, \(stateName), \(direction) direction"))
            var tracker = TCPTracker(
                state: TCPState(rawValue: state) ?? .none, original: table.tcpSide(slot, reply: false),
                reply: table.tcpSide(slot, reply: true))
            switch tracker.track(segment(data, h), isReply: reply) {
            case .invalid:
                facts.append(TraceFact("tcp", "out of window, or flags with no place in \(stateName)"))
                return .drop(Self.self, .invalid, facts)
            case .reopen:
                facts.append(TraceFact("tcp", "a SYN on a closed connection: the entry starts over"))
            case .accept:
                facts.append(TraceFact("tcp", "in window, next state \(tracker.state.name)"))
            }
        } else {
            facts.append(
                TraceFact("conntrack", "tracked, \(ConnTable.PseudoState.name(state)), \(direction) direction"))
        }
        return TraceStep(stage: name, facts: facts)
    }

    /// The first frame of a connection: the sender's egress rules and each filtered receiver's ingress rules.
    static func new(
        _ key: ConnKey, _ flow: Flow, _ data: UnsafeRawPointer, _ h: PacketHeaders, inFiltered: Bool,
        outPorts: [Int], meta: PacketMeta, ingress: Int, _ context: TraceContext, _ facts: [TraceFact]
    ) -> TraceStep {
        var facts = facts
        facts.append(TraceFact("conntrack", "no connection"))
        if flow.proto == 6 && !TCPTracker.opens(segment(data, h).flags) {
            facts.append(TraceFact("tcp", "only a SYN opens a connection"))
            return .drop(Self.self, .invalid, facts)
        }
        if isEchoReply(flow) {
            facts.append(TraceFact("icmp", "an echo reply without its request"))
            return .drop(Self.self, .invalid, facts)
        }
        let groups = context.securityGroups
        let family: UInt8 = flow.ipv6 ? 6 : 4
        var owner = -1
        if inFiltered {
            let row = groups.portRows[ingress]
            let rule = groups.match(
                start: row.egressStart, count: row.egressCount, family: family, proto: flow.proto,
                remoteHigh: flow.dHigh, remoteLow: flow.dLow, port: flow.dPort, icmpType: flow.icmpType,
                icmpCode: flow.icmpCode)
            let port = context.portName(ingress)
            guard rule >= 0 else {
                facts.append(TraceFact("egress", "no rule of \(port) allows it"))
                return .drop(Self.self, .noRule, facts)
            }
            facts.append(TraceFact("egress", "\(port) rule \(describe(groups.rules[rule]))"))
            owner = ingress
        }
        var excluded: [String] = []
        for port in outPorts {
            let row = groups.portRows[port]
            let rule = groups.match(
                start: row.ingressStart, count: row.ingressCount, family: family, proto: flow.proto,
                remoteHigh: flow.sHigh, remoteLow: flow.sLow, port: flow.dPort, icmpType: flow.icmpType,
                icmpCode: flow.icmpCode)
            if rule < 0 {
                excluded.append(context.portName(port))
                if Int(meta.egress) < PortLimit.maxPorts {
                    facts.append(TraceFact("ingress", "no rule of \(context.portName(port)) allows it"))
                    return .drop(Self.self, .noRule, facts)
                }
            } else {
                facts.append(TraceFact("ingress", "\(context.portName(port)) rule \(describe(groups.rules[rule]))"))
                if owner < 0 { owner = port }
            }
        }
        if !excluded.isEmpty { facts.append(TraceFact("flood-excludes", excluded.joined(separator: ", "))) }
        guard owner >= 0 else { return TraceStep(stage: name, facts: facts) }
        let table = context.connTable
        if table.portCounts[owner].load(ordering: .relaxed) >= groups.perPortLimit {
            facts.append(TraceFact("limit", "\(context.portName(owner)) has its maximum of connections"))
            return .drop(Self.self, .portLimit, facts)
        }
        if !table.hasFreeSlot(table.hash(key)) {
            facts.append(TraceFact("limit", "both buckets of the connection are full"))
            return .drop(Self.self, .tableFull, facts)
        }
        facts.append(TraceFact("verdict", "opens a new connection (counted against \(context.portName(owner)))"))
        return TraceStep(stage: name, facts: facts)
    }

    static func describe(ports: [Int], sender: Int?, _ context: TraceContext) -> String {
        var parts: [String] = []
        if let sender { parts.append("sender \(context.portName(sender))") }
        for port in ports { parts.append("receiver \(context.portName(port))") }
        return parts.joined(separator: ", ")
    }

    /// A compiled rule: "ipv4 tcp 22 10.0.0.0/24".
    static func describe(_ rule: SGRule) -> String {
        var parts = [rule.family == 6 ? "ipv6" : "ipv4"]
        switch rule.proto {
        case -1: parts.append("any")
        case 6: parts.append("tcp")
        case 17: parts.append("udp")
        case 1: parts.append("icmp")
        case 58: parts.append("icmpv6")
        default: parts.append("protocol \(rule.proto)")
        }
        if rule.portLow != 0 || rule.portHigh != 65535 {
            parts.append(rule.portLow == rule.portHigh ? "\(rule.portLow)" : "\(rule.portLow)-\(rule.portHigh)")
        }
        if rule.icmpType >= 0 {
            parts.append("type \(rule.icmpType)" + (rule.icmpCode >= 0 ? " code \(rule.icmpCode)" : ""))
        }
        if rule.family == 4 {
            let bits = UInt32(truncatingIfNeeded: rule.maskLow).nonzeroBitCount
            parts.append("\(IPv4Address(rawValue: UInt32(truncatingIfNeeded: rule.remoteLow)))/\(bits)")
        } else {
            let bits = rule.maskHigh.nonzeroBitCount + rule.maskLow.nonzeroBitCount
            parts.append("\(IPv6Address(high: rule.remoteHigh, low: rule.remoteLow))/\(bits)")
        }
        return parts.joined(separator: " ")
    }
}
