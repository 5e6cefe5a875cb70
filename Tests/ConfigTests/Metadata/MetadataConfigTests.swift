import Foundation
import Packet
import Testing

@testable import Config

/// The `metadata` section and a port's `metadata:` sub-mapping: decoding, every validation rule at its key
/// path, the served ports, the pool addresses (deterministic, kept, persisted through the document), plans.
@Suite struct MetadataConfigTests {
    /// Service port `svc`; `a` and `b` on access VLAN 100, `c` on 200, `t` a trunk; a section of `section`
    /// lines (the required keys unless replaced).
    static func yaml(
        section: [String] = [], a: [String] = [], b: [String] = [], c: [String] = [], t: [String] = []
    ) -> String {
        let doc = Doc {
            $0.ports = [
                ["name: svc", "devargs: net_null0"],
                ["name: a", "devargs: net_null1", "vlan: {mode: access, id: 100}"] + a,
                ["name: b", "devargs: net_null2", "vlan: {mode: access, id: 100}"] + b,
                ["name: c", "devargs: net_null3", "vlan: {mode: access, id: 200}"] + c,
                ["name: t", "devargs: net_null4", "vlan: {mode: trunk, allowed: [100, 200]}"] + t,
            ]
        }
        let base = [
            "service-address: 169.254.100.1", "service-port: svc", "service-mac: \"02:00:00:00:a9:01\"",
            "pool: 169.254.100.0/24",
        ]
        var lines = base.filter { line in !section.contains { $0.hasPrefix(line.prefix { $0 != ":" } + ":") } }
        lines += section
        return doc.yaml + "metadata:\n" + lines.map { "  " + $0 + "\n" }.joined()
    }

    static func paths(_ yaml: String) -> [String] { problems(yaml).map(\.path) }

    @Test func defaultsAndTheServedPorts() throws {
        let config = try #require(parsed(Self.yaml(section: ["vlans: [100]"], b: ["metadata: {enabled: false}"])))
        let metadata = try #require(config.metadata)
        #expect(metadata.address == IPv4Address(169, 254, 169, 254) && metadata.tcpPort == 80)
        #expect(metadata.serviceTCPPort == 80 && metadata.hopLimit == 1)
        #expect(metadata.natIdleSeconds == 300 && metadata.natLingerSeconds == 2)
        #expect(metadata.rateLimit == MetadataRateLimit(requestsPerSecond: 10, burst: 20))
        #expect(metadata.mac == MetadataConfig.defaultMAC)
        // a by its VLAN; b turned off; c on another VLAN; the trunk and the service port never.
        #expect(config.metadataServedPorts.map(\.name) == ["a"])
        #expect(
            config.metadataClients == [
                MetadataClientConfig(
                    port: "a", address: IPv4Address(169, 254, 100, 2), instanceID: "a",
                    rateLimit: MetadataRateLimit(requestsPerSecond: 10, burst: 20))
            ])
        RenderingTests.expectRoundTrip(config, "metadata defaults")
    }

    @Test func aPortOptsInWithItsOwnSettings() throws {
        let config = try #require(
            parsed(
                Self.yaml(
                    c: ["metadata: {instance-id: i-0abc, rate-limit: {requests-per-second: 3, burst: 4}}"])))
        #expect(
            config.ports[3].metadata
                == MetadataPortConfig(
                    enabled: true, instanceID: "i-0abc", rateLimit: MetadataRateLimit(requestsPerSecond: 3, burst: 4)))
        #expect(
            config.metadataClients == [
                MetadataClientConfig(
                    port: "c", address: IPv4Address(169, 254, 100, 2), instanceID: "i-0abc",
                    rateLimit: MetadataRateLimit(requestsPerSecond: 3, burst: 4))
            ])
        RenderingTests.expectRoundTrip(config, "port metadata")
    }

    /// Lowest free address in port order, skipping the service's; pinned and previous addresses are kept, so
    /// a port added before another does not move it.
    @Test func poolAddressesAreStable() throws {
        let first = try #require(parsed(Self.yaml(section: ["vlans: [100]"], b: ["metadata: {instance-id: i-b}"])))
        #expect(
            first.metadataAddresses().map { "\($0.port)=\($0.address)" } == [
                "a=169.254.100.2", "b=169.254.100.3",
            ])
        let applied = first.withMetadataAddresses(previous: nil)
        #expect(applied.metadata?.addresses.count == 2)
        // Applied again (what config.get shows, then config.apply): nothing changes.
        #expect(applied.withMetadataAddresses(previous: applied) == applied)
        // a stops being served, then c is added: c does not take b's address, and a's comes back free.
        var next = try #require(
            parsed(Self.yaml(section: ["vlans: [100]"], a: ["metadata: {enabled: false}"], c: ["metadata: {}"])))
        next = next.withMetadataAddresses(previous: applied)
        #expect(next.metadata?.addresses.map { "\($0.port)=\($0.address)" } == ["b=169.254.100.3", "c=169.254.100.2"])
        // Persisted: the rendered document brings the same addresses back after a restart.
        let restored = try SluiceConfig.parse(yaml: next.renderYAML())
        #expect(restored.metadataAddresses() == next.metadata?.addresses)
        // A pinned address is kept even against a previous one.
        let pinned = try #require(
            parsed(Self.yaml(section: ["vlans: [100]", "addresses: [{port: b, address: 169.254.100.200}]"])))
        #expect(
            pinned.withMetadataAddresses(previous: applied).metadata?.addresses.map { "\($0.port)=\($0.address)" }
                == ["a=169.254.100.2", "b=169.254.100.200"])
    }

    @Test func problemsAtTheirKeyPaths() {
        expectSingleProblem(
            Self.yaml(section: ["service-port: nothere"]), at: "metadata.service-port", mentioning: ["nothere"])
        expectSingleProblem(
            Self.yaml(section: ["service-port: a"], a: ["metadata: {enabled: true}"]), at: "metadata.service-port",
            mentioning: ["served"])
        expectSingleProblem(
            Self.yaml(section: ["pool: 169.254.100.0/30", "vlans: [100, 200]"]), at: "metadata.pool",
            mentioning: ["too small", "3 served ports", "1 usable"])
        expectSingleProblem(
            Self.yaml(section: ["pool: 169.254.169.0/24"]), at: "metadata.pool", mentioning: ["169.254.169.254"])
        expectSingleProblem(
            Self.yaml(section: ["pool: 169.254.100.1/24"]), at: "metadata.pool", mentioning: ["host bits"])
        expectSingleProblem(Self.yaml(section: ["pool: 169.254.0.0/8"]), at: "metadata.pool", mentioning: ["16...30"])
        expectSingleProblem(
            Self.yaml(section: [
                "addresses: [{port: a, address: 169.254.100.5}, {port: b, address: 169.254.100.5}]"
            ]), at: "metadata.addresses[1].address", mentioning: ["also the address of \"a\""])
        expectSingleProblem(
            Self.yaml(section: ["addresses: [{port: a, address: 169.254.100.1}]"]),
            at: "metadata.addresses[0].address", mentioning: ["service"])
        expectSingleProblem(
            Self.yaml(section: ["addresses: [{port: a, address: 10.0.0.1}]"]), at: "metadata.addresses[0].address",
            mentioning: ["not in the pool"])
        expectSingleProblem(
            Self.yaml(section: ["service-address: 169.254.169.254"]), at: "metadata.service-address",
            mentioning: ["intercepted"])
        expectSingleProblem(Self.yaml(section: ["hop-limit: 0"]), at: "metadata.hop-limit", mentioning: ["1...255"])
        expectSingleProblem(
            Self.yaml(section: ["rate-limit: {requests-per-second: 0, burst: 1}"]),
            at: "metadata.rate-limit.requests-per-second", mentioning: ["out of range"])
        expectSingleProblem(
            Self.yaml(section: ["service-mac: \"01:00:5e:00:00:01\""]), at: "metadata.service-mac",
            mentioning: ["unicast"])
        expectSingleProblem(Self.yaml(section: ["vlans: [5000]"]), at: "metadata.vlans[0]", mentioning: ["5000"])
        expectSingleProblem(Self.yaml(t: ["metadata: {}"]), at: "ports[4].metadata", mentioning: ["trunk"])
        expectSingleProblem(
            Self.yaml(a: ["metadata: {instance-id: \"../x\"}"]), at: "ports[1].metadata.instance-id",
            mentioning: ["instance directory"])
        expectSingleProblem(
            Self.yaml(a: ["metadata: {enabled: yes}"]), at: "ports[1].metadata.enabled", mentioning: ["true, false"])
        expectSingleProblem(
            Self.yaml(a: ["metadata: {colour: red}"]), at: "ports[1].metadata.colour", mentioning: ["instance-id"])
        // The sub-mapping without the section.
        let noSection = Doc {
            $0.ports = [["name: p0", "devargs: net_null0", "metadata: {}"], ["name: p1", "devargs: net_null1"]]
        }.yaml
        expectSingleProblem(noSection, at: "ports[0].metadata", mentioning: ["metadata section"])
        #expect(Self.paths(Self.yaml(section: ["service-port: svc", "bogus: 1"])) == ["metadata.bogus"])
    }

    @Test func changesAreInPlace() {
        let old = RichConfigs.dpdkFile
        var new = old
        new.metadata?.hopLimit = 3
        let plan = ConfigPlan.between(old, new)
        #expect(plan.changes.map(\.action) == [.updateMetadata])
        #expect(plan.needsRestart.isEmpty)
        var port = old
        port.ports[1].metadata?.instanceID = "i-other"
        #expect(ConfigPlan.between(old, port).changes.map(\.action) == [.updatePort])
    }
}
