import Foundation
import Packet
import Testing

@testable import Config

/// The `dhcp` list and a port's `dhcp:` sub-mapping: decoding, every validation rule at its key path,
/// rendering, plans.
@Suite struct DHCPConfigTests {
    /// Ports p0 and p1 on access VLAN 100 (p2 on 200) and a responder for VLAN 100 of `network` lines.
    static func yaml(
        network: [String] = [], p0: [String] = ["dhcp: {address: 10.0.100.5}"], p1: [String] = [],
        extra: String = ""
    ) -> String {
        let doc = Doc {
            $0.ports = [
                ["name: p0", "devargs: net_null0", "vlan: {mode: access, id: 100}"] + p0,
                ["name: p1", "devargs: net_null1", "vlan: {mode: access, id: 100}"] + p1,
                ["name: p2", "devargs: net_null2", "vlan: {mode: access, id: 200}"],
            ]
        }
        let base = [
            "vlan: 100", "subnet: 10.0.100.0/24", "server: 10.0.100.2", "server-mac: \"02:00:00:00:01:00\"",
        ]
        var lines = base.filter { line in !network.contains { $0.hasPrefix(line.prefix { $0 != ":" } + ":") } }
        lines += network
        return doc.yaml + "dhcp:\n" + lines.enumerated().map { ($0 == 0 ? "  - " : "    ") + $1 + "\n" }.joined()
            + extra
    }

    static func paths(_ yaml: String) -> [String] { problems(yaml).map(\.path) }

    @Test func aFullResponderIsRead() throws {
        let config = try #require(
            parsed(
                Self.yaml(
                    network: [
                        "router: 10.0.100.1", "dns: [10.0.100.1, 9.9.9.9]", "domain: tenant.example",
                        "lease-seconds: 3600", "mtu: 1450",
                        "routes: [{destination: 169.254.169.254/32, via: 10.0.100.1}]",
                        "pool: 10.0.100.100-10.0.100.101",
                    ], p1: ["dhcp: {address: auto}"])))
        let network = try #require(config.dhcp.first)
        #expect(
            network
                == DHCPNetworkConfig(
                    vlan: 100, subnet: IPv4Address(10, 0, 100, 0), prefixLength: 24, server: IPv4Address(10, 0, 100, 2),
                    serverMAC: EthernetAddress(rawValue: 0x0200_0000_0100), router: IPv4Address(10, 0, 100, 1),
                    dns: [IPv4Address(10, 0, 100, 1), IPv4Address(9, 9, 9, 9)], domain: "tenant.example",
                    leaseSeconds: 3600, mtu: 1450,
                    routes: [
                        DHCPRouteConfig(
                            destination: IPv4Address(169, 254, 169, 254), prefixLength: 32,
                            via: IPv4Address(10, 0, 100, 1))
                    ],
                    pool: DHCPPoolConfig(first: IPv4Address(10, 0, 100, 100), last: IPv4Address(10, 0, 100, 101))))
        #expect(config.ports[0].dhcp == DHCPPortConfig(address: .fixed(IPv4Address(10, 0, 100, 5))))
        #expect(config.ports[1].dhcp == DHCPPortConfig(address: .auto))
        #expect(config.ports[2].dhcp == nil)
        RenderingTests.expectRoundTrip(config, "full responder")
    }

    @Test func defaultsAndAbsence() throws {
        let config = try #require(parsed(Self.yaml()))
        #expect(config.dhcp.first?.leaseSeconds == 86400)
        #expect(config.dhcp.first?.mtu == nil && config.dhcp.first?.pool == nil)
        let none = try #require(parsed(Doc().yaml))
        #expect(none.dhcp.isEmpty)
        #expect(none.document["dhcp"] == nil)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let yaml: String
        let path: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "VLAN 0", yaml: yaml(network: ["vlan: 0"]), path: "dhcp[0].vlan"),
        Case(name: "subnet without length", yaml: yaml(network: ["subnet: 10.0.100.0"]), path: "dhcp[0].subnet"),
        Case(name: "subnet /31", yaml: yaml(network: ["subnet: 10.0.100.0/31"]), path: "dhcp[0].subnet"),
        Case(name: "subnet host bits", yaml: yaml(network: ["subnet: 10.0.100.7/24"]), path: "dhcp[0].subnet"),
        Case(name: "server outside", yaml: yaml(network: ["server: 10.0.101.2"]), path: "dhcp[0].server"),
        Case(name: "server broadcast", yaml: yaml(network: ["server: 10.0.100.255"]), path: "dhcp[0].server"),
        Case(name: "server not an address", yaml: yaml(network: ["server: ten"]), path: "dhcp[0].server"),
        Case(
            name: "multicast server MAC", yaml: yaml(network: ["server-mac: \"01:00:5e:00:00:01\""]),
            path: "dhcp[0].server-mac"),
        Case(name: "router outside", yaml: yaml(network: ["router: 10.0.99.1"]), path: "dhcp[0].router"),
        Case(name: "DNS twice", yaml: yaml(network: ["dns: [9.9.9.9, 9.9.9.9]"]), path: "dhcp[0].dns[1]"),
        Case(
            name: "nine DNS servers",
            yaml: yaml(network: ["dns: [" + (1...9).map { "9.9.9.\($0)" }.joined(separator: ", ") + "]"]),
            path: "dhcp[0].dns"),
        Case(name: "bad domain", yaml: yaml(network: ["domain: \"a..b\""]), path: "dhcp[0].domain"),
        Case(name: "short lease", yaml: yaml(network: ["lease-seconds: 59"]), path: "dhcp[0].lease-seconds"),
        Case(name: "tiny MTU", yaml: yaml(network: ["mtu: 100"]), path: "dhcp[0].mtu"),
        Case(
            name: "route with host bits",
            yaml: yaml(network: ["routes: [{destination: 10.1.0.1/16, via: 10.0.100.1}]"]),
            path: "dhcp[0].routes[0].destination"),
        Case(
            name: "route twice",
            yaml: yaml(network: [
                "routes: [{destination: 10.1.0.0/16, via: 10.0.100.1}, {destination: 10.1.0.0/16, via: 10.0.100.3}]"
            ]), path: "dhcp[0].routes[1].destination"),
        Case(
            name: "gateway off the subnet",
            yaml: yaml(network: ["routes: [{destination: 10.1.0.0/16, via: 10.9.0.1}]"]),
            path: "dhcp[0].routes[0].via"),
        Case(
            name: "routes too long",
            yaml: yaml(network: [
                "routes: [" + (0..<29).map { "{destination: 10.\($0).0.0/32, via: 10.0.100.1}" }.joined(separator: ", ")
                    + "]"
            ]), path: "dhcp[0].routes"),
        Case(name: "pool not a range", yaml: yaml(network: ["pool: 10.0.100.100"]), path: "dhcp[0].pool"),
        Case(name: "pool reversed", yaml: yaml(network: ["pool: 10.0.100.9-10.0.100.8"]), path: "dhcp[0].pool"),
        Case(name: "pool outside", yaml: yaml(network: ["pool: 10.0.100.100-10.0.101.10"]), path: "dhcp[0].pool"),
        Case(name: "server in pool", yaml: yaml(network: ["pool: 10.0.100.2-10.0.100.9"]), path: "dhcp[0].pool"),
        Case(
            name: "router in pool", yaml: yaml(network: ["router: 10.0.100.3", "pool: 10.0.100.3-10.0.100.9"]),
            path: "dhcp[0].pool"),
        Case(name: "unknown key", yaml: yaml(network: ["gateway: 10.0.100.1"]), path: "dhcp[0].gateway"),
        Case(
            name: "VLAN twice",
            yaml: yaml(
                extra: "  - {vlan: 100, subnet: 10.0.7.0/24, server: 10.0.7.2, server-mac: \"02:00:00:00:01:01\"}\n"),
            path: "dhcp[1].vlan"),
        Case(
            name: "port address not an address", yaml: yaml(p0: ["dhcp: {address: yes}"]), path: "ports[0].dhcp.address"
        ),
        Case(name: "port dhcp empty", yaml: yaml(p0: ["dhcp: {}"]), path: "ports[0].dhcp.address"),
        Case(
            name: "port address outside", yaml: yaml(p0: ["dhcp: {address: 10.0.7.5}"]), path: "ports[0].dhcp.address"),
        Case(
            name: "port address is the network", yaml: yaml(p0: ["dhcp: {address: 10.0.100.0}"]),
            path: "ports[0].dhcp.address"),
        Case(
            name: "port address is the server's", yaml: yaml(p0: ["dhcp: {address: 10.0.100.2}"]),
            path: "ports[0].dhcp.address"),
        Case(
            name: "port address is the router's",
            yaml: yaml(network: ["router: 10.0.100.1"], p0: ["dhcp: {address: 10.0.100.1}"]),
            path: "ports[0].dhcp.address"),
        Case(
            name: "two ports, one address", yaml: yaml(p1: ["dhcp: {address: 10.0.100.5}"]),
            path: "ports[1].dhcp.address"),
        Case(name: "auto without pool", yaml: yaml(p1: ["dhcp: {address: auto}"]), path: "ports[1].dhcp.address"),
        Case(
            name: "pool exhausted", yaml: yaml(network: ["pool: 10.0.100.5-10.0.100.5"], p1: ["dhcp: {address: auto}"]),
            path: "ports[1].dhcp.address"),
        Case(
            name: "port on a VLAN without responder",
            yaml: yaml().replacingOccurrences(of: "vlan: 100\n", with: "vlan: 300\n"), path: "ports[0].dhcp"),
        Case(
            name: "responder MTU above the port's", yaml: yaml(network: ["mtu: 9000"]), path: "ports[0].dhcp"),
    ]

    @Test(arguments: cases)
    func problemsNameTheirKeyPath(_ c: Case) {
        #expect(Self.paths(c.yaml) == [c.path], "\(problems(c.yaml))")
    }

    @Test func trunkAndPatchedPortsGetNoAddress() {
        let trunk = Self.yaml().replacingOccurrences(
            of: "- name: p0\n    devargs: net_null0\n    vlan: {mode: access, id: 100}",
            with: "- name: p0\n    devargs: net_null0\n    vlan: {mode: trunk, allowed: [100]}")
        #expect(Self.paths(trunk) == ["ports[0].dhcp"])
        let patched =
            Self.yaml(p0: ["dhcp: {address: 10.0.100.5}"], extra: "")
            .replacingOccurrences(of: "    vlan: {mode: access, id: 100}\n    dhcp", with: "    dhcp")
            + "patches:\n  - [p0, p2]\n"
        #expect(problems(patched).contains { $0.path == "ports[0].dhcp" }, "\(problems(patched))")
    }

    @Test func thePoolCountsStaticAddressesInIt() throws {
        // p0's static 10.0.100.5 is in the pool 5-6: one address left, for p1 (with 5-5 none: "pool exhausted").
        #expect(parsed(Self.yaml(network: ["pool: 10.0.100.5-10.0.100.6"], p1: ["dhcp: {address: auto}"])) != nil)
        // The same address in another VLAN is another port's business.
        let twoVLANs = Self.yaml(
            extra: "  - {vlan: 200, subnet: 10.0.100.0/24, server: 10.0.100.2, server-mac: \"02:00:00:00:02:00\"}\n"
        ).replacingOccurrences(
            of: "vlan: {mode: access, id: 200}", with: "vlan: {mode: access, id: 200}\n    dhcp: {address: 10.0.100.5}")
        #expect(parsed(twoVLANs) != nil, "\(problems(twoVLANs))")
    }

    @Test func changesAreInPlace() {
        let old = RichConfigs.dpdkFile
        var new = old
        new.dhcp[0].leaseSeconds = 60
        #expect(ConfigPlan.between(old, new).changes.map(\.action) == [.updateDHCP])
        var port = old
        port.ports[1].dhcp = DHCPPortConfig(address: .auto)
        let plan = ConfigPlan.between(old, port)
        #expect(plan.changes.map(\.action) == [.updatePort])
        #expect(plan.needsRestart.isEmpty)
    }
}
