import Control
import ControlProtocol
import Foundation
import Testing

/// `sluicectl dhcp` against a fake `dhcp.show`: the VLAN and port tables for people, --json, and --port.
@Suite("sluicectl dhcp")
struct DHCPCommandTests {
    static let status = DHCPStatus(
        networks: [
            DHCPNetworkStatus(
                vlan: 100, subnet: "10.0.100.0/24", server: "10.0.100.2", serverMAC: "02:00:00:00:01:00",
                pool: "10.0.100.100-10.0.100.109", poolSize: 10, poolAllocated: 1, poolQuarantined: 2, ports: 2),
            DHCPNetworkStatus(
                vlan: 200, subnet: "10.0.100.0/24", server: "10.0.100.3", serverMAC: "02:00:00:00:02:00",
                pool: nil, poolSize: 0, poolAllocated: 0, poolQuarantined: 0, ports: 1),
        ],
        ports: [
            DHCPPortStatus(
                port: "host-a", vlan: 100, mode: "static", address: "10.0.100.5", state: "bound",
                clientMAC: "02:00:00:dd:00:01", clientID: nil, hostname: "dh-guest-a", lastLeaseAgeSeconds: 12.3,
                leaseSeconds: 600),
            DHCPPortStatus(
                port: "host-b", vlan: 100, mode: "auto", address: nil, state: "new", clientMAC: nil, clientID: nil,
                hostname: nil, lastLeaseAgeSeconds: nil, leaseSeconds: nil),
            DHCPPortStatus(
                port: "host-c", vlan: 200, mode: "static", address: "10.0.100.5", state: "released",
                clientMAC: "02:00:00:dd:00:03", clientID: "01:02:00:00:dd:00:03", hostname: nil,
                lastLeaseAgeSeconds: 40.8, leaseSeconds: 86400),
        ],
        counters: ["offer": 3, "ack": 2, "release": 1])

    static func server() throws -> TestServer {
        try TestServer(extra: { methods in methods.register(DHCPMethods.show) { Self.status } })
    }

    static func words(_ output: String) -> [[String]] {
        SluicectlTests.lines(output).map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }

    @Test("dhcp: per VLAN subnet, server, pool use; per port mode, address, state, client and last lease")
    func table() throws {
        let server = try Self.server()
        defer { server.stop() }
        let result = try SluicectlTests.ctl(server, ["dhcp"])
        #expect(result.status == 0, "\(result.stderr)")
        let words = Self.words(result.stdout)
        #expect(
            words.contains(["vlan", "subnet", "server", "server-mac", "pool", "pool-used", "quarantined", "ports"]),
            "\(words)")
        #expect(
            words.contains([
                "100", "10.0.100.0/24", "10.0.100.2", "02:00:00:00:01:00", "10.0.100.100-10.0.100.109", "1/10", "2",
                "2",
            ]), "\(words)")
        #expect(
            words.contains(["200", "10.0.100.0/24", "10.0.100.3", "02:00:00:00:02:00", "-", "-", "0", "1"]),
            "\(words)")
        #expect(
            words.contains([
                "port", "vlan", "mode", "address", "state", "client-mac", "client-id", "hostname", "last-lease",
            ]), "\(words)")
        #expect(
            words.contains([
                "host-a", "100", "static", "10.0.100.5", "bound", "02:00:00:dd:00:01", "-", "dh-guest-a", "12", "s",
                "ago", "(600", "s)",
            ]), "\(words)")
        #expect(
            words.contains(["host-b", "100", "auto", "(pool", "full)", "new", "-", "-", "-", "-"]), "\(words)")
        #expect(
            words.contains([
                "host-c", "200", "static", "10.0.100.5", "released", "02:00:00:dd:00:03", "01:02:00:00:dd:00:03",
                "-", "41", "s", "ago", "(86400", "s)",
            ]), "\(words)")
    }

    @Test("dhcp --json prints dhcp.show's result, counters included")
    func json() throws {
        let server = try Self.server()
        defer { server.stop() }
        let result = try SluicectlTests.ctl(server, ["dhcp", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try JSONDecoder().decode(DHCPStatus.self, from: Data(result.stdout.utf8)) == Self.status)
    }

    @Test("dhcp --port keeps that port and its VLAN, in the table and in --json")
    func onePort() throws {
        let server = try Self.server()
        defer { server.stop() }
        let words = Self.words(try SluicectlTests.ctl(server, ["dhcp", "--port", "host-c"]).stdout)
        #expect(words.contains { $0.first == "host-c" }, "\(words)")
        #expect(!words.contains { $0.first == "host-a" || $0.first == "host-b" }, "\(words)")
        #expect(words.contains { $0.first == "200" }, "\(words)")
        #expect(!words.contains { $0.first == "100" }, "\(words)")

        let result = try SluicectlTests.ctl(server, ["dhcp", "--port", "host-c", "--json"])
        let json = try JSONDecoder().decode(DHCPStatus.self, from: Data(result.stdout.utf8))
        #expect(json.ports == [Self.status.ports[2]])
        #expect(json.networks == [Self.status.networks[1]])
        #expect(json.counters == Self.status.counters)
    }
}
