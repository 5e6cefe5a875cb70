import Config
import ControlProtocol
import DPDK
import Packet
import Pipeline

/// The control API's view of the security groups and the connection table.
extension Dataplane {
    public enum ConntrackError: Error, CustomStringConvertible {
        case unknownPort(String)
        case badAddress(String)
        case badLimit(Int)

        public var description: String {
            switch self {
            case .unknownPort(let name): "port: no port is named \(name)"
            case .badAddress(let text): "address: \(text) is not an IPv4 or IPv6 address"
            case .badLimit(let limit): "limit: \(limit) is not a positive count"
            }
        }
    }

    /// Every group with its members and its rules' hit counts.
    public func securityGroupStatuses() -> [SecurityGroupStatus] {
        config.securityGroups.map { group in
            let members = config.ports.filter { $0.securityGroups?.contains(group.name) ?? false }.map(\.name)
            var rules: [SecurityGroupRuleStatus] = []
            func hits(_ id: SecurityGroupCompiler.RuleID) -> UInt64 {
                guard let conntrack else { return 0 }
                return conntrack.hitCount(slot: conntrack.slot(for: SecurityGroupCompiler.identity(id, config)))
            }
            for (index, rule) in group.ingress.enumerated() {
                let id = SecurityGroupCompiler.RuleID(group: group.name, egress: false, index: index)
                rules.append(.init(direction: "ingress", rule: Self.describe(rule, ingress: true), hits: hits(id)))
            }
            if let egress = group.egress {
                for (index, rule) in egress.enumerated() {
                    let id = SecurityGroupCompiler.RuleID(group: group.name, egress: true, index: index)
                    rules.append(.init(direction: "egress", rule: Self.describe(rule, ingress: false), hits: hits(id)))
                }
            } else {
                for (index, family) in [(-1, "ipv4"), (-2, "ipv6")] {
                    let id = SecurityGroupCompiler.RuleID(group: group.name, egress: true, index: index)
                    rules.append(.init(direction: "egress", rule: "\(family) any (default)", hits: hits(id)))
                }
            }
            return SecurityGroupStatus(name: group.name, members: members, rules: rules)
        }
    }

    /// A rule as one line: `ipv4 tcp 22 from 10.0.0.0/8`.
    static func describe(_ rule: SecurityGroupRule, ingress: Bool) -> String {
        var parts = [rule.ethertype.rawValue, rule.protocolKeyword]
        if let ports = rule.ports {
            parts.append(ports.count == 1 ? "\(ports.lowerBound)" : "\(ports.lowerBound)-\(ports.upperBound)")
        }
        if let type = rule.icmpType { parts.append("type \(type)") }
        if let code = rule.icmpCode { parts.append("code \(code)") }
        let side = ingress ? "from" : "to"
        if let cidr = rule.remoteCIDR { parts.append("\(side) \(cidr)") }
        if let group = rule.remoteGroup { parts.append("\(side) group \(group)") }
        return parts.joined(separator: " ")
    }

    /// Tracked connections matching `params`' filters.
    public func connections(_ params: ConntrackListParams) throws(ConntrackError) -> [ConnectionStatus] {
        guard let conntrack else { return [] }
        var portSlot: Int?
        if let name = params.port {
            guard let slot = slot(of: name) else { throw .unknownPort(name) }
            portSlot = slot
        }
        var address: (high: UInt64, low: UInt64, v6: Bool)?
        if let text = params.address {
            if let v4 = IPv4Address(text) {
                address = (0, UInt64(v4.rawValue), false)
            } else if let v6 = IPv6Address(text) {
                address = (v6.high, v6.low, true)
            } else {
                throw .badAddress(text)
            }
        }
        let limit = params.limit ?? 1000
        guard limit > 0 else { throw .badLimit(limit) }
        let now = readTSC()
        var result: [ConnectionStatus] = []
        for entry in conntrack.table.entries() {
            if let portSlot, entry.initiatorPort != portSlot && entry.responderPort != portSlot { continue }
            let key = entry.key
            if let address {
                let atA = key.aHigh == address.high && key.aLow == address.low
                let atB = key.bHigh == address.high && key.bLow == address.low
                if key.isIPv6 != address.v6 || !(atA || atB) { continue }
            }
            let status = makeStatus(entry, now: now)
            if let state = params.state, status.state != state { continue }
            result.append(status)
            if result.count >= limit { break }
        }
        return result
    }

    private func makeStatus(_ entry: ConnEntry, now: UInt64) -> ConnectionStatus {
        let key = entry.key
        func text(_ high: UInt64, _ low: UInt64) -> String {
            key.isIPv6
                ? IPv6Address(high: high, low: low).description
                : IPv4Address(rawValue: UInt32(truncatingIfNeeded: low)).description
        }
        let a = (text(key.aHigh, key.aLow), Int(key.portA))
        let b = (text(key.bHigh, key.bLow), Int(key.portB))
        let (source, destination) = entry.initiatorIsB ? (b, a) : (a, b)
        let proto: String
        switch key.proto {
        case 6: proto = "tcp"
        case 17: proto = "udp"
        case 1: proto = "icmp"
        case 58: proto = "icmpv6"
        default: proto = "\(key.proto)"
        }
        let state =
            key.proto == 6
            ? (TCPState(rawValue: entry.state)?.name ?? "#\(entry.state)") : ConnTable.PseudoState.name(entry.state)
        let idle = now >= entry.lastSeen ? Int((now - entry.lastSeen) / max(EAL.tscHz, 1)) : 0
        return ConnectionStatus(
            zone: Int(key.zone), proto: proto, source: source.0, sourcePort: source.1, destination: destination.0,
            destinationPort: destination.1, state: state, initiatorPort: portName(slot: entry.initiatorPort),
            responderPort: entry.responderPort == ConnTableView.unknownPort ? "-" : portName(slot: entry.responderPort),
            packetsOriginal: entry.packetsOriginal, packetsReply: entry.packetsReply, idleSeconds: idle)
    }

    public func conntrackStats() -> ConntrackStats {
        guard let conntrack else {
            return ConntrackStats(capacity: 0, connections: 0, perPortLimit: 0, ports: [:], states: [:])
        }
        var ports: [String: Int] = [:]
        for port in config.ports {
            if let slot = slot(of: port.name) { ports[port.name] = conntrack.table.count(port: slot) }
        }
        var states: [String: Int] = [:]
        let now = readTSC()
        var total = 0
        for entry in conntrack.table.entries() {
            states[makeStatus(entry, now: now).state, default: 0] += 1
            total += 1
        }
        return ConntrackStats(
            capacity: conntrack.table.capacity, connections: total, perPortLimit: config.conntrack.maxPerPort,
            ports: ports, states: states)
    }

    /// Removes the connections of one port (initiated or received), or all; returns how many.
    public func flushConnections(port: String?) throws(ConntrackError) -> Int {
        guard let conntrack else { return 0 }
        guard let port else { return conntrack.table.remove { _ in true } }
        guard let slot = slot(of: port) else { throw .unknownPort(port) }
        return conntrack.table.remove { $0.initiatorPort == slot || $0.responderPort == slot }
    }
}
