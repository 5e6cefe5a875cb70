/// Rules of the `security-groups` and `conntrack` sections and of a port's `security-groups` list.
extension Validator {
    static let conntrackSizes = 1024...16_777_216
    /// A year: far above any real idle timeout, and small enough for TSC arithmetic.
    static let conntrackTimeoutRange = 1...31_536_000
    /// Rules of all groups together: the stage scans a port's rules for each new connection.
    static let maximumRules = 1024

    func validateSecurityGroups() {
        var groupIndex: [String: Int] = [:]
        for (index, group) in config.securityGroups.enumerated() {
            let path = KeyPath.element("security-groups", index)
            guard isKnown(path) else { continue }
            let namePath = KeyPath.child(path, "name")
            guard isKnown(namePath) else { continue }
            if !Self.isPortName(group.name) {
                report(
                    namePath,
                    "\(quoted(group.name)) is not a valid group name: use 1 to 32 characters from A-Z, a-z, 0-9, _, . and -, starting with a letter or digit"
                )
            } else if let first = groupIndex[group.name] {
                report(
                    namePath,
                    "\(quoted(group.name)) is already the name of security-groups[\(first)]; group names must be unique"
                )
            } else {
                groupIndex[group.name] = index
            }
        }
        let names = config.securityGroups.map(\.name)
        var ruleCount = 0
        for (index, group) in config.securityGroups.enumerated() {
            let path = KeyPath.element("security-groups", index)
            guard isKnown(path) else { continue }
            let lists = [("ingress", group.ingress), ("egress", group.egress ?? [])]
            for (key, rules) in lists {
                let listPath = KeyPath.child(path, key)
                guard isKnown(listPath) else { continue }
                ruleCount += rules.count
                for (ruleIndex, rule) in rules.enumerated() {
                    validateRule(rule, at: KeyPath.element(listPath, ruleIndex), groupNames: names)
                }
            }
        }
        if ruleCount > Self.maximumRules {
            report("security-groups", "has \(ruleCount) rules in all; at most \(Self.maximumRules) are supported")
        }

        let conntrack = config.conntrack
        if let size = checkRange(conntrack.maxConnections, Self.conntrackSizes, at: "conntrack.max-connections"),
            size & (size - 1) != 0
        {
            report("conntrack.max-connections", "\(size) is not a power of two (e.g. 262144)")
        }
        checkRange(conntrack.maxPerPort, 1...Self.conntrackSizes.upperBound, at: "conntrack.max-connections-per-port")
        for (key, seconds) in conntrack.timeouts.entries {
            checkRange(seconds, Self.conntrackTimeoutRange, at: "conntrack.timeouts.\(key)")
        }
    }

    private func validateRule(_ rule: SecurityGroupRule, at path: String, groupNames: [String]) {
        guard isKnown(path) else { return }
        let key = { (name: String) in KeyPath.child(path, name) }
        let isICMP = rule.proto == SecurityGroupRule.icmp || rule.proto == SecurityGroupRule.icmpv6
        let hasPorts = rule.proto == SecurityGroupRule.tcp || rule.proto == SecurityGroupRule.udp
        if isKnown(key("protocol")), isKnown(key("ethertype")) {
            if rule.proto == SecurityGroupRule.icmp, rule.ethertype == .ipv6 {
                report(key("protocol"), "icmp is IPv4's; with ethertype: ipv6 use icmpv6")
            } else if rule.proto == SecurityGroupRule.icmpv6, rule.ethertype == .ipv4 {
                report(key("protocol"), "icmpv6 needs ethertype: ipv6")
            }
        }
        if let ports = rule.ports, isKnown(key("ports")), isKnown(key("protocol")) {
            if !hasPorts {
                report(key("ports"), "only applies with protocol: tcp or udp (the protocol is \(rule.protocolKeyword))")
            } else if !(1...65535).contains(ports.lowerBound) || !(1...65535).contains(ports.upperBound) {
                report(key("ports"), "\(ports.lowerBound)-\(ports.upperBound) is out of range 1...65535")
            }
        }
        for (name, value) in [("icmp-type", rule.icmpType), ("icmp-code", rule.icmpCode)] {
            guard let value, isKnown(key(name)), isKnown(key("protocol")) else { continue }
            if !isICMP {
                report(
                    key(name), "only applies with protocol: icmp or icmpv6 (the protocol is \(rule.protocolKeyword))")
            } else {
                checkRange(value, 0...255, at: key(name))
            }
        }
        if rule.icmpCode != nil, rule.icmpType == nil, isICMP, isKnown(key("icmp-code")) {
            report(key("icmp-code"), "needs icmp-type: a code only means something for one type")
        }
        if let text = rule.remoteCIDR, isKnown(key("remote-cidr")) {
            if rule.remoteGroup != nil {
                report(key("remote-cidr"), "cannot be given with remote-group; a rule has one remote side")
            } else if let cidr = CIDR(text) {
                if cidr.isIPv6 != (rule.ethertype == .ipv6), isKnown(key("ethertype")) {
                    report(
                        key("remote-cidr"),
                        "\(quoted(text)) is an \(cidr.isIPv6 ? "IPv6" : "IPv4") prefix but the rule's ethertype is \(rule.ethertype.rawValue)"
                    )
                } else if !cidr.isNetwork {
                    report(key("remote-cidr"), "\(quoted(text)) has bits set after the prefix length")
                }
            } else {
                report(key("remote-cidr"), "\(quoted(text)) is not a CIDR like 10.0.0.0/8 or 2001:db8::/32")
            }
        }
        if let group = rule.remoteGroup, isKnown(key("remote-group")), !groupNames.contains(group) {
            report(key("remote-group"), "\(quoted(group)) is not the name of a security group")
        }
    }

    /// A port's `security-groups`: existing groups, each once, and not on a patched port (patches bypass the
    /// bridge and its stages).
    func validateSecurityGroupsKeys(of port: PortConfig, at path: String, patched: Bool) {
        guard let groups = port.securityGroups else { return }
        let listPath = KeyPath.child(path, "security-groups")
        guard isKnown(listPath) else { return }
        if patched {
            report(listPath, "is not allowed on a patched port: patches bypass the bridge and its security groups")
        }
        let names = Set(config.securityGroups.map(\.name))
        var seen: Set<String> = []
        for (index, name) in groups.enumerated() {
            let element = KeyPath.element(listPath, index)
            guard isKnown(element) else { continue }
            if !names.contains(name) {
                report(element, "\(quoted(name)) is not the name of a security group")
            } else if !seen.insert(name).inserted {
                report(element, "\(quoted(name)) is listed twice")
            }
        }
    }
}
