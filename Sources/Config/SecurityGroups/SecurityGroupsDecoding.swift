import Yams

/// Decoding of the `security-groups` and `conntrack` sections and of a port's `security-groups` list.
extension ConfigDecoder {
    func decodeSecurityGroups(_ node: Node?) -> [SecurityGroupConfig] {
        guard let node else { return [] }
        let expected = "a list of groups like {name: web, ingress: [{protocol: tcp, ports: 80}]}"
        guard let elements = walker.list(node, at: "security-groups", expected: expected) else { return [] }
        return elements.enumerated().map { index, element in
            let path = KeyPath.element("security-groups", index)
            var group = SecurityGroupConfig(name: "")
            guard
                let section = walker.mapping(
                    element, at: path, allowedKeys: ConfigKeys.securityGroup,
                    expected: "a group mapping with name, ingress and egress")
            else { return group }
            if let node = section.required("name", hint: "the group's name, e.g. web") {
                group.name = walker.string(node, at: section.path(of: "name")) ?? ""
            }
            if let node = section.optional("ingress") {
                group.ingress = decodeRules(node, at: section.path(of: "ingress"))
            }
            if let node = section.optional("egress") {
                group.egress = decodeRules(node, at: section.path(of: "egress"))
            }
            return group
        }
    }

    private func decodeRules(_ node: Node, at path: String) -> [SecurityGroupRule] {
        guard let elements = walker.list(node, at: path, expected: "a list of allow rules") else { return [] }
        return elements.enumerated().map { decodeRule($1, at: KeyPath.element(path, $0)) }
    }

    private func decodeRule(_ node: Node, at path: String) -> SecurityGroupRule {
        var rule = SecurityGroupRule()
        guard
            let section = walker.mapping(
                node, at: path, allowedKeys: ConfigKeys.securityGroupRule,
                expected: "a rule mapping like {protocol: tcp, ports: 22, remote-cidr: 10.0.0.0/8}")
        else { return rule }
        if let node = section.defaulted("ethertype", default: "ipv4"),
            let word = walker.keyword(
                node, at: section.path(of: "ethertype"),
                allowed: SecurityGroupRule.EtherType.allCases.map(\.rawValue)),
            let ethertype = SecurityGroupRule.EtherType(rawValue: word)
        {
            rule.ethertype = ethertype
        }
        if let node = section.optional("protocol") {
            rule.proto = decodeProtocol(node, at: section.path(of: "protocol"))
        }
        if let node = section.optional("ports") {
            rule.ports = decodePortRange(node, at: section.path(of: "ports"))
        }
        if let node = section.optional("icmp-type") {
            rule.icmpType = walker.integer(node, at: section.path(of: "icmp-type"))
        }
        if let node = section.optional("icmp-code") {
            rule.icmpCode = walker.integer(node, at: section.path(of: "icmp-code"))
        }
        if let node = section.optional("remote-cidr") {
            rule.remoteCIDR = walker.string(node, at: section.path(of: "remote-cidr"))
        }
        if let node = section.optional("remote-group") {
            rule.remoteGroup = walker.string(node, at: section.path(of: "remote-group"))
        }
        return rule
    }

    /// A name (tcp, udp, icmp, icmpv6, any) or a protocol number 0...255.
    private func decodeProtocol(_ node: Node, at path: String) -> UInt8? {
        if case .scalar(let scalar) = node, node.tagName == .int {
            guard let value = Int(scalar.string), let number = UInt8(exactly: value) else {
                log.reject(path, "\(scalar.string) is not an IP protocol number 0...255")
                return nil
            }
            log.locate(path, line: node.mark?.line)
            return number
        }
        let names = SecurityGroupRule.protocolNames.map(\.0)
        guard let word = walker.keyword(node, at: path, allowed: names) else { return nil }
        return SecurityGroupRule.protocolNames.first { $0.0 == word }?.1
    }

    /// `22` or `"8000-8080"`.
    private func decodePortRange(_ node: Node, at path: String) -> ClosedRange<Int>? {
        if case .scalar(let scalar) = node, node.tagName == .int, let value = Int(scalar.string) {
            log.locate(path, line: node.mark?.line)
            return value...value
        }
        guard let text = walker.string(node, at: path) else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), low <= high else {
            log.reject(path, "\(quoted(text)) is not a port or a port range like 22 or \"8000-8080\"")
            return nil
        }
        return low...high
    }

    func decodeConntrack(_ node: Node?) -> ConntrackConfig {
        var conntrack = ConntrackConfig()
        guard let section = walker.section(node, at: "conntrack", allowedKeys: ConfigKeys.conntrack) else {
            return conntrack
        }
        readInteger("max-connections", of: section, into: &conntrack.maxConnections)
        readInteger("max-connections-per-port", of: section, into: &conntrack.maxPerPort)
        if let timeouts = walker.section(
            section.optional("timeouts"), at: section.path(of: "timeouts"), allowedKeys: ConfigKeys.conntrackTimeouts)
        {
            for key in ConfigKeys.conntrackTimeouts {
                readInteger(key, of: timeouts, into: &conntrack.timeouts[key])
            }
        }
        return conntrack
    }

    func decodeSecurityGroupsKeys(of section: YAMLWalker.Mapping, into port: inout PortConfig) {
        guard let node = section.optional("security-groups") else { return }
        let path = section.path(of: "security-groups")
        guard let elements = walker.list(node, at: path, expected: "a list of security group names") else {
            port.securityGroups = []
            return
        }
        port.securityGroups = elements.enumerated().compactMap { walker.string($1, at: KeyPath.element(path, $0)) }
    }
}
