import Packet
import Testing

@testable import Config

/// One port added to, changed in or removed from a validated configuration (PortEditing.swift) gives exactly
/// what parsing the whole edited document gives: the same configuration, or the same problems at the same
/// key paths.
@Suite struct PortEditingTests {
    /// Two ports in a patch, a third bridged (so that removing a patched port has a patch to drop).
    static let base = Doc {
        $0.ports.append(["name: p2", "devargs: net_null2", "vlan: {mode: access, id: 20}"])
        $0.patches = ["- [p0, p1]"]
    }

    /// A port entry and what parsing a document with it must say.
    struct EntryCase: Sendable, CustomTestStringConvertible {
        let label: String
        let entry: [String]
        var testDescription: String { label }

        init(_ label: String, _ entry: [String]) {
            self.label = label
            self.entry = entry
        }
    }

    static let entries: [EntryCase] = [
        EntryCase("valid", ["name: p3", "devargs: net_null3", "mtu: 1500", "vlan: {mode: access, id: 20}"]),
        EntryCase(
            "valid vhost-user", ["name: vm3", "type: vhost-user", "path: /run/sluice/vm3.sock", "mode: server"]),
        EntryCase("unknown key", ["name: p3", "devargs: net_null3", "mtuu: 9000"]),
        EntryCase("wrong type", ["name: p3", "devargs: net_null3", "mtu: big"]),
        EntryCase("missing devargs", ["name: p3", "mtu: 1500"]),
        EntryCase("out of range", ["name: p3", "devargs: net_null3", "rx-descriptors: 100", "mtu: 10"]),
        EntryCase("name taken", ["name: p0", "devargs: net_null3"]),
        EntryCase("device taken", ["name: p3", "devargs: net_null1"]),
        EntryCase("unknown type", ["name: p3", "type: vhost", "mtu: 99999"]),
        EntryCase("bad VLAN", ["name: p3", "devargs: net_null3", "vlan: {mode: trunk, id: 20}"]),
    ]

    /// What `make` returns or throws, comparable: the configuration, or the problems in a fixed order (a
    /// whole document lists them by line, an edited port in the order found).
    static func outcome(_ make: () throws(ConfigError) -> SluiceConfig) -> Result<SluiceConfig, ConfigError> {
        do {
            return .success(try make())
        } catch {
            return .failure(ConfigError(problems: error.problems.sorted { $0.description < $1.description }))
        }
    }

    @Test(arguments: entries) func addingAPortIsParsingTheDocumentWithIt(_ test: EntryCase) throws {
        let running = try #require(parsed(Self.base.yaml))
        var edited = Self.base
        edited.ports.append(test.entry)
        let expected = Self.outcome { () throws(ConfigError) in try SluiceConfig.parse(yaml: edited.yaml) }
        let entry = test.entry.joined(separator: "\n")
        #expect(Self.outcome { () throws(ConfigError) in try running.addingPort(entry) } == expected)
        if case .failure(let error) = expected {
            #expect(error.paths.allSatisfy { $0.hasPrefix("ports[3]") }, "\(error)")
        }
    }

    @Test(arguments: entries) func replacingAPortIsParsingTheDocumentWithIt(_ test: EntryCase) throws {
        let running = try #require(parsed(Self.base.yaml))
        var edited = Self.base
        edited.ports[2] = test.entry
        let expected = Self.outcome { () throws(ConfigError) in try SluiceConfig.parse(yaml: edited.yaml) }
        let entry = test.entry.joined(separator: "\n")
        #expect(Self.outcome { () throws(ConfigError) in try running.replacingPort(at: 2, with: entry) } == expected)
    }

    /// An entry in JSON (what the control socket sends) reads like the same entry in YAML.
    @Test func aJSONEntryReadsLikeYAML() throws {
        let running = try #require(parsed(Self.base.yaml))
        let json = #"{"name":"p3","devargs":"net_null3","mtu":1500,"vlan":{"mode":"access","id":20}}"#
        let yaml = Self.entries[0].entry.joined(separator: "\n")
        #expect(try running.addingPort(json) == running.addingPort(yaml))
        // A port's own rendering reads back to the port.
        let port = try running.addingPort(json).ports[3]
        #expect(try running.replacingPort(at: 2, with: port.renderJSON()).ports[2] == port)
    }

    @Test func textThatIsNoPortIsRefusedAtItsPath() throws {
        let running = try #require(parsed(Self.base.yaml))
        for entry in ["", "[p3, p4]", "name: [p3", "just a string"] {
            let outcome = Self.outcome { () throws(ConfigError) in try running.addingPort(entry) }
            guard case .failure(let error) = outcome else {
                Issue.record("\(entry) was accepted")
                continue
            }
            #expect(error.paths == ["ports[3]"], "\(entry): \(error)")
        }
    }

    @Test func removingAPortDropsItsPatch() throws {
        let running = try #require(parsed(Self.base.yaml))
        let expected = Doc { $0.ports = [Self.base.ports[0], Self.base.ports[2]] }
        #expect(try running.removingPort(named: "p1") == parsed(expected.yaml))
        // An unpatched port leaves the patch.
        let withoutP2 = Doc {
            $0.ports = Array(Self.base.ports.prefix(2))
            $0.patches = Self.base.patches
        }
        #expect(try running.removingPort(named: "p2") == parsed(withoutP2.yaml))
        // The last port cannot go: a configuration has at least one.
        let single = try #require(parsed(Doc { $0.ports = [["name: p0", "devargs: net_null0"]] }.yaml))
        let outcome = Self.outcome { () throws(ConfigError) in try single.removingPort(named: "p0") }
        guard case .failure(let error) = outcome else {
            Issue.record("the last port was removed")
            return
        }
        #expect(error.paths == ["ports"], "\(error)")
    }

    /// At the port limit, the next port is refused as in a document with one port too many.
    @Test func thePortLimitHolds() throws {
        let limit = PortLimit.maxPorts
        let full = try #require(parsed(Doc { $0.ports = EthdevLimitTests.vhostPorts(0..<limit) }.yaml))
        let extra = EthdevLimitTests.vhostPorts(limit..<(limit + 1))
        let tooMany = Doc { $0.ports = EthdevLimitTests.vhostPorts(0..<limit) + extra }
        let expected = Self.outcome { () throws(ConfigError) in try SluiceConfig.parse(yaml: tooMany.yaml) }
        let outcome = Self.outcome { () throws(ConfigError) in try full.addingPort(extra[0].joined(separator: "\n")) }
        #expect(outcome == expected)
        guard case .failure(let error) = outcome else {
            Issue.record("port \(limit + 1) was accepted")
            return
        }
        #expect(error.problems.map(\.description).contains("ports: has 1025 entries; at most 1024 ports are supported"))
    }
}
