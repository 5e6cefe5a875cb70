import Packet
import Testing

@testable import Config

/// The L2 value types on their own, and the L2 rules applied to configs built in code.
@Suite struct L2ModelTests {
    @Test func vlanSetIsASet() {
        let set = VLANSet([300, 5, 5, 4094, 1, 2, 3, 7])
        #expect(set.ids == [1, 2, 3, 5, 7, 300, 4094])
        #expect(set.description == "1-3,5,7,300,4094")
        #expect(set == VLANSet([1, 2, 3, 5, 7, 300, 4094]))
        #expect(set != VLANSet([1, 2, 3, 5, 7, 300]))
        #expect(set.contains(1) && set.contains(4094) && set.contains(300))
        #expect(!set.contains(0) && !set.contains(4) && !set.contains(4095) && !set.contains(UInt16.max))
        #expect(!set.isEmpty)
    }

    @Test func emptyVLANSet() {
        let empty = VLANSet([])
        #expect(empty.isEmpty)
        #expect(empty.ids == [])
        #expect(empty.description == "")
        #expect(empty == [])
    }

    /// IDs no tag can carry are kept, so that validation can report them.
    @Test func vlanSetKeepsIDsBeyondTheTagRange() {
        let set = VLANSet([65535, 4096, 4095, 0, 4096])
        #expect(set.ids == [0, 4095, 4096, 65535])
        #expect(set.contains(4096) && set.contains(65535) && !set.contains(4097))
        #expect(set.description == "0,4095-4096,65535")
    }

    @Test func vlanModes() {
        let access = VLANMode.access(vlan: 7)
        #expect(access.carriedVLANs == [7])
        #expect(access.isUntagged(7) && !access.isUntagged(1))
        let trunk = VLANMode.trunk(allowed: [10, 11], native: 1)
        #expect(trunk.carriedVLANs.ids == [1, 10, 11])
        #expect(trunk.isUntagged(1) && !trunk.isUntagged(10))
        let tagOnly = VLANMode.trunk(allowed: [10], native: nil)
        #expect(tagOnly.carriedVLANs == [10])
        #expect(!tagOnly.isUntagged(10) && !tagOnly.isUntagged(1) && !tagOnly.isUntagged(0))
        #expect(VLANMode.defaultVLAN == 1)
        #expect(PortConfig(name: "a", devargs: "net_null0").vlanMode == .access(vlan: 1))
    }

    @Test func effectiveMaxMACs() {
        let l2 = L2Config(maxMACsPerPort: 100)
        #expect(PortConfig(name: "a", devargs: "net_null0").effectiveMaxMACs(l2) == 100)
        #expect(PortConfig(name: "a", devargs: "net_null0", maxMACs: 3).effectiveMaxMACs(l2) == 3)
    }

    @Test func resolvedStaticMACs() {
        let a = EthernetAddress(rawValue: 0x0200_0000_0001)
        let b = EthernetAddress(rawValue: 0x0200_0000_0002)
        let defaultPort = PortConfig(name: "a", devargs: "net_null0", staticMACs: [StaticMACConfig(mac: a)])
        #expect(defaultPort.resolvedStaticMACs.map(\.vlan) == [1])
        let trunk = PortConfig(
            name: "a", devargs: "net_null0", vlan: .trunk(allowed: [10], native: 5),
            staticMACs: [StaticMACConfig(mac: a, vlan: 10), StaticMACConfig(mac: b)])
        #expect(trunk.resolvedStaticMACs.map(\.vlan) == [10, 5])
        #expect(trunk.resolvedStaticMACs.map(\.mac) == [a, b])
        // Unvalidated: a trunk without a native VLAN cannot place an entry that has no VLAN.
        var noNative = trunk
        noNative.vlan = .trunk(allowed: [10], native: nil)
        #expect(noNative.resolvedStaticMACs.map(\.mac) == [a])
    }

    // MARK: Configs built in code

    static let station = EthernetAddress(rawValue: 0x5254_00aa_bbcc)

    @Test func validBridgeConfigInCode() throws {
        let config = SluiceConfig(
            l2: L2Config(macAgingSeconds: 0),
            ports: [
                PortConfig(
                    name: "uplink", devargs: "net_null0", vlan: .trunk(allowed: VLANSet(100...110), native: 1),
                    staticMACs: [StaticMACConfig(mac: Self.station, vlan: 1)]),
                PortConfig(
                    name: "vm1", devargs: "net_null1", vlan: .access(vlan: 100), maxMACs: 1,
                    portSecurity: PortSecurityConfig(
                        mac: Self.station, ipv4: [IPv4Address(10, 0, 0, 5)],
                        ipv6: [IPv6Address(high: 0xfd00 << 48, low: 5)]),
                    staticMACs: [StaticMACConfig(mac: Self.station)]),
            ])
        try config.validate()
    }

    @Test func everyL2ProblemInCodeIsReported() {
        let multicast = EthernetAddress(rawValue: 0x0100_5e00_0001)
        let config = SluiceConfig(
            l2: L2Config(macAgingSeconds: 5, maxMACsPerPort: 0, macTableSize: 1000),
            ports: [
                PortConfig(
                    name: "a", devargs: "net_null0", vlan: .trunk(allowed: [0, 10, 4095, 5000], native: 4095),
                    staticMACs: [StaticMACConfig(mac: Self.station, vlan: 10)]),
                PortConfig(
                    name: "b", devargs: "net_null1", vlan: .access(vlan: 0), maxMACs: 0,
                    portSecurity: PortSecurityConfig(
                        mac: .zero,
                        ipv4: [IPv4Address(10, 0, 0, 1), IPv4Address(10, 0, 0, 1), IPv4Address(224, 0, 0, 5)],
                        ipv6: [IPv6Address("ff02::1") ?? IPv6Address(high: 0, low: 0)])),
                PortConfig(
                    name: "c", devargs: "net_null2", vlan: .trunk(allowed: [10, 20], native: nil),
                    staticMACs: [
                        StaticMACConfig(mac: Self.station, vlan: 10), StaticMACConfig(mac: Self.station),
                        StaticMACConfig(mac: multicast, vlan: 20), StaticMACConfig(mac: Self.station, vlan: 30),
                        StaticMACConfig(mac: Self.station, vlan: 10),
                    ]),
                PortConfig(name: "d", devargs: "net_null3", vlan: .trunk(allowed: [], native: 5)),
                PortConfig(
                    name: "e", devargs: "net_null4", maxMACs: 3, staticMACs: [StaticMACConfig(mac: Self.station)]),
                PortConfig(name: "f", devargs: "net_null5"),
            ],
            patches: [PatchPair("e", "f")])
        let error = #expect(throws: ConfigError.self) { try config.validate() }
        #expect(
            error?.paths == [
                "l2.mac-aging-seconds", "l2.max-macs-per-port", "l2.mac-table-size",
                "ports[0].vlan.allowed", "ports[0].vlan.allowed", "ports[0].vlan.allowed", "ports[0].vlan.native",
                "ports[1].vlan.id", "ports[1].max-macs", "ports[1].port-security.mac",
                "ports[1].port-security.ips", "ports[1].port-security.ips", "ports[1].port-security.ips",
                "ports[2].static-macs[1].vlan", "ports[2].static-macs[2].mac", "ports[2].static-macs[3].vlan",
                "ports[2].static-macs[4]",
                "ports[3].vlan.allowed",
                "ports[4].max-macs", "ports[4].static-macs",
            ])
        let messages = error?.problems.map(\.description) ?? []
        #expect(messages.contains { $0.hasPrefix("ports[0].vlan.allowed: includes 0, which is reserved") })
        #expect(messages.contains { $0.hasPrefix("ports[0].vlan.allowed: includes 4095, which is reserved") })
        #expect(messages.contains("ports[0].vlan.allowed: includes 5000, which is out of range 1...4094"))
        #expect(messages.contains("ports[1].port-security.ips: lists 10.0.0.1 more than once; list each address once"))
        #expect(messages.contains { $0.hasPrefix("ports[1].port-security.ips: 224.0.0.5 is a multicast address") })
        #expect(messages.contains { $0.hasPrefix("ports[1].port-security.ips: ff02::1 is a multicast address") })
        #expect(
            messages.contains(
                "ports[2].static-macs[4]: 52:54:00:aa:bb:cc on VLAN 10 is already a static MAC at ports[2].static-macs[0]; a MAC can have only one static entry per VLAN"
            ))
    }

    @Test func mutatedParsedConfigIsRevalidated() throws {
        var config = try #require(parsed(Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [10]}") }.yaml))
        config.ports[1].staticMACs = [StaticMACConfig(mac: Self.station, vlan: 11)]
        config.l2.macTableSize = 1 << 25
        let error = #expect(throws: ConfigError.self) { try config.validate() }
        #expect(error?.paths == ["l2.mac-table-size", "ports[1].static-macs[0].vlan"])
    }
}
