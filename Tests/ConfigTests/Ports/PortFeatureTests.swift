import Testing

@testable import Config

/// The pieces every port feature provides (see `PortConfig`): its keys are allowed, rendered, decoded back
/// to the same value, and have a change rule. A feature that forgets one of them fails here.
@Suite struct PortFeatureTests {
    /// Each section's keys and each port's keys, with the paths (list indices left out) where they appear.
    static let schema: [(path: String, keys: [String])] = [
        ("", ConfigKeys.root), ("eal", ConfigKeys.eal), ("mempool", ConfigKeys.mempool),
        ("control", ConfigKeys.control), ("l2", ConfigKeys.l2), ("ports[]", ConfigKeys.port),
        ("ports[].vlan", ConfigKeys.vlan), ("ports[].port-security", ConfigKeys.portSecurity),
        ("ports[].static-macs[]", ConfigKeys.staticMAC),
        ("security-groups[]", ConfigKeys.securityGroup), ("security-groups[].ingress[]", ConfigKeys.securityGroupRule),
        ("security-groups[].egress[]", ConfigKeys.securityGroupRule), ("conntrack", ConfigKeys.conntrack),
        ("conntrack.timeouts", ConfigKeys.conntrackTimeouts),
        ("ports[].qos", ConfigKeys.qos), ("ports[].qos.from-vm", ConfigKeys.qosDirection),
        ("ports[].qos.to-vm", ConfigKeys.qosDirection), ("ports[].qos.from-vm.bandwidth", ConfigKeys.qosBandwidth),
        ("ports[].qos.from-vm.packets", ConfigKeys.qosPackets),
        ("ports[].qos.to-vm.bandwidth", ConfigKeys.qosBandwidth),
        ("ports[].qos.to-vm.packets", ConfigKeys.qosPackets),
        ("vxlan", ConfigKeys.vxlan), ("vxlan.vnis[]", ConfigKeys.vxlanVNI),
        ("vxlan.remote-macs[]", ConfigKeys.vxlanRemoteMAC),
        ("dhcp[]", ConfigKeys.dhcpNetwork), ("dhcp[].routes[]", ConfigKeys.dhcpRoute),
        ("ports[].dhcp", ConfigKeys.dhcp),
        ("metadata", ConfigKeys.metadata), ("metadata.rate-limit", ConfigKeys.metadataRateLimit),
        ("metadata.addresses[]", ConfigKeys.metadataAddress), ("ports[].metadata", ConfigKeys.metadataPortKeys),
        ("ports[].metadata.rate-limit", ConfigKeys.metadataRateLimit),
    ]

    @Test(arguments: RichConfigs.all.indices)
    func richConfigsAreValidAndReadBackEqual(index: Int) throws {
        let config = RichConfigs.all[index]
        try config.validate()
        RenderingTests.expectRoundTrip(config, "RichConfigs.all[\(index)]")
    }

    /// Every key the decoder allows is written by the renderer for some rich config, so the round trip
    /// above covers it; and the documents hold no key the decoder would refuse.
    @Test func everyKeyIsRendered() {
        var rendered: [String: Set<String>] = [:]
        for config in RichConfigs.all {
            rendered.merge(config.document.mappingKeys()) { $0.union($1) }
        }
        // Every mapping the renderer writes has a row in `schema` (except mappings whose keys are data, not
        // settings), so a new section or port sub-mapping cannot skip the checks below.
        let dataMappings: Set<String> = ["eal.lcore-cpus"]
        let withoutSchema = Set(rendered.keys).subtracting(Self.schema.map(\.path)).subtracting(dataMappings)
        #expect(withoutSchema.isEmpty, "mappings without a schema row: \(withoutSchema.sorted())")
        for (path, keys) in Self.schema {
            let written = rendered[path] ?? []
            let neverRendered = Set(keys).subtracting(written)
            let notAllowed = written.subtracting(keys)
            #expect(neverRendered.isEmpty, "\(path): never rendered: \(neverRendered)")
            #expect(notAllowed.isEmpty, "\(path): rendered but not allowed: \(notAllowed)")
        }
    }

    /// Every optional setting of a port is set on some port of the rich configs: a new feature's field
    /// must be, or the tests above would not see it.
    @Test func everyOptionalPortSettingIsSet() {
        let ports = RichConfigs.all.flatMap(\.ports)
        let optionals = Mirror(reflecting: ports[0]).children.compactMap(\.label).filter { label in
            ports.contains { Self.isOptional(Self.value(label, of: $0)) }
        }
        #expect(optionals.count >= 6, "\(optionals)")
        for label in optionals {
            let set = ports.contains { !Self.isNil(Self.value(label, of: $0)) }
            #expect(set, "PortConfig.\(label) is nil on every port of RichConfigs")
        }
    }

    /// Every port key has a row of its own in the change table (the port's name is its identity: a new
    /// name is another port).
    @Test func everyPortKeyHasAChangeRule() {
        let rows = Set(ChangeRules.table.rows.map(\.path))
        let missing = ConfigKeys.port.filter { $0 != "name" && !rows.contains(ChangeRules.portPrefix + $0) }
        #expect(missing == [], "port keys without a row in ChangeRules.table: \(missing)")
    }

    static func value(_ label: String, of port: PortConfig) -> Any? {
        Mirror(reflecting: port).children.first { $0.label == label }?.value
    }

    static func isOptional(_ value: Any?) -> Bool {
        guard let value else { return false }
        return Mirror(reflecting: value).displayStyle == .optional
    }

    static func isNil(_ value: Any?) -> Bool {
        guard let value else { return true }
        let mirror = Mirror(reflecting: value)
        return mirror.displayStyle == .optional && mirror.children.isEmpty
    }
}
