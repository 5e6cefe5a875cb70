import Testing

@testable import Config

/// Whole documents with several L2 problems: all are reported, in document order, and one mistake does not
/// cause follow-up problems.
@Suite struct L2DocumentProblemTests {
    @Test func everyL2ProblemIsReportedInDocumentOrder() {
        let yaml = """
            eal:
              pmd-cpu-mask: "0x2"
            l2:
              mac-aging-seconds: 5
              mac-table-size: 1000
              max-macs-per-prot: 10
            ports:
              - name: uplink
                devargs: net_null0
                vlan:
                  mode: trunk
                  allowed: [100, "200-210", 205, "300..310", 4095]
                  native: 0
              - name: vm1
                devargs: net_null1
                vlan: {mode: access, id: 100, native: 1}
                max-macs: 0
                port-security:
                  mac: "01:00:5e:00:00:01"
                  ips: ["10.0.0.5", "10.0.0.5/32", "fd00::5", "fd00:0::5"]
                static-macs:
                  - mac: "52:54:00:aa:bb:cc"
                  - {mac: "52:54:00:aa:bb:cc", vlan: 200}
                  - mac: "52:54:00:aa:bb:cc"
              - name: tap0
                devargs: net_tap0
                static-macs: [{mac: "52:54:00:aa:bb:cd"}]
              - name: tap1
                devargs: net_tap1
            patches:
              - [tap0, tap1]
            """
        let found = problems(yaml)
        #expect(
            found.map(\.path) == [
                "l2.mac-aging-seconds", "l2.mac-table-size", "l2.max-macs-per-prot",
                "ports[0].vlan.allowed[2]", "ports[0].vlan.allowed[3]", "ports[0].vlan.allowed[4]",
                "ports[0].vlan.native",
                "ports[1].vlan.native", "ports[1].max-macs", "ports[1].port-security.mac",
                "ports[1].port-security.ips[1]", "ports[1].port-security.ips[3]",
                "ports[1].static-macs[1].vlan", "ports[1].static-macs[2]",
                "ports[2].static-macs",
            ], "\(ConfigError(problems: found))")
        let error = ConfigError(problems: found)
        #expect(
            error.description.contains(
                "l2.max-macs-per-prot: unknown key \"max-macs-per-prot\" (did you mean \"max-macs-per-port\"?)"))
        #expect(
            error.description.contains(
                "ports[0].vlan.allowed[2]: 205 repeats VLAN 205 already listed in ports[0].vlan.allowed[1]"))
        #expect(
            error.description.contains(
                "ports[1].static-macs[1].vlan: 200 is not the VLAN of this access port, which is 100"))
        #expect(error.description.contains("ports[2].static-macs: cannot be set on \"tap0\", which is in patches[0]"))
    }

    /// An unreadable or invalid VLAN setting must not make the port's static MACs "not carried", a bad element of
    /// `allowed` must not make the list "empty", and an unreadable MAC must not collide with anything.
    @Test func undecodableL2ValuesDoNotCauseFollowUpProblems() {
        let found = problems(
            Doc {
                $0.ports[0] += [
                    "vlan: {mode: trunk, allowed: [\"0-5\"]}",
                    "static-macs: [{mac: \"52:54:00:aa:bb:cc\", vlan: 3}, {mac: \"52:54:00:aa:bb:cd\"}]",
                ]
                $0.ports[1] += [
                    "vlan: {mode: acces, id: 7}",
                    "static-macs: [{mac: \"52:54:00:aa:bb:cc\", vlan: 9}, {mac: zz, vlan: 1}, {mac: zz, vlan: 1}]",
                ]
                $0.ports.append([
                    "name: p2", "devargs: net_null2", "vlan: {mode: access, id: 4095}",
                    "static-macs: [{mac: \"52:54:00:aa:bb:cc\", vlan: 9}]",
                ])
            }.yaml)
        #expect(
            found.map(\.path) == [
                "ports[0].vlan.allowed[0]", "ports[1].vlan.mode", "ports[1].static-macs[1].mac",
                "ports[1].static-macs[2].mac", "ports[2].vlan.id",
            ], "\(ConfigError(problems: found))")
    }

    /// Each part of a VLAN setting that cannot be read leaves the port's VLANs unknown, so its static MACs are
    /// not judged against them.
    @Test(arguments: [
        ("vlan: {mode: access, id: abc}", "ports[1].vlan.id"),
        ("vlan: {mode: access}", "ports[1].vlan.id"),
        ("vlan: {mode: trunk, native: 1}", "ports[1].vlan.allowed"),
        ("vlan: {mode: trunk, allowed: 100}", "ports[1].vlan.allowed"),
        ("vlan: {mode: trunk, allowed: [100], native: [1]}", "ports[1].vlan.native"),
        ("vlan: {mode: trunk, allowed: [100], native: 0}", "ports[1].vlan.native"),
        ("vlan: {mode: access, id: 4095}", "ports[1].vlan.id"),
        ("vlan: {id: 5}", "ports[1].vlan.mode"),
    ])
    func unusableVLANsSkipStaticMACRules(vlan: String, path: String) {
        let found = problems(
            Doc {
                $0.ports[1] += [
                    vlan, "static-macs: [{mac: \"52:54:00:aa:bb:cc\", vlan: 5}, {mac: \"52:54:00:aa:bb:cd\"}]",
                ]
            }
            .yaml)
        #expect(found.map(\.path) == [path], "\(found)")
    }

    /// Without a known mode, the values present are still checked on their own.
    @Test func vlanValuesAreCheckedWithoutAMode() {
        let found = problems(
            Doc { $0.ports[1].append("vlan: {mode: tagged, id: 0, allowed: [\"5-1\"], native: 4095}") }.yaml)
        #expect(
            found.map(\.path) == [
                "ports[1].vlan.mode", "ports[1].vlan.id", "ports[1].vlan.allowed[0]", "ports[1].vlan.native",
            ], "\(found)")
        #expect(found.dropFirst().first?.message.hasPrefix("0 is reserved") == true)
        #expect(found.last?.message.hasPrefix("4095 is reserved") == true)
    }

    /// A bad key inside a patched port's bridge settings is one problem, not two: the fix is to remove the key.
    @Test func undecodableKeyOnPatchedPortIsReportedOnce() {
        let found = problems(
            Doc {
                $0.ports[1] += ["vlan: 100", "max-macs: lots"]
                $0.patches = ["- [p0, p1]"]
            }.yaml)
        #expect(found.map(\.path) == ["ports[1].vlan", "ports[1].max-macs"])
        #expect(found.first?.message.contains("expected a VLAN mapping") == true, "\(found)")
    }

    /// A patch end naming no port, or a port whose name is unreadable, does not make any port "patched".
    @Test func unknownPatchEndDoesNotMarkPortsPatched() {
        let found = problems(
            Doc {
                $0.ports[1] += ["vlan: {mode: access, id: 5}"]
                $0.patches = ["- [p0, p9]"]
            }.yaml)
        #expect(found.map(\.path) == ["patches[0][1]"])
    }
}
