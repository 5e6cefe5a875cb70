import Config
import Testing

@testable import Dataplane

/// A rule's hit counter is found by the rule's identity (group, direction, content): the system test saw the
/// counts of a group's other rules restart from zero when one rule was removed before them.
@Suite struct SecurityGroupsHitCounterTests {
    static func config(_ ingress: [SecurityGroupRule]) -> SluiceConfig {
        var config = SluiceConfig(ports: [])
        config.securityGroups = [SecurityGroupConfig(name: "web", ingress: ingress)]
        return config
    }

    static func identity(_ config: SluiceConfig, _ index: Int) -> String {
        SecurityGroupCompiler.identity(.init(group: "web", egress: false, index: index), config)
    }

    static let ssh = SecurityGroupRule(proto: 6, ports: 22...22)
    static let https = SecurityGroupRule(proto: 6, ports: 443...443)

    @Test func removingAnotherRuleKeepsTheCounterAndChangingTheRuleRestartsIt() {
        let before = Self.config([Self.ssh, Self.https])
        let removed = Self.config([Self.https])
        #expect(Self.identity(before, 1) == Self.identity(removed, 0), "https keeps its counter")
        let changed = Self.config([SecurityGroupRule(proto: 6, ports: 443...444)])
        #expect(Self.identity(before, 1) != Self.identity(changed, 0), "a changed rule counts from zero")
        // A rule listed twice: two counters.
        let twice = Self.config([Self.https, Self.https])
        #expect(Self.identity(twice, 0) != Self.identity(twice, 1))
        #expect(Self.identity(twice, 0) == Self.identity(removed, 0))
    }
}
