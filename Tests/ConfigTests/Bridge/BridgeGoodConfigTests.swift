import Packet
import Testing

@testable import Config

/// Valid L2 configurations, and the model they produce.
@Suite struct L2GoodConfigTests {
    /// Every valid document of this suite; RenderingTests reads each back from its rendering.
    static var validDocuments: [String] {
        [
            defaultsDocument,
            keysWithoutValueDocument,
            l2SectionDocument,
            l2LowDocument,
            l2HighDocument,
            accessPortDocument,
            trunkDocument,
            trunkWithoutNativeDocument,
            mixedAddressesDocument,
            anyIPDocument,
            unquotedAddressesDocument,
            staticMACVLANsDocument,
            patchedAndBridgedDocument,
            roundTripDocument,
            jsonDocument,
        ]
    }

    static func mac(_ text: String) -> EthernetAddress {
        EthernetAddress(text) ?? .zero
    }

    static let defaultsDocument = Doc().yaml

    @Test func defaultsWithoutL2Keys() throws {
        let config = try #require(parsed(Self.defaultsDocument))
        #expect(config.l2 == L2Config(macAgingSeconds: 300, maxMACsPerPort: 4096, macTableSize: 262144))
        let port = config.ports[0]
        #expect(port.vlan == nil)
        #expect(port.vlanMode == .access(vlan: 1))
        #expect(port.maxMACs == nil)
        #expect(port.effectiveMaxMACs(config.l2) == 4096)
        #expect(port.portSecurity == nil)
        #expect(port.staticMACs == [])
        #expect(port.resolvedStaticMACs.isEmpty)
    }

    static let keysWithoutValueDocument =
        Doc {
            $0.ports[0] += ["vlan:", "max-macs:", "port-security:", "static-macs:"]
        }.yaml + "l2:\n"

    @Test func keysWithoutValueMeanAbsent() throws {
        let config = try #require(parsed(Self.keysWithoutValueDocument))
        #expect(config.l2 == L2Config())
        #expect(config.ports[0] == PortConfig(name: "p0", devargs: "net_null0"))
    }

    static let l2SectionDocument = Doc {
        $0.l2 = ["mac-aging-seconds: 0", "max-macs-per-port: 64", "mac-table-size: 0x10000"]
    }.yaml

    @Test func l2Section() throws {
        let config = try #require(parsed(Self.l2SectionDocument))
        #expect(config.l2 == L2Config(macAgingSeconds: 0, maxMACsPerPort: 64, macTableSize: 65536))
        #expect(config.ports[0].effectiveMaxMACs(config.l2) == 64)
    }

    static let l2LowDocument = Doc {
        $0.l2 = ["mac-aging-seconds: 10", "max-macs-per-port: 1", "mac-table-size: 1024"]
    }.yaml

    static let l2HighDocument = Doc {
        $0.l2 = ["mac-aging-seconds: 1000000", "max-macs-per-port: 1048576", "mac-table-size: 16777216"]
        $0.ports[0].append("max-macs: 1048576")
        $0.ports[1].append("max-macs: 1")
    }.yaml

    @Test func l2BoundaryValues() throws {
        let low = try #require(parsed(Self.l2LowDocument))
        #expect(low.l2 == L2Config(macAgingSeconds: 10, maxMACsPerPort: 1, macTableSize: 1024))
        let high = try #require(parsed(Self.l2HighDocument))
        #expect(high.l2 == L2Config(macAgingSeconds: 1_000_000, maxMACsPerPort: 1_048_576, macTableSize: 16_777_216))
        #expect(high.ports.map(\.maxMACs) == [1_048_576, 1])
    }

    static let accessPortDocument = Doc {
        $0.ports[1] += [
            "vlan:", "  mode: access", "  id: 100", "max-macs: 16",
            "static-macs:", "  - mac: \"52:54:00:aa:bb:cc\"", "  - {mac: \"52:54:00:aa:bb:cd\", vlan: 100}",
        ]
    }.yaml

    @Test func accessPort() throws {
        let config = try #require(parsed(Self.accessPortDocument))
        let port = config.ports[1]
        #expect(port.vlan == .access(vlan: 100))
        #expect(port.vlanMode.carriedVLANs == [100])
        #expect(port.vlanMode.isUntagged(100))
        #expect(!port.vlanMode.isUntagged(1))
        #expect(port.maxMACs == 16)
        #expect(port.effectiveMaxMACs(config.l2) == 16)
        #expect(
            port.staticMACs == [
                StaticMACConfig(mac: Self.mac("52:54:00:aa:bb:cc")),
                StaticMACConfig(mac: Self.mac("52:54:00:aa:bb:cd"), vlan: 100),
            ])
        #expect(port.resolvedStaticMACs.map(\.vlan) == [100, 100])
        #expect(port.resolvedStaticMACs.map(\.mac) == [Self.mac("52:54:00:aa:bb:cc"), Self.mac("52:54:00:aa:bb:cd")])
    }

    static let trunkDocument = Doc {
        $0.ports[0] += [
            "vlan:", "  mode: trunk", "  allowed: [100, \"200-203\", 4094, 1-2, \"300-300\"]",
            "  native: 50",
            "static-macs:", "  - {mac: \"52:54:00:aa:bb:cc\", vlan: 202}",
            "  - {mac: \"52:54:00:aa:bb:cc\", vlan: 50}",
        ]
    }.yaml

    @Test func trunkWithRangesAndNative() throws {
        let config = try #require(parsed(Self.trunkDocument))
        let mode = config.ports[0].vlanMode
        #expect(mode == .trunk(allowed: [1, 2, 100, 200, 201, 202, 203, 300, 4094], native: 50))
        guard case .trunk(let allowed, let native) = mode else { return }
        #expect(allowed.ids == [1, 2, 100, 200, 201, 202, 203, 300, 4094])
        #expect(allowed.description == "1-2,100,200-203,300,4094")
        #expect(native == 50)
        #expect(!allowed.contains(50))
        #expect(mode.carriedVLANs.contains(50))
        #expect(mode.carriedVLANs.ids == [1, 2, 50, 100, 200, 201, 202, 203, 300, 4094])
        #expect(mode.isUntagged(50))
        #expect(!mode.isUntagged(100))
        #expect(config.ports[0].resolvedStaticMACs.map(\.vlan) == [202, 50])
    }

    static let trunkWithoutNativeDocument = Doc {
        $0.ports[0].append("vlan: {mode: trunk, allowed: [\"1-4094\"]}")
        $0.ports[1].append("vlan: {mode: trunk, allowed: [10, 20], native: 10}")
    }.yaml

    @Test func trunkWithoutNativeAndNativeAlsoAllowed() throws {
        let config = try #require(parsed(Self.trunkWithoutNativeDocument))
        guard case .trunk(let everything, nil) = config.ports[0].vlanMode else {
            Issue.record("\(config.ports[0].vlanMode)")
            return
        }
        #expect(everything.ids.count == 4094)
        #expect(everything.description == "1-4094")
        #expect(!config.ports[0].vlanMode.isUntagged(1))
        #expect(config.ports[1].vlanMode == .trunk(allowed: [10, 20], native: 10))
    }

    static let mixedAddressesDocument = Doc {
        $0.ports[1] += [
            "port-security:", "  mac: \"52:54:00:12:34:56\"",
            "  ips: [\"10.0.0.5\", \"fd00::5\", 192.0.2.1, \"FE80::5054:FF:FE12:3456\"]",
        ]
    }.yaml

    @Test func portSecurityWithMixedAddresses() throws {
        let config = try #require(parsed(Self.mixedAddressesDocument))
        let security = try #require(config.ports[1].portSecurity)
        #expect(security.mac == Self.mac("52:54:00:12:34:56"))
        #expect(security.ipv4 == [IPv4Address(10, 0, 0, 5), IPv4Address(192, 0, 2, 1)])
        #expect(security.ipv6.map(\.description) == ["fd00::5", "fe80::5054:ff:fe12:3456"])
        #expect(!security.allowsAnyIP)
    }

    static let anyIPDocument = Doc { $0.ports[1].append("port-security: {mac: \"02:00:00:00:00:01\"}") }.yaml

    @Test func portSecurityWithoutIPsAcceptsAnyIP() throws {
        let config = try #require(parsed(Self.anyIPDocument))
        let security = try #require(config.ports[1].portSecurity)
        #expect(security == PortSecurityConfig(mac: EthernetAddress(rawValue: 0x0200_0000_0001)))
        #expect(security.allowsAnyIP)
    }

    static let unquotedAddressesDocument = Doc {
        $0.ports[1] += [
            "port-security: {mac: 52:54:00:12:34:56, ips: [1:2:3:4:5:6:7:8, 10.0.0.5]}",
            "static-macs: [{mac: 52:54:00:12:34:57}, {mac: 0a:00:00:00:00:01}]",
        ]
    }.yaml

    /// YAML 1.1 reads 52:54:00:12:34:56 (all groups decimal below 60) as a base-60 integer; the text is still
    /// the address, so quoting is not required. The same goes for IPv6 addresses.
    @Test func unquotedAddressesAreAccepted() throws {
        let config = try #require(parsed(Self.unquotedAddressesDocument))
        #expect(config.ports[1].portSecurity?.mac == Self.mac("52:54:00:12:34:56"))
        #expect(config.ports[1].portSecurity?.ipv6.map(\.description) == ["1:2:3:4:5:6:7:8"])
        #expect(
            config.ports[1].staticMACs.map(\.mac) == [Self.mac("52:54:00:12:34:57"), Self.mac("0a:00:00:00:00:01")])
    }

    static let staticMACVLANsDocument = Doc {
        $0.ports[0] += ["vlan: {mode: access, id: 10}", "static-macs: [{mac: \"52:54:00:aa:bb:cc\"}]"]
        $0.ports[1] += [
            "vlan: {mode: trunk, allowed: [10, 20]}",
            "static-macs: [{mac: \"52:54:00:aa:bb:cc\", vlan: 20}]",
        ]
    }.yaml

    @Test func sameStaticMACOnDifferentVLANs() throws {
        let config = try #require(parsed(Self.staticMACVLANsDocument))
        #expect(config.ports.flatMap { $0.resolvedStaticMACs.map(\.vlan) } == [10, 20])
    }

    static let patchedAndBridgedDocument = Doc {
        $0.ports.append(["name: vm1", "devargs: net_null2", "vlan: {mode: access, id: 7}", "max-macs: 2"])
        $0.patches = ["- [p0, p1]"]
    }.yaml

    /// Patched ports keep every bridge key at its default; the other ports are bridged around them.
    @Test func patchedAndBridgedPortsTogether() throws {
        let config = try #require(parsed(Self.patchedAndBridgedDocument))
        #expect(config.ports[2].vlan == .access(vlan: 7))
        #expect(config.patches == [PatchPair("p0", "p1")])
    }

    static let roundTripDocument = """
        eal:
          pmd-cpu-mask: "0x2"
        l2:
          mac-aging-seconds: 60
          max-macs-per-port: 1000
          mac-table-size: 4096
        ports:
          - name: uplink
            devargs: net_null0
            vlan:
              mode: trunk
              allowed: [100, "200-202"]
              native: 1
            static-macs:
              - {mac: "02:00:00:00:00:0a", vlan: 201}
          - name: vm1
            devargs: net_null1
            vlan: {mode: access, id: 100}
            max-macs: 4
            port-security:
              mac: "52:54:00:12:34:56"
              ips: ["10.0.0.5", "fd00::5"]
            static-macs:
              - mac: "52:54:00:12:34:56"
        """

    /// Every new field survives parsing into exactly the config built in code.
    @Test func roundTrip() throws {
        let config = try #require(parsed(Self.roundTripDocument))
        let expected = SluiceConfig(
            eal: EALConfig(pmdCPUMask: 0x2),
            l2: L2Config(macAgingSeconds: 60, maxMACsPerPort: 1000, macTableSize: 4096),
            ports: [
                PortConfig(
                    name: "uplink", devargs: "net_null0",
                    vlan: .trunk(allowed: VLANSet([100, 200, 201, 202]), native: 1),
                    staticMACs: [StaticMACConfig(mac: EthernetAddress(rawValue: 0x0200_0000_000a), vlan: 201)]),
                PortConfig(
                    name: "vm1", devargs: "net_null1", vlan: .access(vlan: 100), maxMACs: 4,
                    portSecurity: PortSecurityConfig(
                        mac: EthernetAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56), ipv4: [IPv4Address(10, 0, 0, 5)],
                        ipv6: [IPv6Address(high: 0xfd00_0000_0000_0000, low: 5)]),
                    staticMACs: [StaticMACConfig(mac: EthernetAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56))]),
            ])
        #expect(config == expected)
        try expected.validate()
        #expect(config.ports[1].resolvedStaticMACs.map(\.vlan) == [100])
    }

    static let jsonDocument = """
        {
          "eal": {"pmd-cpu-mask": "0x2"},
          "l2": {"mac-aging-seconds": 0, "mac-table-size": 2048},
          "ports": [
            {"name": "uplink", "devargs": "net_ring0",
             "vlan": {"mode": "trunk", "allowed": [10, "20-22"], "native": 5},
             "static-macs": [{"mac": "02:00:00:00:00:01", "vlan": 21}]},
            {"name": "vm1", "devargs": "net_ring1", "max-macs": 8,
             "vlan": {"mode": "access", "id": 10},
             "port-security": {"mac": "52:54:00:12:34:56", "ips": ["10.0.0.5", "fd00::5"]},
             "static-macs": [{"mac": "52:54:00:12:34:56"}]}
          ]
        }
        """

    @Test func jsonWithL2Sections() throws {
        let config = try #require(parsed(Self.jsonDocument))
        #expect(config.l2 == L2Config(macAgingSeconds: 0, macTableSize: 2048))
        #expect(config.ports[0].vlan == .trunk(allowed: [10, 20, 21, 22], native: 5))
        #expect(config.ports[0].resolvedStaticMACs.map(\.vlan) == [21])
        #expect(config.ports[1].vlan == .access(vlan: 10))
        #expect(config.ports[1].maxMACs == 8)
        #expect(config.ports[1].portSecurity?.ipv4 == [IPv4Address(10, 0, 0, 5)])
        #expect(config.ports[1].portSecurity?.ipv6 == [IPv6Address("fd00::5")].compactMap { $0 })
        #expect(config.ports[1].resolvedStaticMACs.map(\.vlan) == [10])
    }

    @Test func jsonProblemsInL2Sections() {
        let found = problems(
            #"""
            {"eal": {"pmd-cpu-mask": "0x2"}, "l2": {"mac-table-size": 1000},
             "ports": [{"name": "a", "devargs": "net_ring0", "vlan": {"mode": "trunk", "allowed": ["5-1"]},
                        "port-security": {"mac": "01:02:03:04:05:06"}}]}
            """#)
        #expect(found.map(\.path) == ["l2.mac-table-size", "ports[0].vlan.allowed[0]", "ports[0].port-security.mac"])
    }
}
