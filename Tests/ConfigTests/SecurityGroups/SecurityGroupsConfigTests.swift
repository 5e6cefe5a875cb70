import Testing

@testable import Config

/// The `security-groups` and `conntrack` sections and a port's `security-groups` list: decoding, rules at
/// key paths, rendering and what a change needs.
@Suite struct SecurityGroupsConfigTests {
    static let base = Doc().yaml

    static func doc(_ sections: String, port0: String = "") -> String {
        var yaml = Doc { doc in
            if !port0.isEmpty { doc.ports[0].append(port0) }
        }.yaml
        yaml += sections
        return yaml
    }

    static let groups = """
        security-groups:
          - name: web
            ingress:
              - {protocol: tcp, ports: 22, remote-group: admin}
              - {protocol: tcp, ports: "8000-8080", remote-cidr: 10.0.0.0/8}
              - {ethertype: ipv6, protocol: icmpv6, icmp-type: 128}
              - {protocol: 132}
          - name: admin
            egress: []
        conntrack:
          max-connections: 4096
          max-connections-per-port: 100
          timeouts: {established: 3600, udp: 20}

        """

    @Test func aFullDocumentDecodes() throws {
        let config = try #require(parsed(Self.doc(Self.groups, port0: "security-groups: [web, admin]")))
        #expect(config.securityGroups.count == 2)
        let web = config.securityGroups[0]
        #expect(web.egress == nil, "no egress key: allow all egress")
        #expect(config.securityGroups[1].egress == [], "an empty egress list: none")
        #expect(web.ingress[0] == SecurityGroupRule(proto: 6, ports: 22...22, remoteGroup: "admin"))
        #expect(web.ingress[1].ports == 8000...8080 && web.ingress[1].remoteCIDR == "10.0.0.0/8")
        #expect(web.ingress[2] == SecurityGroupRule(ethertype: .ipv6, proto: 58, icmpType: 128))
        #expect(web.ingress[3].proto == 132)
        #expect(config.conntrack.maxConnections == 4096 && config.conntrack.maxPerPort == 100)
        #expect(config.conntrack.timeouts.established == 3600 && config.conntrack.timeouts.udp == 20)
        #expect(config.conntrack.timeouts.synSent == 120, "unset timeouts keep netfilter's defaults")
        #expect(config.ports[0].securityGroups == ["web", "admin"] && config.ports[1].securityGroups == nil)
        RenderingTests.expectRoundTrip(config, "security groups")
    }

    static let bad: [RuleCase] = [
        RuleCase(
            "an unknown group on a port", yaml: doc(groups, port0: "security-groups: [web, nope]"),
            at: "ports[0].security-groups[1]", ["\"nope\"", "not the name of a security group"]),
        RuleCase(
            "a group listed twice", yaml: doc(groups, port0: "security-groups: [web, web]"),
            at: "ports[0].security-groups[1]", ["listed twice"]),
        RuleCase(
            "ports without tcp or udp",
            yaml: doc("security-groups:\n  - name: g\n    ingress: [{protocol: icmp, ports: 22}]\n"),
            at: "security-groups[0].ingress[0].ports", ["only applies with protocol: tcp or udp"]),
        RuleCase(
            "an out-of-range port",
            yaml: doc("security-groups:\n  - name: g\n    egress: [{protocol: udp, ports: \"0-70000\"}]\n"),
            at: "security-groups[0].egress[0].ports", ["out of range 1...65535"]),
        RuleCase(
            "a malformed CIDR", yaml: doc("security-groups:\n  - name: g\n    ingress: [{remote-cidr: 10.0.0.0/33}]\n"),
            at: "security-groups[0].ingress[0].remote-cidr", ["not a CIDR"]),
        RuleCase(
            "a host CIDR", yaml: doc("security-groups:\n  - name: g\n    ingress: [{remote-cidr: 10.0.0.1/8}]\n"),
            at: "security-groups[0].ingress[0].remote-cidr", ["bits set after the prefix length"]),
        RuleCase(
            "a CIDR of the other family",
            yaml: doc("security-groups:\n  - name: g\n    ingress: [{remote-cidr: \"fd00::/8\"}]\n"),
            at: "security-groups[0].ingress[0].remote-cidr", ["IPv6 prefix", "ethertype is ipv4"]),
        RuleCase(
            "both remotes",
            yaml: doc("security-groups:\n  - name: g\n    ingress: [{remote-cidr: 10.0.0.0/8, remote-group: g}]\n"),
            at: "security-groups[0].ingress[0].remote-cidr", ["cannot be given with remote-group"]),
        RuleCase(
            "an unknown remote group", yaml: doc("security-groups:\n  - name: g\n    ingress: [{remote-group: h}]\n"),
            at: "security-groups[0].ingress[0].remote-group", ["\"h\"", "not the name of a security group"]),
        RuleCase(
            "icmp with ipv6",
            yaml: doc("security-groups:\n  - name: g\n    ingress: [{ethertype: ipv6, protocol: icmp}]\n"),
            at: "security-groups[0].ingress[0].protocol", ["icmpv6"]),
        RuleCase(
            "a code without a type",
            yaml: doc("security-groups:\n  - name: g\n    ingress: [{protocol: icmp, icmp-code: 1}]\n"),
            at: "security-groups[0].ingress[0].icmp-code", ["needs icmp-type"]),
        RuleCase(
            "an unknown protocol name", yaml: doc("security-groups:\n  - name: g\n    ingress: [{protocol: sctp}]\n"),
            at: "security-groups[0].ingress[0].protocol", ["sctp"]),
        RuleCase(
            "a duplicate group name", yaml: doc("security-groups:\n  - name: g\n  - name: g\n"),
            at: "security-groups[1].name", ["already the name of security-groups[0]"]),
        RuleCase(
            "an unknown rule key", yaml: doc("security-groups:\n  - name: g\n    ingress: [{port: 22}]\n"),
            at: "security-groups[0].ingress[0].port", ["port"]),
        RuleCase(
            "a table size that is not a power of two", yaml: doc("conntrack:\n  max-connections: 5000\n"),
            at: "conntrack.max-connections", ["not a power of two"]),
        RuleCase(
            "a zero timeout", yaml: doc("conntrack:\n  timeouts: {udp: 0}\n"),
            at: "conntrack.timeouts.udp", ["out of range"]),
        RuleCase(
            "a zero per-port limit", yaml: doc("conntrack:\n  max-connections-per-port: 0\n"),
            at: "conntrack.max-connections-per-port", ["out of range"]),
    ]

    @Test(arguments: bad)
    func problemsNameTheirKeyPath(_ c: RuleCase) {
        expectSingleProblem(c.yaml, at: c.path, mentioning: c.fragments)
    }

    @Test func aPatchedPortCannotHaveGroups() {
        var yaml = Doc { doc in
            doc.ports[0].append("security-groups: [g]")
            doc.patches = ["- [p0, p1]"]
        }.yaml
        yaml += "security-groups:\n  - name: g\n"
        expectSingleProblem(yaml, at: "ports[0].security-groups", mentioning: ["patched port"])
    }

    @Test func rulesAndMembershipsChangeInPlaceButTheTableSizeNeedsARestart() throws {
        let old = try #require(parsed(Self.doc(Self.groups, port0: "security-groups: [web]")))
        var new = old
        new.securityGroups[0].ingress.removeFirst()
        new.ports[0].securityGroups = ["admin"]
        new.conntrack.timeouts.udp = 5
        let plan = ConfigPlan.between(old, new)
        #expect(plan.needsRestart.isEmpty)
        #expect(Set(plan.changes.map(\.action)) == [.updateSecurityGroups, .updateConntrack, .updatePort])
        var resized = old
        resized.conntrack.maxConnections = 8192
        #expect(ConfigPlan.between(old, resized).needsRestart.count == 1)
    }

    @Test func cidrsParseBothFamilies() throws {
        let v4 = try #require(CIDR("10.1.0.0/16"))
        #expect(!v4.isIPv6 && v4.isNetwork && v4.masks.1 == 0xffff_0000)
        let v6 = try #require(CIDR("2001:db8::/32"))
        #expect(v6.isIPv6 && v6.isNetwork && v6.masks.0 == 0xffff_ffff_0000_0000 && v6.masks.1 == 0)
        #expect(CIDR("10.0.0.1")?.prefixLength == 32)
        #expect(CIDR("10.0.0.0/x") == nil && CIDR("nonsense") == nil)
    }
}
