import Packet
import Testing

@testable import Config

/// `ConfigPlan.between`: which action each difference needs, their order, and their summaries.
@Suite struct PlanTests {
    static let vmMAC = EthernetAddress(rawValue: 0x5254_0012_3456)
    static let uplinkMAC = EthernetAddress(rawValue: 0x0200_0000_0201)

    /// Two patched ports, a trunk and an access port with port security: every kind of port setting.
    static let base = SluiceConfig(
        eal: EALConfig(pmdCPUMask: 0x2),
        ports: [
            PortConfig(name: "tap0", devargs: "net_null0", rxQueueAffinity: [1]),
            PortConfig(name: "tap1", devargs: "net_null1"),
            PortConfig(
                name: "uplink", devargs: "net_null2",
                vlan: .trunk(allowed: VLANSet([100] + Array(200...210)), native: 1),
                staticMACs: [StaticMACConfig(mac: uplinkMAC, vlan: 200)]),
            PortConfig(
                name: "vm1", devargs: "net_null3", vlan: .access(vlan: 100), maxMACs: 16,
                portSecurity: PortSecurityConfig(
                    mac: vmMAC, ipv4: [IPv4Address(10, 0, 100, 5)], ipv6: [IPv6Address("fd00:100::5")].compactMap { $0 }
                ),
                staticMACs: [StaticMACConfig(mac: vmMAC)]),
        ],
        patches: [PatchPair("tap0", "tap1")])

    /// The plan from `base` to `base` edited, after checking that the edit is a valid configuration.
    static func plan(_ edit: (inout SluiceConfig) -> Void, sourceLocation: SourceLocation = #_sourceLocation)
        -> ConfigPlan
    {
        var new = base
        edit(&new)
        do {
            try base.validate()
            try new.validate()
        } catch {
            Issue.record("invalid test configuration: \(error)", sourceLocation: sourceLocation)
        }
        return ConfigPlan.between(base, new)
    }

    static func index(_ name: String, in config: SluiceConfig = base) -> Int {
        config.portIndex(named: name)!
    }

    // MARK: No change

    @Test func equalConfigsNeedNothing() {
        let plan = ConfigPlan.between(Self.base, Self.base)
        #expect(plan.isEmpty)
        #expect(plan == ConfigPlan(changes: [], needsRestart: []))
    }

    /// Port order, patch order, the ends of a patch, and the order of sets (static MACs, addresses) carry
    /// no meaning.
    @Test func reorderingIsNoChange() {
        let plan = Self.plan { config in
            config.ports.reverse()
            config.patches = [PatchPair("tap1", "tap0")]
            let vm1 = Self.index("vm1", in: config)
            config.ports[vm1].portSecurity?.ipv4 = [IPv4Address(10, 0, 100, 5)]
            config.ports[vm1].staticMACs.append(StaticMACConfig(mac: EthernetAddress(rawValue: 0x5254_0000_0001)))
        }
        // Only the added static MAC is a change; reordering the rest is not.
        #expect(plan.changes.map(\.fields) == [["static-macs"]])

        var shuffled = Self.base
        shuffled.ports.swapAt(0, 3)
        shuffled.ports.swapAt(1, 2)
        shuffled.patches = [PatchPair("tap1", "tap0")]
        shuffled.ports[Self.index("uplink", in: shuffled)].staticMACs = [
            StaticMACConfig(mac: EthernetAddress(rawValue: 0x0200_0000_0202), vlan: 201),
            StaticMACConfig(mac: Self.uplinkMAC, vlan: 200),
        ]
        var withEntry = Self.base
        withEntry.ports[Self.index("uplink")].staticMACs.append(
            StaticMACConfig(mac: EthernetAddress(rawValue: 0x0200_0000_0202), vlan: 201))
        #expect(ConfigPlan.between(withEntry, shuffled).isEmpty)
    }

    @Test func randomConfigsNeedNothingAgainstThemselvesAndTheirRendering() throws {
        var generator = RandomConfigs(seed: 0x91a4)
        var checked = 0
        while checked < 200 {
            let config = generator.config()
            guard (try? config.validate()) != nil else { continue }
            checked += 1
            #expect(ConfigPlan.between(config, config).isEmpty)
            let back = try SluiceConfig.parse(yaml: config.renderJSON())
            #expect(ConfigPlan.between(config, back).isEmpty)
            var reordered = config
            reordered.ports.shuffle(using: &generator.random)
            reordered.patches = reordered.patches.reversed().map { PatchPair($0.b, $0.a) }
            #expect(ConfigPlan.between(config, reordered).isEmpty)
        }
    }

    // MARK: Restart-only settings

    struct RestartCase: Sendable, CustomTestStringConvertible {
        let edit: @Sendable (inout SluiceConfig) -> Void
        let expected: [String]
        var testDescription: String { expected.joined(separator: ", ") }

        init(_ expected: [String], _ edit: @escaping @Sendable (inout SluiceConfig) -> Void) {
            self.expected = expected
            self.edit = edit
        }
    }

    static let restartCases: [RestartCase] = [
        RestartCase(["eal.main-lcore: 0 → 2"]) { $0.eal.mainLcore = 2 },
        RestartCase(["eal.pmd-cpu-mask: 0x2 → 0x6"]) { $0.eal.pmdCPUMask = 0x6 },
        RestartCase(["eal.socket-mem: (unset) → 512,512"]) { $0.eal.socketMem = "512,512" },
        RestartCase(["eal.file-prefix: sluice → sluice-b"]) { $0.eal.filePrefix = "sluice-b" },
        RestartCase(["eal.memory: huge-unlink → in-memory"]) { $0.eal.memory = .inMemory },
        RestartCase(["eal.memory: huge-unlink → no-huge", "eal.no-huge-mb: (unset) → 1024"]) {
            $0.eal.memory = .noHuge(megabytes: 1024)
        },
        RestartCase(["eal.extra-args: [] → [--log-level, \"lib.eal:debug 8\"]"]) {
            $0.eal.extraArgs = ["--log-level", "lib.eal:debug 8"]
        },
        RestartCase(["mempool.mbufs: 16383 → 32767"]) { $0.mempool.mbufs = 32767 },
        RestartCase(["mempool.cache-size: 256 → 512"]) { $0.mempool.cacheSize = 512 },
        RestartCase(["mempool.mbuf-data-size: 2048 → 4096"]) { $0.mempool.mbufDataSize = 4096 },
        RestartCase(["control.socket: /run/sluice/sluice.sock → /run/s.sock"]) {
            $0.control.socketPath = "/run/s.sock"
        },
        RestartCase(["control.socket-group: (unset) → netops"]) { $0.control.socketGroup = "netops" },
        RestartCase(["control.socket-mode: 0660 → 0600"]) { $0.control.socketMode = 0o600 },
        RestartCase(["control.pmd-stall-timeout-seconds: 5 → 30"]) { $0.control.pmdStallTimeoutSeconds = 30 },
        RestartCase(["l2.mac-table-size: 262144 → 1024"]) { $0.l2.macTableSize = 1024 },
    ]

    @Test(arguments: restartCases)
    func restartOnlySettings(_ restartCase: RestartCase) {
        let plan = Self.plan(restartCase.edit)
        #expect(plan.needsRestart == restartCase.expected)
        #expect(plan.changes == [])
        #expect(!plan.isEmpty)
    }

    @Test func noHugeSizeAloneNeedsRestart() {
        var old = Self.base
        old.eal.memory = .noHuge(megabytes: 512)
        var new = old
        new.eal.memory = .noHuge(megabytes: 2048)
        #expect(ConfigPlan.between(old, new).needsRestart == ["eal.no-huge-mb: 512 → 2048"])
    }

    // MARK: Ports

    @Test(arguments: [
        ("devargs", "devargs net_null3 → net_null9"),
        ("rx-queues", "rx-queues 1 → 2"),
        ("tx-queues", "tx-queues (unset) → 2"),
        ("rx-descriptors", "rx-descriptors 1024 → 4096"),
        ("tx-descriptors", "tx-descriptors 1024 → 512"),
        ("mtu", "mtu 1500 → 2000"),
        ("pmd-rxq-affinity", "pmd-rxq-affinity (unset) → [1]"),
    ])
    func deviceSettingsReplaceThePort(key: String, summary: String) {
        let plan = Self.plan { config in
            let vm1 = Self.index("vm1")
            switch key {
            case "devargs": config.ports[vm1].devargs = "net_null9"
            case "rx-queues": config.ports[vm1].rxQueues = 2
            case "tx-queues": config.ports[vm1].txQueues = 2
            case "rx-descriptors": config.ports[vm1].rxDescriptors = 4096
            case "tx-descriptors": config.ports[vm1].txDescriptors = 512
            case "mtu": config.ports[vm1].mtu = 2000
            default: config.ports[vm1].rxQueueAffinity = [1]
            }
        }
        #expect(
            plan.changes == [
                ConfigChange(
                    action: .replacePort, target: "vm1", fields: [key],
                    summary: "replace port vm1 (reopens the device): \(summary)")
            ])
        #expect(plan.needsRestart == [])
    }

    @Test func removingAnAffinityReplacesThePort() {
        let plan = Self.plan { $0.ports[0].rxQueueAffinity = nil }
        #expect(plan.changes.map(\.action) == [.replacePort])
        #expect(plan.changes.first?.summary == "replace port tap0 (reopens the device): pmd-rxq-affinity [1] → (unset)")
    }

    /// A replacement applies the whole new port, so fields lists only what forces it; the summary has all.
    @Test func replacementAlsoCarriesInPlaceChanges() {
        let plan = Self.plan { config in
            config.ports[3].mtu = 9000
            config.ports[3].admin = .down
            config.mempool.mbufDataSize = 9216
        }
        #expect(
            plan.changes == [
                ConfigChange(
                    action: .replacePort, target: "vm1", fields: ["mtu"],
                    summary: "replace port vm1 (reopens the device): mtu 1500 → 9000; admin up → down")
            ])
        #expect(plan.needsRestart == ["mempool.mbuf-data-size: 2048 → 9216"])
    }

    @Test func bridgeSettingsUpdateThePortInPlace() {
        func update(_ edit: (inout PortConfig) -> Void) -> [ConfigChange] {
            Self.plan { edit(&$0.ports[3]) }.changes
        }
        func change(_ fields: [String], _ summary: String) -> [ConfigChange] {
            [ConfigChange(action: .updatePort, target: "vm1", fields: fields, summary: "port vm1: " + summary)]
        }
        #expect(update { $0.admin = .down } == change(["admin"], "admin up → down"))
        #expect(update { $0.vlan = .access(vlan: 200) } == change(["vlan"], "vlan access 100 → access 200"))
        #expect(
            update {
                $0.vlan = .trunk(allowed: VLANSet([100] + Array(200...210)), native: 1)
                $0.staticMACs = []
            }
                == change(
                    ["vlan", "static-macs"],
                    "vlan access 100 → trunk [100,200-210] native 1; static-macs remove {mac: 52:54:00:12:34:56}"))
        #expect(
            update {
                $0.vlan = nil
                $0.staticMACs = []
            }
                == change(
                    ["vlan", "static-macs"],
                    "vlan access 100 → (unset: access 1); static-macs remove {mac: 52:54:00:12:34:56}"))
        #expect(update { $0.maxMACs = nil } == change(["max-macs"], "max-macs 16 → (unset)"))
        #expect(update { $0.maxMACs = 32 } == change(["max-macs"], "max-macs 16 → 32"))
        #expect(
            update { $0.portSecurity?.ipv4.append(IPv4Address(10, 0, 100, 6)) }
                == change(["port-security.ips"], "port-security.ips add 10.0.100.6"))
        #expect(
            update { $0.portSecurity?.ipv6 = [] }
                == change(["port-security.ips"], "port-security.ips remove fd00:100::5"))
        #expect(
            update {
                $0.portSecurity?.ipv4 = []
                $0.portSecurity?.ipv6 = []
            } == change(["port-security.ips"], "port-security.ips [10.0.100.5, fd00:100::5] → (unset)"))
        #expect(
            update { $0.portSecurity?.mac = EthernetAddress(rawValue: 0x5254_0000_0009) }
                == change(["port-security.mac"], "port-security.mac 52:54:00:12:34:56 → 52:54:00:00:00:09"))
        #expect(
            update { $0.portSecurity = nil }
                == change(
                    ["port-security"],
                    "port-security {mac: 52:54:00:12:34:56, ips: [10.0.100.5, fd00:100::5]} → (unset)"))
        #expect(
            update { $0.staticMACs = [StaticMACConfig(mac: Self.vmMAC, vlan: 100)] }
                == change(
                    ["static-macs"],
                    "static-macs add {mac: 52:54:00:12:34:56, vlan: 100}, remove {mac: 52:54:00:12:34:56}"))
    }

    @Test func bridgeSettingsOfATrunk() {
        let plan = Self.plan { config in
            config.ports[2].vlan = .trunk(allowed: VLANSet([100] + Array(200...220)), native: nil)
            config.ports[2].staticMACs.append(StaticMACConfig(mac: Self.uplinkMAC, vlan: 220))
        }
        #expect(
            plan.changes == [
                ConfigChange(
                    action: .updatePort, target: "uplink", fields: ["vlan", "static-macs"],
                    summary:
                        "port uplink: vlan trunk [100,200-210] native 1 → trunk [100,200-220]; static-macs add {mac: 02:00:00:00:02:01, vlan: 220}"
                )
            ])
    }

    @Test func addAndRemovePorts() {
        let plan = Self.plan { config in
            config.ports.removeAll { $0.name == "vm1" }
            config.ports.append(PortConfig(name: "vm2", devargs: "net_null4", vlan: .access(vlan: 100)))
        }
        #expect(
            plan.changes == [
                ConfigChange(action: .removePort, target: "vm1", summary: "remove port vm1 (net_null3)"),
                ConfigChange(action: .addPort, target: "vm2", summary: "add port vm2 (net_null4)"),
            ])
    }

    /// A port that keeps its name is the same port, even if everything about it changes.
    @Test func renamingIsRemovalAndAddition() {
        let plan = Self.plan { $0.ports[3].name = "vm9" }
        #expect(plan.changes.map(\.action) == [.removePort, .addPort])
        #expect(plan.changes.map(\.target) == ["vm1", "vm9"])
    }

    // MARK: l2 and patches

    @Test func l2SettingsUpdateInPlace() {
        let plan = Self.plan { config in
            config.l2.macAgingSeconds = 0
            config.l2.maxMACsPerPort = 100
        }
        #expect(
            plan.changes == [
                ConfigChange(
                    action: .updateL2, target: "l2", fields: ["mac-aging-seconds", "max-macs-per-port"],
                    summary: "l2: mac-aging-seconds 300 → 0; max-macs-per-port 4096 → 100")
            ])
        #expect(plan.needsRestart == [])
    }

    /// The periodic rebalancing's keys are the only eal keys that change in place; with another eal key in
    /// the same change, that one needs a restart.
    @Test func rxqRebalanceSettingsUpdateInPlace() {
        let plan = Self.plan { config in
            config.eal.rxqRebalanceInterval = 10
            config.eal.rxqRebalanceImprovement = 50
        }
        #expect(
            plan.changes == [
                ConfigChange(
                    action: .updateEAL, target: "eal", fields: ["rxq-rebalance-interval", "rxq-rebalance-improvement"],
                    summary: "eal: rxq-rebalance-interval 0 → 10; rxq-rebalance-improvement 25 → 50")
            ])
        #expect(plan.needsRestart == [])
        let mixed = Self.plan { config in
            config.eal.rxqRebalanceInterval = 10
            config.eal.mainLcore = 2
        }
        #expect(mixed.needsRestart == ["eal.main-lcore: 0 → 2"])
        #expect(mixed.changes.map(\.action) == [.updateEAL])
    }

    @Test func patchChanges() {
        let unpatch = Self.plan { $0.patches = [] }
        #expect(
            unpatch.changes == [
                ConfigChange(action: .updatePatches, target: "patches", summary: "patches: remove [tap0, tap1]")
            ])

        let repatch = Self.plan { config in
            config.ports.append(PortConfig(name: "tap4", devargs: "net_null4"))
            config.patches = [PatchPair("tap4", "tap1")]
        }
        #expect(
            repatch.changes == [
                ConfigChange(action: .addPort, target: "tap4", summary: "add port tap4 (net_null4)"),
                ConfigChange(
                    action: .updatePatches, target: "patches", summary: "patches: add [tap4, tap1], remove [tap0, tap1]"
                ),
            ])
    }

    // MARK: Order

    @Test func changesAreOrderedByActionThenPort() {
        var old = Self.base
        old.ports.append(PortConfig(name: "gone1", devargs: "net_null7"))
        old.ports.insert(PortConfig(name: "gone0", devargs: "net_null8"), at: 0)
        let plan = ConfigPlan.between(
            old,
            {
                var new = Self.base
                new.ports.reverse()  // new order: vm1, uplink, tap1, tap0
                new.ports.append(PortConfig(name: "new1", devargs: "net_null5"))
                new.ports.insert(PortConfig(name: "new0", devargs: "net_null6"), at: 0)
                new.patches = []
                new.l2.macAgingSeconds = 60
                new.eal.pmdCPUMask = 0x4
                new.ports[1].admin = .down  // vm1: update
                new.ports[2].mtu = 1400  // uplink: replace
                new.ports[3].admin = .down  // tap1: update
                new.ports[4].mtu = 1400  // tap0: replace
                new.ports[4].rxQueueAffinity = [2]
                return new
            }())
        #expect(
            plan.changes.map { "\($0.action.rawValue) \($0.target)" } == [
                "remove-port gone0", "remove-port gone1", "replace-port uplink", "replace-port tap0", "add-port new0",
                "add-port new1", "update-port vm1", "update-port tap1", "update-l2 l2", "update-patches patches",
            ])
        #expect(plan.changes[3].fields == ["mtu", "pmd-rxq-affinity"])
        #expect(plan.needsRestart == ["eal.pmd-cpu-mask: 0x2 → 0x4"])
        #expect(plan.changes.map(\.description) == plan.changes.map(\.summary))
    }

    /// Names that YAML or the summary notation would misread are quoted in summaries only when needed.
    @Test func summariesQuoteOnlyWhatNeedsIt() {
        let plan = Self.plan { config in
            config.ports.append(PortConfig(name: "yes", devargs: "net_null9,iface=#x"))
            config.eal.extraArgs = ["", "a,b", "a b", "plain"]
            config.eal.socketMem = "512,512"
        }
        #expect(plan.changes.map(\.summary) == ["add port yes (net_null9,iface=#x)"])
        #expect(
            plan.needsRestart == [
                "eal.socket-mem: (unset) → 512,512", #"eal.extra-args: [] → ["", "a,b", "a b", plain]"#,
            ])
    }
}
