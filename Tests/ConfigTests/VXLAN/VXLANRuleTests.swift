import Packet
import Testing

@testable import Config

/// The `vxlan` section: decoding, validation with key paths, rendering, and plans.
@Suite struct VXLANRuleTests {
    /// A valid section; tests change one line at a time.
    static let validLines = [
        "uplink: p1",
        "address: 192.0.2.1/24",
        "vnis:",
        "  - {vni: 1000, vlan: 100, flood: [192.0.2.2, 192.0.2.3]}",
    ]

    /// The small valid `Doc` (ports p0 and p1) with a `vxlan` section of `lines`.
    static func yaml(_ lines: [String], doc: Doc = Doc()) -> String {
        doc.yaml + "vxlan:\n" + lines.map { "  " + $0 + "\n" }.joined()
    }

    /// `validLines` with `edit` applied.
    static func yaml(editing edit: (inout [String]) -> Void, doc: Doc = Doc()) -> String {
        var lines = validLines
        edit(&lines)
        return yaml(lines, doc: doc)
    }

    static func replacing(_ key: String, with line: String) -> (inout [String]) -> Void {
        { lines in
            if let index = lines.firstIndex(where: { $0.hasPrefix(key + ":") }) {
                lines[index] = line
            } else {
                lines.append(line)
            }
        }
    }

    /// Remote VTEP addresses 192.0.2.N for N in `hosts`, as a flow-style list's items.
    static func remotes(_ hosts: ClosedRange<Int>) -> String {
        hosts.map { "192.0.2.\($0)" }.joined(separator: ", ")
    }

    static func vnis(_ entries: String...) -> (inout [String]) -> Void {
        { lines in
            lines.removeLast()
            lines += entries.map { "  - " + $0 }
        }
    }

    @Test func aValidSectionIsRead() throws {
        let config = try #require(
            parsed(
                Self.yaml(
                    Self.validLines + [
                        "underlay-vlan: 20", "gateway: 192.0.2.254", "mtu: 1500", "ttl: 32",
                        "remote-macs:", "  - {mac: \"52:54:00:00:10:01\", vni: 1000, vtep: 198.51.100.7}",
                    ])))
        let vxlan = try #require(config.vxlan)
        #expect(vxlan.uplink == "p1")
        #expect(vxlan.address == IPv4Address(192, 0, 2, 1))
        #expect(vxlan.prefixLength == 24)
        #expect(vxlan.underlayVLAN == 20)
        #expect(vxlan.gateway == IPv4Address(192, 0, 2, 254))
        #expect(vxlan.ttl == 32)
        #expect(vxlan.guestMTU == 1450)
        #expect(
            vxlan.vnis == [
                VNIConfig(vni: 1000, vlan: 100, flood: [IPv4Address(192, 0, 2, 2), IPv4Address(192, 0, 2, 3)])
            ])
        #expect(
            vxlan.remoteMACs == [
                RemoteMACConfig(
                    mac: EthernetAddress(rawValue: 0x5254_0000_1001), vni: 1000, vtep: IPv4Address(198, 51, 100, 7))
            ])
        #expect(vxlan.isOnLink(IPv4Address(192, 0, 2, 200)))
        #expect(!vxlan.isOnLink(IPv4Address(192, 0, 3, 1)))
        RenderingTests.expectRoundTrip(config, "vxlan")
    }

    @Test func defaultsAndAbsence() throws {
        let config = try #require(parsed(Self.yaml(Self.validLines)))
        #expect(config.vxlan?.mtu == 1500)
        #expect(config.vxlan?.ttl == 64)
        #expect(config.vxlan?.gateway == nil)
        #expect(config.vxlan?.underlayVLAN == nil)
        #expect(parsed(Doc().yaml)?.vxlan == nil)
        #expect(parsed(Doc().yaml + "vxlan:\n")?.vxlan == nil)
    }

    static let cases: [RuleCase] = [
        RuleCase(
            "an unknown key", yaml: yaml(editing: replacing("vtep", with: "vtep: 1")), at: "vxlan.vtep",
            ["unknown key"]),
        RuleCase(
            "no uplink", yaml: yaml(editing: { $0.removeFirst() }), at: "vxlan.uplink",
            ["is required: the name of the port that leads to the underlay"]),
        RuleCase(
            "an uplink that does not exist", yaml: yaml(editing: replacing("uplink", with: "uplink: p9")),
            at: "vxlan.uplink", ["\"p9\" is not a port; the ports are \"p0\", \"p1\""]),
        RuleCase(
            "a patched uplink", yaml: yaml(editing: { _ in }, doc: Doc { $0.patches = ["- [p0, p1]"] }),
            at: "vxlan.uplink", ["is in patches[0]"]),
        RuleCase(
            "an IPv6 VTEP address", yaml: yaml(editing: replacing("address", with: "address: \"fd00::1/64\"")),
            at: "vxlan.address", ["is an IPv6 address: an IPv6 underlay is not supported yet"]),
        RuleCase(
            "an IPv6 remote VTEP", yaml: yaml(editing: vnis("{vni: 1000, vlan: 100, flood: [\"fd00::2\"]}")),
            at: "vxlan.vnis[0].flood[0]", ["an IPv6 underlay is not supported yet"]),
        RuleCase(
            "an IPv6 gateway", yaml: yaml(editing: replacing("gateway", with: "gateway: \"fd00::fe\"")),
            at: "vxlan.gateway", ["an IPv6 underlay is not supported yet"]),
        RuleCase(
            "an address without prefix length", yaml: yaml(editing: replacing("address", with: "address: 192.0.2.1")),
            at: "vxlan.address", ["the prefix length is missing: write \"192.0.2.1/24\""]),
        RuleCase(
            "a prefix length of 32", yaml: yaml(editing: replacing("address", with: "address: 192.0.2.1/32")),
            at: "vxlan.address", ["the prefix length must be 1...31"]),
        RuleCase(
            "the subnet's network address", yaml: yaml(editing: replacing("address", with: "address: 192.0.2.0/24")),
            at: "vxlan.address", ["is the network address of 192.0.2.0/24"]),
        RuleCase(
            "a multicast VTEP address", yaml: yaml(editing: replacing("address", with: "address: 239.1.1.1/24")),
            at: "vxlan.address", ["is a multicast address"]),
        RuleCase(
            "a bad underlay VLAN", yaml: yaml(editing: replacing("underlay-vlan", with: "underlay-vlan: 4095")),
            at: "vxlan.underlay-vlan", ["reserved by IEEE 802.1Q"]),
        RuleCase(
            "a gateway off the subnet", yaml: yaml(editing: replacing("gateway", with: "gateway: 10.0.0.1")),
            at: "vxlan.gateway", ["is not on the VTEP's subnet 192.0.2.0/24"]),
        RuleCase(
            "the gateway is the VTEP", yaml: yaml(editing: replacing("gateway", with: "gateway: 192.0.2.1")),
            at: "vxlan.gateway", ["is the VTEP's own address"]),
        RuleCase(
            "an MTU too small", yaml: yaml(editing: replacing("mtu", with: "mtu: 500")), at: "vxlan.mtu",
            ["500 is out of range 576...9600"]),
        RuleCase(
            "an MTU above the uplink's", yaml: yaml(editing: replacing("mtu", with: "mtu: 9000")), at: "vxlan.mtu",
            ["9000 is more than the uplink \"p1\"'s mtu (1500)"]),
        RuleCase(
            "a TTL of 0", yaml: yaml(editing: replacing("ttl", with: "ttl: 0")), at: "vxlan.ttl",
            ["0 is out of range 1...255"]),
        RuleCase(
            "a VNI of 0", yaml: yaml(editing: vnis("{vni: 0, vlan: 100}")), at: "vxlan.vnis[0].vni",
            ["0 is out of range 1...16777215"]),
        RuleCase(
            "a VNI above 24 bits", yaml: yaml(editing: vnis("{vni: 16777216, vlan: 100}")), at: "vxlan.vnis[0].vni",
            ["16777216 is out of range 1...16777215 (a VNI has 24 bits)"]),
        RuleCase(
            "overlapping VNIs", yaml: yaml(editing: vnis("{vni: 1000, vlan: 100}", "{vni: 1000, vlan: 200}")),
            at: "vxlan.vnis[1].vni", ["VNI 1000 is already listed in vxlan.vnis[0]"]),
        RuleCase(
            "a VLAN mapped twice", yaml: yaml(editing: vnis("{vni: 1000, vlan: 100}", "{vni: 2000, vlan: 100}")),
            at: "vxlan.vnis[1].vlan", ["VLAN 100 is already mapped by vxlan.vnis[0]"]),
        RuleCase(
            "a VNI on the underlay VLAN",
            yaml: yaml(editing: {
                $0.append("underlay-vlan: 100")
            }), at: "vxlan.vnis[0].vlan", ["is vxlan.underlay-vlan"]),
        RuleCase(
            "a VNI without VLAN", yaml: yaml(editing: vnis("{vni: 1000}")), at: "vxlan.vnis[0].vlan",
            ["is required: the bridge VLAN the VNI extends"]),
        RuleCase(
            "a bad VNI VLAN", yaml: yaml(editing: vnis("{vni: 1000, vlan: 0}")), at: "vxlan.vnis[0].vlan",
            ["0 is reserved"]),
        RuleCase(
            "a flood list with the local address",
            yaml: yaml(editing: vnis("{vni: 1000, vlan: 100, flood: [192.0.2.2, 192.0.2.1]}")),
            at: "vxlan.vnis[0].flood[1]", ["is the local VTEP's own address"]),
        RuleCase(
            "a VTEP listed twice",
            yaml: yaml(editing: vnis("{vni: 1000, vlan: 100, flood: [192.0.2.2, 192.0.2.2]}")),
            at: "vxlan.vnis[0].flood[1]", ["is already listed in vxlan.vnis[0].flood[0]"]),
        RuleCase(
            "an off-link VTEP without gateway",
            yaml: yaml(editing: vnis("{vni: 1000, vlan: 100, flood: [198.51.100.7]}")),
            at: "vxlan.vnis[0].flood[0]", ["is not on the VTEP's subnet 192.0.2.0/24 and vxlan has no gateway"]),
        RuleCase(
            "a multicast flood address",
            yaml: yaml(editing: vnis("{vni: 1000, vlan: 100, flood: [239.1.1.1]}")),
            at: "vxlan.vnis[0].flood[0]", ["flood lists replace multicast groups"]),
        RuleCase(
            "a flood entry with a prefix length",
            yaml: yaml(editing: vnis("{vni: 1000, vlan: 100, flood: [192.0.2.2/24]}")),
            at: "vxlan.vnis[0].flood[0]", ["has a prefix length"]),
        RuleCase(
            "a remote MAC in an unknown VNI",
            yaml: yaml(
                Self.validLines + ["remote-macs:", "  - {mac: \"52:54:00:00:10:01\", vni: 7, vtep: 192.0.2.2}"]),
            at: "vxlan.remote-macs[0].vni", ["VNI 7 is not in vxlan.vnis (1000)"]),
        RuleCase(
            "a multicast remote MAC",
            yaml: yaml(
                Self.validLines + ["remote-macs:", "  - {mac: \"01:00:5e:00:00:01\", vni: 1000, vtep: 192.0.2.2}"]),
            at: "vxlan.remote-macs[0].mac", ["static entries are for unicast stations"]),
        RuleCase(
            "a remote MAC listed twice",
            yaml: yaml(
                Self.validLines + [
                    "remote-macs:", "  - {mac: \"52:54:00:00:10:01\", vni: 1000, vtep: 192.0.2.2}",
                    "  - {mac: \"52:54:00:00:10:01\", vni: 1000, vtep: 192.0.2.3}",
                ]),
            at: "vxlan.remote-macs[1].mac", ["is already listed in vxlan.remote-macs[0]"]),
        RuleCase(
            "a remote MAC behind the local VTEP",
            yaml: yaml(
                Self.validLines + ["remote-macs:", "  - {mac: \"52:54:00:00:10:01\", vni: 1000, vtep: 192.0.2.1}"]),
            at: "vxlan.remote-macs[0].vtep", ["is the local VTEP's own address"]),
        RuleCase(
            "a remote MAC that is not a MAC",
            yaml: yaml(Self.validLines + ["remote-macs:", "  - {mac: nope, vni: 1000, vtep: 192.0.2.2}"]),
            at: "vxlan.remote-macs[0].mac", ["expected a MAC address"]),
        RuleCase(
            "65 remote VTEPs in flood lists",
            yaml: yaml(editing: vnis("{vni: 1000, vlan: 100, flood: [\(remotes(2...66))]}")),
            at: "vxlan.vnis[0].flood[64]",
            ["192.0.2.66 would be remote VTEP number 65; at most 64 remote VTEPs (flood lists and remote MACs"]),
        RuleCase(
            "64 remote VTEPs in flood lists and one more behind a remote MAC",
            yaml: yaml(
                [
                    "uplink: p1", "address: 192.0.2.1/24", "vnis:",
                    "  - {vni: 1000, vlan: 100, flood: [\(remotes(2...33))]}",
                    "  - {vni: 2000, vlan: 200, flood: [\(remotes(20...65))]}",
                    "remote-macs:", "  - {mac: \"52:54:00:00:10:01\", vni: 1000, vtep: 192.0.2.2}",
                    "  - {mac: \"52:54:00:00:10:02\", vni: 1000, vtep: 192.0.2.99}",
                ]),
            at: "vxlan.remote-macs[1].vtep", ["192.0.2.99 would be remote VTEP number 65"]),
        RuleCase(
            "a section that is a list", yaml: Doc().yaml + "vxlan: [p1]\n", at: "vxlan",
            ["expected a mapping with uplink, address and vnis"]),
    ]

    @Test("64 remote VTEPs, the most the MAC table has owner slots for, are accepted")
    func sixtyFourRemoteVTEPs() throws {
        let config = try #require(
            parsed(Self.yaml(editing: Self.vnis("{vni: 1000, vlan: 100, flood: [\(Self.remotes(2...65))]}"))))
        #expect(config.vxlan?.vnis.first?.flood.count == VXLANConfig.maxRemoteVTEPs)
    }

    @Test(arguments: cases)
    func rule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    /// A flood-list change is applied in place (a new generation), as update-vxlan; adding the section too.
    @Test func changesAreAppliedInPlace() throws {
        let before = try #require(parsed(Self.yaml(Self.validLines)))
        let after = try #require(parsed(Self.yaml(editing: Self.vnis("{vni: 1000, vlan: 100, flood: [192.0.2.2]}"))))
        let plan = ConfigPlan.between(before, after)
        #expect(plan.needsRestart == [])
        #expect(plan.changes.map(\.action) == [.updateVXLAN])
        #expect(plan.changes.first?.fields == ["vnis"])
        #expect(plan.changes.first?.summary.hasPrefix("vxlan: vnis ") == true, "\(plan.changes)")

        var without = before
        without.vxlan = nil
        let adding = ConfigPlan.between(without, before)
        #expect(adding.needsRestart == [])
        #expect(adding.changes.map(\.action) == [.updateVXLAN])
        #expect(adding.changes.first?.summary.hasPrefix("vxlan: (unset) → {uplink: p1") == true, "\(adding.changes)")
        // A restart takes the section from the state file, like every other runtime setting.
        #expect(try without.withRuntimeState(from: after).vxlan == after.vxlan)
        #expect(try before.withRuntimeState(from: without).vxlan == nil)
    }
}
