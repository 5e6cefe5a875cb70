import Packet
import Testing

@testable import Config

/// `auto` addresses: deterministic, kept while the port exists, quarantined for a lease after they are given
/// up; and the codec's options from a VLAN's settings.
@Suite struct DHCPAllocationTests {
    typealias Allocation = DHCPAllocations.Allocation

    static func address(_ last: UInt8) -> IPv4Address { IPv4Address(10, 0, 100, last) }

    /// VLAN 100 (pool .10-.12, lease 600 s) and VLAN 200 (pool .10-.11 of the same subnet); ports `names`
    /// with `dhcp` each (nil: none), all on VLAN 100 unless `vlan200` names them.
    static func config(_ ports: [(String, DHCPPortConfig.Address?)], vlan200: Set<String> = []) -> SluiceConfig {
        var config = SluiceConfig(
            eal: EALConfig(pmdCPUMask: 0x2),
            ports: ports.enumerated().map { index, port in
                var config = PortConfig(
                    name: port.0, devargs: "net_null\(index)",
                    vlan: .access(vlan: vlan200.contains(port.0) ? 200 : 100))
                config.dhcp = port.1.map { DHCPPortConfig(address: $0) }
                return config
            })
        config.dhcp = [100, 200].map { vlan in
            DHCPNetworkConfig(
                vlan: vlan, subnet: address(0), prefixLength: 24, server: address(2),
                serverMAC: EthernetAddress(rawValue: 0x0200_0000_0100 + UInt64(vlan)), leaseSeconds: 600,
                pool: DHCPPoolConfig(first: address(10), last: address(vlan == 100 ? 12 : 11)))
        }
        return config
    }

    static func addresses(_ allocations: DHCPAllocations) -> [String: IPv4Address] {
        allocations.addresses.mapValues(\.address)
    }

    @Test func lowestFreeAddressesInPortOrder() throws {
        let config = Self.config([("a", .auto), ("s", .fixed(Self.address(10))), ("b", .auto), ("n", nil)])
        try config.validate()
        let first = config.dhcpAllocations(previous: DHCPAllocations(), now: 1000)
        #expect(Self.addresses(first) == ["a": Self.address(11), "b": Self.address(12)])
        #expect(first.quarantined.isEmpty)
        // Deterministic, and stable: the same input gives the same result, and so does feeding it back.
        #expect(config.dhcpAllocations(previous: DHCPAllocations(), now: 5) == first)
        #expect(config.dhcpAllocations(previous: first, now: 2000) == first)
    }

    @Test func anAddressStaysWithItsPortWhileItExists() {
        let before = Self.config([("a", .auto), ("b", .auto)])
        let first = before.dhcpAllocations(previous: DHCPAllocations(), now: 0)
        #expect(Self.addresses(first) == ["a": Self.address(10), "b": Self.address(11)])
        // A new port before them in the list does not move them: it gets what is free.
        let after = Self.config([("c", .auto), ("a", .auto), ("b", .auto)])
        let second = after.dhcpAllocations(previous: first, now: 10)
        #expect(Self.addresses(second) == ["a": Self.address(10), "b": Self.address(11), "c": Self.address(12)])
    }

    @Test func aRemovedPortsAddressWaitsOneLease() {
        let both = Self.config([("a", .auto), ("b", .auto)])
        let first = both.dhcpAllocations(previous: DHCPAllocations(), now: 0)
        // a goes at t = 100: .10 is out of the pool until 100 + 600.
        let withoutA = Self.config([("b", .auto)])
        let second = withoutA.dhcpAllocations(previous: first, now: 100)
        #expect(Self.addresses(second) == ["b": Self.address(11)])
        #expect(second.quarantined == [Allocation(vlan: 100, address: Self.address(10)): 700])
        // A new port during the quarantine gets .12, not .10; one after it may get .10 again.
        let newPort = Self.config([("b", .auto), ("c", .auto)])
        let third = newPort.dhcpAllocations(previous: second, now: 699)
        #expect(Self.addresses(third)["c"] == Self.address(12))
        let later = Self.config([("b", .auto), ("d", .auto)])
        let fourth = later.dhcpAllocations(previous: second, now: 700)
        #expect(Self.addresses(fourth)["d"] == Self.address(10))
        #expect(fourth.quarantined.isEmpty)
    }

    @Test func aFullPoolOfQuarantinesLeavesAPortWithoutAnAddressUntilTheyEnd() {
        let three = Self.config([("a", .auto), ("b", .auto), ("c", .auto)])
        let first = three.dhcpAllocations(previous: DHCPAllocations(), now: 0)
        let none = Self.config([("x", nil)])
        let emptied = none.dhcpAllocations(previous: first, now: 10)
        #expect(emptied.addresses.isEmpty && emptied.quarantined.count == 3)
        let newcomer = Self.config([("d", .auto)])
        #expect(newcomer.dhcpAllocations(previous: emptied, now: 609).addresses.isEmpty)
        #expect(Self.addresses(newcomer.dhcpAllocations(previous: emptied, now: 610)) == ["d": Self.address(10)])
    }

    @Test func movingToAnotherVLANOrToAStaticAddressGivesTheOldOneUp() {
        let first = Self.config([("a", .auto), ("b", .auto)]).dhcpAllocations(previous: DHCPAllocations(), now: 0)
        // a moves to VLAN 200 (same addresses, another network); b's .11 becomes someone's static address.
        let moved = Self.config([("a", .auto), ("b", .auto), ("s", .fixed(Self.address(11)))], vlan200: ["a"])
        let second = moved.dhcpAllocations(previous: first, now: 50)
        #expect(second.addresses["a"] == Allocation(vlan: 200, address: Self.address(10)))
        #expect(second.addresses["b"] == Allocation(vlan: 100, address: Self.address(12)))
        #expect(
            second.quarantined == [
                Allocation(vlan: 100, address: Self.address(10)): 650,
                Allocation(vlan: 100, address: Self.address(11)): 650,
            ])
    }

    @Test func serverOptionsCarryEverySetting() {
        let network = RichConfigs.dpdkFile.dhcp[0]
        #expect(
            network.serverOptions
                == DHCPServerOptions(
                    serverAddress: IPv4Address(10, 0, 100, 2), serverMAC: EthernetAddress(rawValue: 0x0200_0000_0100),
                    prefixLength: 24, router: IPv4Address(10, 0, 100, 1),
                    dnsServers: [IPv4Address(10, 0, 100, 1), IPv4Address(9, 9, 9, 9)], domain: "tenant.example",
                    leaseSeconds: 3600, mtu: 1450,
                    routes: [
                        DHCPRoute(
                            destination: IPv4Address(169, 254, 169, 254), prefixLength: 32,
                            gateway: IPv4Address(10, 0, 100, 1))
                    ]))
    }
}
