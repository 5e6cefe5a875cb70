/// The security groups' part of the document.
extension PortConfig {
    var securityGroupsEntries: [ConfigDocument.Entry] {
        ConfigDocument.entries([
            "security-groups": securityGroups.map { .list($0.map(ConfigDocument.string)) }
        ])
    }
}

extension SecurityGroupConfig {
    var document: ConfigDocument {
        .map([
            "name": .string(name),
            "ingress": .list(ingress.map(\.document)),
            "egress": egress.map { .list($0.map(\.document)) },
        ])
    }
}

extension SecurityGroupRule {
    var document: ConfigDocument {
        let portsText = ports.map { range -> ConfigDocument in
            range.lowerBound == range.upperBound
                ? .int(range.lowerBound) : .string("\(range.lowerBound)-\(range.upperBound)")
        }
        let protocolDocument: ConfigDocument =
            SecurityGroupRule.protocolNames.contains { $0.1 == proto }
            ? .string(protocolKeyword) : .int(Int(proto ?? 0))
        return .map([
            "ethertype": .string(ethertype.rawValue),
            "protocol": protocolDocument,
            "ports": portsText,
            "icmp-type": icmpType.map(ConfigDocument.int),
            "icmp-code": icmpCode.map(ConfigDocument.int),
            "remote-cidr": remoteCIDR.map(ConfigDocument.string),
            "remote-group": remoteGroup.map(ConfigDocument.string),
        ])
    }
}

extension ConntrackConfig {
    var document: ConfigDocument {
        .map([
            "max-connections": .int(maxConnections),
            "max-connections-per-port": .int(maxPerPort),
            "timeouts": .mapping(timeouts.entries.map { ConfigDocument.Entry($0.key, .int($0.seconds)) }),
        ])
    }
}
