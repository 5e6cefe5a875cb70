import Control
import ControlProtocol
import Foundation
import Testing

/// `sluicectl vxlan` and `sluicectl neighbours` against fake `vxlan.show`/`vxlan.neighbours`: the tables for
/// people and --json.
@Suite("sluicectl vxlan")
struct VXLANCommandTests {
    static let status = VXLANStatus(
        configured: true, uplink: "uplink", address: "192.0.2.1/24", mac: "02:00:00:00:00:aa", underlayVLAN: 20,
        gateway: "192.0.2.254", mtu: 1500, ttl: 64,
        vnis: [
            VXLANVNIStatus(vni: 1000, vlan: 100, flood: ["192.0.2.2", "198.51.100.7"]),
            VXLANVNIStatus(vni: 2000, vlan: 200, flood: []),
        ],
        remotes: [
            VXLANRemoteStatus(
                address: "192.0.2.2", slot: 0, nextHop: "192.0.2.2", nextHopMAC: "02:00:00:00:00:02",
                state: "resolved", learnedMACs: 3, rxPackets: 10, rxDrops: 1, txPackets: 12, txDrops: 0),
            VXLANRemoteStatus(
                address: "198.51.100.7", slot: 1, nextHop: "192.0.2.254", nextHopMAC: nil, state: "unresolved",
                learnedMACs: 0, rxPackets: 0, rxDrops: 0, txPackets: 0, txDrops: 5),
        ], arpAnswered: 4, echoAnswered: 2, arpLearned: 3, arpRequestsSent: 7, puntIgnored: 1)

    static let neighbours = [
        UnderlayNeighbourStatus(address: "192.0.2.2", mac: "02:00:00:00:00:02", state: "reachable", ageSeconds: 12.4),
        UnderlayNeighbourStatus(address: "192.0.2.254", mac: nil, state: "incomplete", ageSeconds: nil),
    ]

    static func server(_ status: VXLANStatus = Self.status) throws -> TestServer {
        try TestServer(extra: { methods in
            methods.register(VXLANMethods.show) { status }
            methods.register(VXLANMethods.neighbours) { Self.neighbours }
        })
    }

    @Test("vxlan: the local VTEP, the VNIs with their flood lists, the remote VTEPs with next hop and counters")
    func show() throws {
        let server = try Self.server()
        defer { server.stop() }
        let result = try SluicectlTests.ctl(server, ["vxlan"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = SluicectlTests.lines(result.stdout)
        let words = lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(words[0] == ["uplink", "address", "mac", "underlay-vlan", "gateway", "mtu", "ttl"], "\(lines)")
        #expect(
            words[1] == ["uplink", "192.0.2.1/24", "02:00:00:00:00:aa", "20", "192.0.2.254", "1500", "64"],
            "\(lines)")
        #expect(words.contains(["1000", "100", "192.0.2.2", "198.51.100.7"]), "\(lines)")
        #expect(words.contains(["2000", "200", "-"]), "\(lines)")
        #expect(
            words.contains([
                "192.0.2.2", "0", "192.0.2.2", "02:00:00:00:00:02", "resolved", "3", "10", "1", "12", "0",
            ]), "\(lines)")
        #expect(
            words.contains(["198.51.100.7", "1", "192.0.2.254", "-", "unresolved", "0", "0", "0", "0", "5"]),
            "\(lines)")
        #expect(lines.last?.contains("arp-requests-sent 7") == true, "\(lines)")

        let json = try JSONDecoder().decode(
            VXLANStatus.self, from: Data(try SluicectlTests.ctl(server, ["vxlan", "--json"]).stdout.utf8))
        #expect(json == Self.status)
    }

    @Test("vxlan without a vxlan section says so")
    func notConfigured() throws {
        let server = try Self.server(VXLANStatus(configured: false))
        defer { server.stop() }
        let result = try SluicectlTests.ctl(server, ["vxlan"])
        #expect(result.status == 0)
        #expect(result.stdout == "vxlan: not configured\n")
    }

    @Test("neighbours: address, MAC, state and age; --json the entries")
    func neighbourTable() throws {
        let server = try Self.server()
        defer { server.stop() }
        let lines = SluicectlTests.lines(try SluicectlTests.ctl(server, ["neighbours"]).stdout)
        let words = lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(
            words == [
                ["address", "mac", "state", "age"], ["192.0.2.2", "02:00:00:00:00:02", "reachable", "12s"],
                ["192.0.2.254", "-", "incomplete", "-"],
            ], "\(lines)")
        let json = try JSONDecoder().decode(
            [UnderlayNeighbourStatus].self,
            from: Data(try SluicectlTests.ctl(server, ["neighbours", "--json"]).stdout.utf8))
        #expect(json == Self.neighbours)
    }
}
