import Foundation
import Packet
import Testing

@testable import Config

/// The allocations file beside the state file: what is written reads back the same, a restart with it gives
/// every `auto` port the same address, and a malformed file is refused naming what is wrong.
@Suite struct DHCPAllocationFileTests {
    typealias Allocation = DHCPAllocations.Allocation

    @Test func roundTripsAndIsDeterministic() throws {
        let allocations = DHCPAllocations(
            addresses: [
                "b": Allocation(vlan: 100, address: IPv4Address(10, 0, 100, 11)),
                "a": Allocation(vlan: 200, address: IPv4Address(10, 0, 100, 10)),
            ],
            quarantined: [Allocation(vlan: 100, address: IPv4Address(10, 0, 100, 12)): 1_700_000_600])
        let text = DHCPAllocationFile.render(allocations)
        #expect(try DHCPAllocationFile.parse(text) == allocations)
        #expect(DHCPAllocationFile.render(try DHCPAllocationFile.parse(text)) == text)
        #expect(text.contains("\"address\" : \"10.0.100.11\""))
    }

    @Test func aRestartKeepsAutoAddressesAndQuarantines() throws {
        let config = DHCPAllocationTests.config([("a", .auto), ("b", .auto)])
        let first = config.dhcpAllocations(previous: DHCPAllocations(), now: 1000)
        // "a" is removed: its address is quarantined for the lease (600 s); "c" arrives after "b".
        let second = DHCPAllocationTests.config([("b", .auto), ("c", .auto)])
            .dhcpAllocations(previous: first, now: 1100)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dhcp-alloc-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = DHCPAllocationFile.path(forStateFile: directory.appendingPathComponent("state.yaml").path)
        try DHCPAllocationFile.write(second, to: path)
        let restored = try DHCPAllocationFile.read(path: path)
        #expect(restored == second)
        let again = DHCPAllocationTests.config([("b", .auto), ("c", .auto), ("d", .auto)])
            .dhcpAllocations(previous: restored, now: 1200)
        #expect(again.addresses["b"] == first.addresses["b"])
        #expect(again.addresses["c"] == second.addresses["c"])
        // a's address (10.0.100.10) is still quarantined: d gets none (the pool .10-.12 is full).
        #expect(again.addresses["d"] == nil)
        #expect(again.addresses.values.allSatisfy { $0.address != first.addresses["a"]?.address })
        let later = DHCPAllocationTests.config([("b", .auto), ("c", .auto), ("d", .auto)])
            .dhcpAllocations(previous: restored, now: 1100 + 601)
        #expect(later.addresses["d"] == first.addresses["a"])
        #expect(try DHCPAllocationFile.read(path: path + ".absent") == DHCPAllocations())
    }

    @Test func malformedFilesAreRefused() {
        #expect(throws: DHCPAllocationFile.Error.self) { try DHCPAllocationFile.parse("not json") }
        let bad = "{\"addresses\": [{\"port\": \"a\", \"vlan\": 1, \"address\": \"10.0.0\"}], \"quarantined\": []}"
        do {
            _ = try DHCPAllocationFile.parse(bad)
            Issue.record("accepted a malformed address")
        } catch {
            #expect(error.description == "addresses: a: '10.0.0' is not an IPv4 address")
        }
    }
}
