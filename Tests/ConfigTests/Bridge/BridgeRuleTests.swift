import Testing

@testable import Config

/// One test per rule of the `l2` section and the ports' bridge keys: each bad input must produce exactly one
/// problem, at the key path the operator has to edit.
@Suite struct L2RuleTests {
    /// Makes ports[1] a trunk carrying 100 and 200...210 tagged, and VLAN 1 untagged.
    static func trunk(_ doc: inout Doc) {
        doc.ports[1] += ["vlan:", "  mode: trunk", "  allowed: [100, \"200-210\"]", "  native: 1"]
    }

    static let station = "\"52:54:00:aa:bb:cc\""

    static let l2Cases: [RuleCase] = [
        RuleCase(
            "mac-aging-seconds too short", Doc { $0.l2 = ["mac-aging-seconds: 9"] }, at: "l2.mac-aging-seconds",
            ["9 is out of range: use 0 to disable aging, or 10...1000000 seconds"]),
        RuleCase(
            "mac-aging-seconds too long", Doc { $0.l2 = ["mac-aging-seconds: 1000001"] }, at: "l2.mac-aging-seconds",
            ["1000001 is out of range: use 0 to disable aging, or 10...1000000 seconds"]),
        RuleCase(
            "mac-aging-seconds negative", Doc { $0.l2 = ["mac-aging-seconds: -1"] }, at: "l2.mac-aging-seconds",
            ["-1 is out of range"]),
        RuleCase(
            "mac-aging-seconds not an integer", Doc { $0.l2 = ["mac-aging-seconds: 5m"] }, at: "l2.mac-aging-seconds",
            ["expected an integer, got the string \"5m\""]),
        RuleCase(
            "max-macs-per-port zero", Doc { $0.l2 = ["max-macs-per-port: 0"] }, at: "l2.max-macs-per-port",
            ["0 is out of range 1...1048576"]),
        RuleCase(
            "max-macs-per-port too many", Doc { $0.l2 = ["max-macs-per-port: 1048577"] }, at: "l2.max-macs-per-port",
            ["1048577 is out of range 1...1048576"]),
        RuleCase(
            "mac-table-size too small", Doc { $0.l2 = ["mac-table-size: 512"] }, at: "l2.mac-table-size",
            ["512 is out of range 1024...16777216"]),
        RuleCase(
            "mac-table-size too large", Doc { $0.l2 = ["mac-table-size: 33554432"] }, at: "l2.mac-table-size",
            ["33554432 is out of range 1024...16777216"]),
        RuleCase(
            "mac-table-size not a power of two", Doc { $0.l2 = ["mac-table-size: 3000"] }, at: "l2.mac-table-size",
            ["3000 is not a power of two; use one of 1024, 2048, 4096, ..., 16777216"]),
        RuleCase(
            "l2 key without value", Doc { $0.l2 = ["mac-table-size:"] }, at: "l2.mac-table-size",
            ["has no value", "default (262144)"]),
        RuleCase(
            "unknown l2 key", Doc { $0.l2 = ["mac-ageing-seconds: 60"] }, at: "l2.mac-ageing-seconds",
            [
                "unknown key \"mac-ageing-seconds\" (did you mean \"mac-aging-seconds\"?)",
                "allowed keys: mac-aging-seconds, max-macs-per-port, mac-table-size",
            ]),
        RuleCase("l2 not a mapping", Doc { $0.l2 = ["- 300"] }, at: "l2", ["expected a mapping, got a list"]),
    ]

    static let vlanCases: [RuleCase] = [
        RuleCase(
            "vlan not a mapping", Doc { $0.ports[1].append("vlan: 100") }, at: "ports[1].vlan",
            ["expected a VLAN mapping like {mode: access, id: 100}", "got the integer 100"]),
        RuleCase(
            "mode is required", Doc { $0.ports[1].append("vlan: {id: 100}") }, at: "ports[1].vlan.mode",
            ["is required: access", "or trunk"]),
        RuleCase(
            "mode unknown", Doc { $0.ports[1].append("vlan: {mode: tagged, allowed: [100]}") },
            at: "ports[1].vlan.mode",
            ["\"tagged\" is not one of access, trunk"]),
        RuleCase(
            "mode misspelt", Doc { $0.ports[1].append("vlan: {mode: acess, id: 100}") }, at: "ports[1].vlan.mode",
            ["\"acess\" is not one of access, trunk (did you mean \"access\"?)"]),
        RuleCase(
            "unknown vlan key", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [100], natve: 1}") },
            at: "ports[1].vlan.natve", ["did you mean \"native\"?", "allowed keys: mode, id, allowed, native"]),
        RuleCase(
            "access id is required", Doc { $0.ports[1].append("vlan: {mode: access}") }, at: "ports[1].vlan.id",
            ["is required: the port's VLAN, 1...4094"]),
        RuleCase(
            "access id 0 is reserved", Doc { $0.ports[1].append("vlan: {mode: access, id: 0}") },
            at: "ports[1].vlan.id",
            ["0 is reserved", "VLAN ID 0 only carries a priority", "use 1...4094"]),
        RuleCase(
            "access id 4095 is reserved", Doc { $0.ports[1].append("vlan: {mode: access, id: 4095}") },
            at: "ports[1].vlan.id", ["4095 is reserved by IEEE 802.1Q", "use 1...4094"]),
        RuleCase(
            "access id out of range", Doc { $0.ports[1].append("vlan: {mode: access, id: 70000}") },
            at: "ports[1].vlan.id", ["70000 is out of range 1...4094"]),
        RuleCase(
            "access id quoted", Doc { $0.ports[1].append("vlan: {mode: access, id: \"100\"}") }, at: "ports[1].vlan.id",
            ["expected an integer, got the string \"100\"; remove the quotes"]),
        RuleCase(
            "allowed with access", Doc { $0.ports[1].append("vlan: {mode: access, id: 100, allowed: [100]}") },
            at: "ports[1].vlan.allowed", ["is not allowed with mode: access", "use mode: trunk"]),
        RuleCase(
            "native with access", Doc { $0.ports[1].append("vlan: {mode: access, id: 100, native: 100}") },
            at: "ports[1].vlan.native", ["is not allowed with mode: access", "native only applies to trunk ports"]),
        RuleCase(
            "id with trunk", Doc { $0.ports[1].append("vlan: {mode: trunk, id: 100, allowed: [100]}") },
            at: "ports[1].vlan.id", ["is not allowed with mode: trunk", "in allowed", "in native"]),
        RuleCase(
            "trunk allowed is required", Doc { $0.ports[1].append("vlan: {mode: trunk, native: 1}") },
            at: "ports[1].vlan.allowed", ["is required: the VLANs the trunk carries tagged", "[100, \"200-210\"]"]),
        RuleCase(
            "trunk allowed empty", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: []}") },
            at: "ports[1].vlan.allowed", ["is empty; a trunk port needs at least one allowed VLAN", "use mode: access"]),
        RuleCase(
            "trunk allowed not a list", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: 100}") },
            at: "ports[1].vlan.allowed", ["expected a list of VLANs like [100, \"200-210\"], got the integer 100"]),
        RuleCase(
            "allowed VLAN 0", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [100, 0]}") },
            at: "ports[1].vlan.allowed[1]", ["0 is reserved", "only carries a priority"]),
        RuleCase(
            "allowed VLAN 4095", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [4095]}") },
            at: "ports[1].vlan.allowed[0]", ["4095 is reserved by IEEE 802.1Q"]),
        RuleCase(
            "allowed VLAN out of range", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [5000]}") },
            at: "ports[1].vlan.allowed[0]", ["5000 is out of range 1...4094"]),
        RuleCase(
            "allowed VLAN as a number with a fraction",
            Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [1.5]}") },
            at: "ports[1].vlan.allowed[0]",
            ["expected a VLAN (an integer 1...4094) or a range like \"200-210\", got the number 1.5"]),
        RuleCase(
            "range with dots", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [\"200..210\"]}") },
            at: "ports[1].vlan.allowed[0]",
            ["\"200..210\" is not a VLAN range: write \"a-b\" with a <= b, e.g. \"200-210\""]),
        RuleCase(
            "range with three ends", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [1-2-3]}") },
            at: "ports[1].vlan.allowed[0]", ["\"1-2-3\" is not a VLAN range: write \"a-b\""]),
        RuleCase(
            "range with spaces", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [\"200 - 210\"]}") },
            at: "ports[1].vlan.allowed[0]", ["\"200 - 210\" is not a VLAN range"]),
        RuleCase(
            "quoted single VLAN", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [\"100\"]}") },
            at: "ports[1].vlan.allowed[0]",
            ["\"100\" is not a VLAN range", "or a single VLAN as an integer without quotes (100)"]),
        RuleCase(
            "range backwards", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [\"210-200\"]}") },
            at: "ports[1].vlan.allowed[0]", ["\"210-200\" runs backwards: write the lower VLAN first, \"200-210\""]),
        RuleCase(
            "range from VLAN 0", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [\"0-10\"]}") },
            at: "ports[1].vlan.allowed[0]", ["\"0-10\" starts at 0, which is reserved", "use 1...4094"]),
        RuleCase(
            "range to VLAN 4095", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [\"4000-4095\"]}") },
            at: "ports[1].vlan.allowed[0]", ["\"4000-4095\" ends at 4095, which is reserved by IEEE 802.1Q"]),
        RuleCase(
            "range beyond 4094",
            Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [\"4000-99999999999999999999\"]}") },
            at: "ports[1].vlan.allowed[0]",
            ["\"4000-99999999999999999999\" ends at 99999999999999999999, which is out of range 1...4094"]),
        RuleCase(
            "VLAN listed twice", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [100, 200, 100]}") },
            at: "ports[1].vlan.allowed[2]",
            ["100 repeats VLAN 100 already listed in ports[1].vlan.allowed[0]; each VLAN may appear only once"]),
        RuleCase(
            "overlapping ranges",
            Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [\"100-110\", 5, \"105-120\"]}") },
            at: "ports[1].vlan.allowed[2]",
            ["\"105-120\" repeats VLANs 105-110 already listed in ports[1].vlan.allowed[0]"]),
        RuleCase(
            "range repeating two elements",
            Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [7, 9, \"6-10\"]}") },
            at: "ports[1].vlan.allowed[2]",
            [
                "\"6-10\" repeats VLAN 7 already listed in ports[1].vlan.allowed[0] and VLAN 9 already listed in ports[1].vlan.allowed[1]"
            ]),
        RuleCase(
            "native 0", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [100], native: 0}") },
            at: "ports[1].vlan.native", ["0 is reserved"]),
        RuleCase(
            "native out of range", Doc { $0.ports[1].append("vlan: {mode: trunk, allowed: [100], native: 4096}") },
            at: "ports[1].vlan.native", ["4096 is out of range 1...4094"]),
    ]

    static let maxMACsCases: [RuleCase] = [
        RuleCase(
            "max-macs zero", Doc { $0.ports[1].append("max-macs: 0") }, at: "ports[1].max-macs",
            ["0 is out of range 1...1048576"]),
        RuleCase(
            "max-macs too many", Doc { $0.ports[1].append("max-macs: 1048577") }, at: "ports[1].max-macs",
            ["1048577 is out of range 1...1048576"]),
        RuleCase(
            "max-macs not an integer", Doc { $0.ports[1].append("max-macs: many") }, at: "ports[1].max-macs",
            ["expected an integer, got the string \"many\""]),
    ]

    static let portSecurityCases: [RuleCase] = [
        RuleCase(
            "port-security not a mapping", Doc { $0.ports[1].append("port-security: \(station)") },
            at: "ports[1].port-security",
            ["expected a mapping with mac and, optionally, ips, got the string \"52:54:00:aa:bb:cc\""]),
        RuleCase(
            "port-security mac is required", Doc { $0.ports[1].append("port-security: {ips: [\"10.0.0.5\"]}") },
            at: "ports[1].port-security.mac", ["is required: the only source MAC accepted from the port"]),
        RuleCase(
            "unknown port-security key",
            Doc { $0.ports[1].append("port-security: {mac: \(station), ip: [\"10.0.0.5\"]}") },
            at: "ports[1].port-security.ip", ["unknown key \"ip\" (did you mean \"ips\"?); allowed keys: mac, ips"]),
        RuleCase(
            "mac with five bytes", Doc { $0.ports[1].append("port-security: {mac: \"52:54:00:12:34\"}") },
            at: "ports[1].port-security.mac",
            ["\"52:54:00:12:34\" is not a MAC address: write six two-digit hex bytes separated by colons"]),
        RuleCase(
            "mac with dashes", Doc { $0.ports[1].append("port-security: {mac: 52-54-00-12-34-56}") },
            at: "ports[1].port-security.mac", ["\"52-54-00-12-34-56\" is not a MAC address"]),
        RuleCase(
            "mac as a list", Doc { $0.ports[1].append("port-security: {mac: [52, 54]}") },
            at: "ports[1].port-security.mac",
            ["expected a MAC address (six two-digit hex bytes separated by colons", "got a list"]),
        RuleCase(
            "mac as a plain number", Doc { $0.ports[1].append("port-security: {mac: 5254}") },
            at: "ports[1].port-security.mac",
            ["expected a MAC address", "got the integer 5254"]),
        RuleCase(
            "mac multicast", Doc { $0.ports[1].append("port-security: {mac: \"01:00:5e:00:00:01\"}") },
            at: "ports[1].port-security.mac",
            [
                "01:00:5e:00:00:01 is a multicast address (the lowest bit of its first byte is set)",
                "never the source of a frame",
            ]),
        RuleCase(
            "mac broadcast", Doc { $0.ports[1].append("port-security: {mac: \"FF:FF:FF:FF:FF:FF\"}") },
            at: "ports[1].port-security.mac", ["ff:ff:ff:ff:ff:ff is the broadcast address"]),
        RuleCase(
            "mac all-zero", Doc { $0.ports[1].append("port-security: {mac: \"00:00:00:00:00:00\"}") },
            at: "ports[1].port-security.mac", ["00:00:00:00:00:00 is the all-zero address"]),
        RuleCase(
            "ips empty", Doc { $0.ports[1].append("port-security: {mac: \(station), ips: []}") },
            at: "ports[1].port-security.ips", ["is empty", "or remove ips to accept any source address"]),
        RuleCase(
            "ips not a list", Doc { $0.ports[1].append("port-security: {mac: \(station), ips: 10.0.0.5}") },
            at: "ports[1].port-security.ips",
            ["expected a list of IPv4 and IPv6 addresses", "got the string \"10.0.0.5\""]),
        RuleCase(
            "ip malformed", Doc { $0.ports[1].append("port-security: {mac: \(station), ips: [\"10.0.0.256\"]}") },
            at: "ports[1].port-security.ips[0]", ["\"10.0.0.256\" is not an IPv4 or IPv6 address"]),
        RuleCase(
            "ip with leading zeros",
            Doc { $0.ports[1].append("port-security: {mac: \(station), ips: [\"10.0.0.05\"]}") },
            at: "ports[1].port-security.ips[0]",
            ["\"10.0.0.05\" is not an IPv4 or IPv6 address", "without leading zeros"]),
        RuleCase(
            "ip with a prefix length",
            Doc { $0.ports[1].append("port-security: {mac: \(station), ips: [\"fd00::5/64\"]}") },
            at: "ports[1].port-security.ips[0]", ["\"fd00::5/64\" has a prefix length", "without \"/64\""]),
        RuleCase(
            "ip as a number", Doc { $0.ports[1].append("port-security: {mac: \(station), ips: [5]}") },
            at: "ports[1].port-security.ips[0]", ["expected an IPv4 or IPv6 address, got the integer 5"]),
        RuleCase(
            "ipv4 multicast", Doc { $0.ports[1].append("port-security: {mac: \(station), ips: [\"239.1.2.3\"]}") },
            at: "ports[1].port-security.ips[0]",
            ["239.1.2.3 is a multicast address, which is never the source of a packet"]),
        RuleCase(
            "ipv4 broadcast",
            Doc { $0.ports[1].append("port-security: {mac: \(station), ips: [\"255.255.255.255\"]}") },
            at: "ports[1].port-security.ips[0]", ["255.255.255.255 is the limited broadcast address"]),
        RuleCase(
            "ipv6 multicast", Doc { $0.ports[1].append("port-security: {mac: \(station), ips: [\"ff02::1\"]}") },
            at: "ports[1].port-security.ips[0]", ["ff02::1 is a multicast address"]),
        RuleCase(
            "ipv4-mapped ipv6",
            Doc { $0.ports[1].append("port-security: {mac: \(station), ips: [\"::ffff:10.0.0.5\"]}") },
            at: "ports[1].port-security.ips[0]",
            ["::ffff:10.0.0.5 is an IPv4-mapped IPv6 address", "list the IPv4 address 10.0.0.5 instead"]),
        RuleCase(
            "ip listed twice",
            Doc {
                $0.ports[1].append("port-security: {mac: \(station), ips: [\"10.0.0.5\", \"fd00::5\", \"10.0.0.5\"]}")
            },
            at: "ports[1].port-security.ips[2]",
            ["\"10.0.0.5\" is the same address as ports[1].port-security.ips[0]; list each address once"]),
        RuleCase(
            "ipv6 listed twice in different spellings",
            Doc { $0.ports[1].append("port-security: {mac: \(station), ips: [\"fd00::5\", \"FD00:0:0::0005\"]}") },
            at: "ports[1].port-security.ips[1]",
            ["\"FD00:0:0::0005\" is the same address as ports[1].port-security.ips[0]"]),
    ]

    static let staticMACCases: [RuleCase] = [
        RuleCase(
            "static-macs not a list", Doc { $0.ports[1].append("static-macs: {mac: \(station)}") },
            at: "ports[1].static-macs", ["expected a list of static MAC entries", "got a mapping"]),
        RuleCase(
            "static entry not a mapping", Doc { $0.ports[1].append("static-macs: [\(station)]") },
            at: "ports[1].static-macs[0]",
            ["expected a static MAC mapping like {mac: \"52:54:00:aa:bb:cc\", vlan: 100}, got the string"]),
        RuleCase(
            "static mac is required", Doc { $0.ports[1].append("static-macs: [{vlan: 1}]") },
            at: "ports[1].static-macs[0].mac", ["is required: the station's unicast MAC"]),
        RuleCase(
            "unknown static entry key", Doc { $0.ports[1].append("static-macs: [{mac: \(station), vlna: 1}]") },
            at: "ports[1].static-macs[0].vlna", ["did you mean \"vlan\"?", "allowed keys: mac, vlan"]),
        RuleCase(
            "static mac malformed", Doc { $0.ports[1].append("static-macs: [{mac: \"5254.00aa.bbcc\"}]") },
            at: "ports[1].static-macs[0].mac", ["\"5254.00aa.bbcc\" is not a MAC address"]),
        RuleCase(
            "static mac multicast", Doc { $0.ports[1].append("static-macs: [{mac: \"33:33:00:00:00:01\"}]") },
            at: "ports[1].static-macs[0].mac",
            ["33:33:00:00:00:01 is a multicast address", "static entries are for unicast stations"]),
        RuleCase(
            "static mac broadcast", Doc { $0.ports[1].append("static-macs: [{mac: \"ff:ff:ff:ff:ff:ff\"}]") },
            at: "ports[1].static-macs[0].mac", ["ff:ff:ff:ff:ff:ff is the broadcast address", "always flooded"]),
        RuleCase(
            "static mac all-zero", Doc { $0.ports[1].append("static-macs: [{mac: \"00:00:00:00:00:00\"}]") },
            at: "ports[1].static-macs[0].mac", ["00:00:00:00:00:00 is the all-zero address"]),
        RuleCase(
            "static vlan reserved", Doc { $0.ports[1].append("static-macs: [{mac: \(station), vlan: 0}]") },
            at: "ports[1].static-macs[0].vlan", ["0 is reserved"]),
        RuleCase(
            "static vlan differs from the access VLAN",
            Doc { $0.ports[1] += ["vlan: {mode: access, id: 100}", "static-macs: [{mac: \(station), vlan: 200}]"] },
            at: "ports[1].static-macs[0].vlan",
            ["200 is not the VLAN of this access port, which is 100; omit vlan to use the port's VLAN"]),
        RuleCase(
            "static vlan differs from the default VLAN",
            Doc { $0.ports[1].append("static-macs: [{mac: \(station), vlan: 100}]") },
            at: "ports[1].static-macs[0].vlan",
            ["100 is not the VLAN of this access port, which is 1 (the default: the port has no vlan section)"]),
        RuleCase(
            "static vlan required on a trunk",
            Doc {
                trunk(&$0)
                $0.ports[1].append("static-macs: [{mac: \(station)}]")
            }, at: "ports[1].static-macs[0].vlan",
            ["is required on a trunk port", "allowed is 100,200-210 and native is 1"]),
        RuleCase(
            "static vlan not carried by the trunk",
            Doc {
                trunk(&$0)
                $0.ports[1].append("static-macs: [{mac: \(station), vlan: 211}]")
            }, at: "ports[1].static-macs[0].vlan",
            ["211 is not carried by this trunk port: allowed is 100,200-210 and native is 1"]),
        RuleCase(
            "static vlan not carried by a trunk without native VLAN",
            Doc {
                $0.ports[1] += ["vlan: {mode: trunk, allowed: [100]}", "static-macs: [{mac: \(station), vlan: 1}]"]
            }, at: "ports[1].static-macs[0].vlan",
            ["1 is not carried by this trunk port: allowed is 100, with no native VLAN"]),
        RuleCase(
            "static MAC on two ports in one VLAN",
            Doc {
                $0.ports[0].append("static-macs: [{mac: \(station)}]")
                $0.ports[1].append("static-macs: [{mac: \"52:54:00:AA:BB:CC\", vlan: 1}]")
            }, at: "ports[1].static-macs[0]",
            [
                "52:54:00:aa:bb:cc on VLAN 1 is already a static MAC at ports[0].static-macs[0]",
                "a MAC can have only one static entry per VLAN",
            ]),
        RuleCase(
            "static MAC twice on one trunk",
            Doc {
                trunk(&$0)
                $0.ports[1].append(
                    "static-macs: [{mac: \(station), vlan: 205}, {mac: \(station), vlan: 1}, {mac: \(station), vlan: 205}]"
                )
            }, at: "ports[1].static-macs[2]",
            ["52:54:00:aa:bb:cc on VLAN 205 is already a static MAC at ports[1].static-macs[0]"]),
    ]

    static let patchedPortCases: [RuleCase] = [
        ("vlan", "vlan: {mode: access, id: 100}"), ("max-macs", "max-macs: 16"),
        ("port-security", "port-security: {mac: \(station)}"), ("static-macs", "static-macs: [{mac: \(station)}]"),
    ].map { key, line in
        RuleCase(
            "\(key) on a patched port",
            Doc {
                $0.ports[1].append(line)
                $0.patches = ["- [p0, p1]"]
            }, at: "ports[1].\(key)",
            [
                "cannot be set on \"p1\", which is in patches[0]",
                "patched ports bypass the L2 bridge, so VLANs, MAC limits, port security and static MACs do not apply to them",
                "remove \(key), or remove the patch",
            ])
    }

    @Test(arguments: l2Cases)
    func l2Rule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    @Test(arguments: vlanCases)
    func vlanRule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    @Test(arguments: maxMACsCases)
    func maxMACsRule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    @Test(arguments: portSecurityCases)
    func portSecurityRule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    @Test(arguments: staticMACCases)
    func staticMACRule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    @Test(arguments: patchedPortCases)
    func patchedPortRule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    @Test func patchedPortIsNamedByEitherEnd() {
        let found = problems(
            Doc {
                $0.ports[0].append("max-macs: 16")
                $0.ports[1].append("vlan: {mode: access, id: 100}")
                $0.patches = ["- [p1, p0]"]
            }.yaml)
        #expect(found.map(\.path) == ["ports[0].max-macs", "ports[1].vlan"])
        #expect(found.allSatisfy { $0.message.contains("which is in patches[0]") }, "\(found)")
    }
}
