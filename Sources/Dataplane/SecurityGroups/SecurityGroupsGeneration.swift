import Config
import Packet
import Pipeline

/// Compiles the configuration's security groups into a generation's `SecurityGroupTables`.
enum SecurityGroupCompiler {
    /// One configuration rule, for hit counters and listings: its group, direction and index.
    struct RuleID: Hashable {
        var group: String
        var egress: Bool
        /// -1 and -2: the implicit allow-all egress rules (IPv4, IPv6) of a group without `egress`.
        var index: Int
    }

    /// The rules of every group in counter order.
    static func ruleIDs(_ config: SluiceConfig) -> [RuleID] {
        var ids: [RuleID] = []
        for group in config.securityGroups {
            for index in group.ingress.indices { ids.append(RuleID(group: group.name, egress: false, index: index)) }
            if let egress = group.egress {
                for index in egress.indices { ids.append(RuleID(group: group.name, egress: true, index: index)) }
            } else {
                ids.append(RuleID(group: group.name, egress: true, index: -1))
                ids.append(RuleID(group: group.name, egress: true, index: -2))
            }
        }
        return ids
    }

    /// Each group's member addresses (from its members' port-security IP lists).
    static func memberAddresses(_ config: SluiceConfig) -> [String: (v4: [IPv4Address], v6: [IPv6Address])] {
        var members: [String: (v4: [IPv4Address], v6: [IPv6Address])] = [:]
        for port in config.ports {
            guard let groups = port.securityGroups, let security = port.portSecurity else { continue }
            for group in groups {
                members[group, default: ([], [])].v4 += security.ipv4
                members[group, default: ([], [])].v6 += security.ipv6
            }
        }
        return members
    }

    /// Compiled rules of `group` in one direction.
    static func compile(
        _ group: SecurityGroupConfig, egress: Bool, counters: [RuleID: Int],
        members: [String: (v4: [IPv4Address], v6: [IPv6Address])]
    ) -> [SGRule] {
        guard let rules = egress ? group.egress : group.ingress else {
            return [
                SGRule(family: 4, counter: Int32(counters[RuleID(group: group.name, egress: true, index: -1)] ?? 0)),
                SGRule(family: 6, counter: Int32(counters[RuleID(group: group.name, egress: true, index: -2)] ?? 0)),
            ]
        }
        var compiled: [SGRule] = []
        for (index, rule) in rules.enumerated() {
            let counter = Int32(counters[RuleID(group: group.name, egress: egress, index: index)] ?? 0)
            let family: UInt8 = rule.ethertype == .ipv6 ? 6 : 4
            var base = SGRule(family: family, counter: counter)
            if let proto = rule.proto { base.proto = Int16(proto) }
            if let ports = rule.ports {
                base.portLow = UInt16(clamping: ports.lowerBound)
                base.portHigh = UInt16(clamping: ports.upperBound)
            }
            if let type = rule.icmpType { base.icmpType = Int16(type) }
            if let code = rule.icmpCode { base.icmpCode = Int16(code) }
            if let text = rule.remoteCIDR, let cidr = CIDR(text) {
                let (maskHigh, maskLow) = cidr.masks
                base.maskHigh = maskHigh
                base.maskLow = maskLow
                base.remoteHigh = cidr.high & maskHigh
                base.remoteLow = cidr.low & maskLow
                compiled.append(base)
            } else if let remote = rule.remoteGroup {
                // One row per member address; a group without addresses allows nothing.
                let addresses = members[remote] ?? ([], [])
                if family == 4 {
                    for address in Set(addresses.v4.map(\.rawValue)).sorted() {
                        var row = base
                        row.remoteLow = UInt64(address)
                        row.maskLow = 0xFFFF_FFFF
                        compiled.append(row)
                    }
                } else {
                    for address in Set(addresses.v6) {
                        var row = base
                        row.remoteHigh = address.high
                        row.remoteLow = address.low
                        row.maskHigh = ~0
                        row.maskLow = ~0
                        compiled.append(row)
                    }
                }
            } else {
                compiled.append(base)
            }
        }
        return compiled
    }

    /// A rule's identity for its hit counter: its group, direction and content (and, for a rule listed
    /// twice, which copy), not its position, so removing or adding another rule of the group keeps its
    /// count; a changed rule counts from zero.
    static func identity(_ id: RuleID, _ config: SluiceConfig) -> String {
        let group = config.securityGroups.first { $0.name == id.group }
        let rules = (id.egress ? group?.egress : group?.ingress) ?? []
        let direction = id.egress ? "egress" : "ingress"
        guard id.index >= 0 && id.index < rules.count else { return "\(id.group)/\(direction)/\(id.index)/all" }
        let copy = rules[..<id.index].filter { $0 == rules[id.index] }.count
        return "\(id.group)/\(direction)/\(rules[id.index])/\(copy)"
    }

    /// The tables of a generation: `slotOf` maps port names to slots; hit counters live in `conntrack`
    /// (none: a scratch counter, for dataplanes built without one).
    static func tables(_ config: SluiceConfig, slotOf: [String: Int], conntrack: ConntrackState?) -> SecurityGroupTables
    {
        let ids = ruleIDs(config)
        var counters: [RuleID: Int] = [:]
        for id in ids { counters[id] = conntrack?.slot(for: identity(id, config)) ?? 0 }
        let members = memberAddresses(config)
        let groupsByName = Dictionary(config.securityGroups.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var specs = [SGPortSpec?](repeating: nil, count: PortLimit.maxPorts)
        let patched = Set(config.patches.flatMap { [$0.a, $0.b] })
        for port in config.ports {
            guard let names = port.securityGroups, let slot = slotOf[port.name], !patched.contains(port.name) else {
                continue
            }
            var spec = SGPortSpec(ingress: [], egress: [])
            for name in names {
                guard let group = groupsByName[name] else { continue }
                spec.ingress += compile(group, egress: false, counters: counters, members: members)
                spec.egress += compile(group, egress: true, counters: counters, members: members)
            }
            specs[slot] = spec
        }
        guard let conntrack else { return SecurityGroupTables.unfiltered() }
        return SecurityGroupTables(
            ports: specs, hits: conntrack.hits, hitStride: ConntrackState.hitStride,
            perPortLimit: config.conntrack.maxPerPort)
    }
}
