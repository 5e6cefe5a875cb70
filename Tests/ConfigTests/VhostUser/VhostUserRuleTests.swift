import Testing

@testable import Config

/// `type: vhost-user` ports: decoding, defaults, generated devargs and every rule.
@Suite struct VhostUserRuleTests {
    /// Port 1 of the test document as a vhost-user port.
    static func vhost(_ extra: [String] = [], path: String = "/run/sluice/vm1.sock") -> Doc {
        Doc { $0.ports[1] = ["name: vm1", "type: vhost-user", "path: \(path)"] + extra }
    }

    static let cases: [RuleCase] = [
        RuleCase(
            "type unknown", Doc { $0.ports[1].append("type: vhostuser") }, at: "ports[1].type",
            ["\"vhostuser\" is not one of dpdk, vhost-user (did you mean \"vhost-user\"?)"]),
        RuleCase(
            "path is required", Doc { $0.ports[1] = ["name: vm1", "type: vhost-user"] }, at: "ports[1].path",
            ["is required: the vhost-user socket's absolute path"]),
        RuleCase(
            "path relative", vhost(path: "vm1.sock"), at: "ports[1].path", ["\"vm1.sock\" is not an absolute path"]),
        RuleCase("path a directory", vhost(path: "/run/sluice/"), at: "ports[1].path", ["names a directory"]),
        RuleCase(
            "path too long", vhost(path: "/" + String(repeating: "p", count: 107)), at: "ports[1].path",
            ["is 108 bytes long; a Unix socket path can have at most 107 bytes"]),
        RuleCase(
            "path with a comma", vhost(path: "/run/a,b.sock"), at: "ports[1].path",
            ["\"/run/a,b.sock\" contains a comma", "DPDK device arguments cannot carry"]),
        RuleCase(
            "path with a space", vhost(path: "\"/run/a b.sock\""), at: "ports[1].path",
            ["contains a comma, an equals sign, whitespace"]),
        RuleCase("path not a string", vhost(path: "[a]"), at: "ports[1].path", ["expected a string, got a list"]),
        RuleCase(
            "path used twice",
            Doc {
                $0.ports[0] = ["name: vm0", "type: vhost-user", "path: /run/vm.sock"]
                $0.ports[1] = ["name: vm1", "type: vhost-user", "path: /run/vm.sock"]
            }, at: "ports[1].path", ["\"/run/vm.sock\" is already the socket of ports[0]"]),
        RuleCase(
            "path is the control socket",
            Doc {
                $0.control = ["socket: /run/sluice/ctl.sock"]
                $0.ports[1] = ["name: vm1", "type: vhost-user", "path: /run/sluice/ctl.sock"]
            }, at: "ports[1].path", ["is control.socket"]),
        RuleCase(
            "mode unknown", vhost(["mode: listen"]), at: "ports[1].mode", ["\"listen\" is not one of client, server"]),
        RuleCase("mode without value", vhost(["mode:"]), at: "ports[1].mode", ["has no value", "(client)"]),
        RuleCase("queues zero", vhost(["queues: 0"]), at: "ports[1].queues", ["0 is out of range 1...64"]),
        RuleCase("queues too many", vhost(["queues: 65"]), at: "ports[1].queues", ["65 is out of range 1...64"]),
        RuleCase(
            "queues quoted", vhost(["queues: \"2\""]), at: "ports[1].queues",
            ["expected an integer", "remove the quotes"]),
        RuleCase(
            "queues fewer than PMD threads",
            Doc {
                $0.eal = ["pmd-cpu-mask: \"0x6\""]
                $0.ports[1] = ["name: vm1", "type: vhost-user", "path: /run/vm1.sock"]
            }, at: "ports[1].queues",
            ["1 is fewer than the 2 PMD threads of eal.pmd-cpu-mask 0x6", "at least 2 queue pairs"]),
        RuleCase(
            "devargs with vhost-user", vhost(["devargs: \"net_vhost0,iface=/x\""]), at: "ports[1].devargs",
            ["is not used with type: vhost-user", "generates the net_vhost devargs"]),
        RuleCase(
            "rx-queues with vhost-user", vhost(["rx-queues: 2"]), at: "ports[1].rx-queues",
            ["is not used with type: vhost-user", "queues sets the queue pairs"]),
        RuleCase(
            "tx-queues with vhost-user", vhost(["tx-queues: 2"]), at: "ports[1].tx-queues",
            ["is not used with type: vhost-user"]),
        RuleCase(
            "path on a dpdk port", Doc { $0.ports[1].append("path: /run/x.sock") }, at: "ports[1].path",
            ["only applies to vhost-user ports; add type: vhost-user"]),
        RuleCase(
            "queues on a dpdk port", Doc { $0.ports[1].append("queues: 2") }, at: "ports[1].queues",
            ["only applies to vhost-user ports"]),
        RuleCase(
            "mode on an explicit dpdk port", Doc { $0.ports[1] += ["type: dpdk", "mode: client"] }, at: "ports[1].mode",
            ["only applies to vhost-user ports"]),
        RuleCase(
            "devargs still required for dpdk", Doc { $0.ports[1] = ["name: p1", "type: dpdk"] }, at: "ports[1].devargs",
            ["is required", "or type: vhost-user with a path"]),
        RuleCase(
            "affinity counts queue pairs", vhost(["queues: 2", "pmd-rxq-affinity: [1]"]),
            at: "ports[1].pmd-rxq-affinity",
            ["has 1 entry but ports[1].queues is 2"]),
        RuleCase(
            "generated device name collides with a devargs port",
            Doc {
                $0.ports[0] = ["name: p0", "devargs: \"net_vhost_vm1,iface=/tmp/x.sock\""]
                $0.ports[1] = ["name: vm1", "type: vhost-user", "path: /run/vm1.sock"]
            }, at: "ports[1].name",
            ["gives the vhost-user device the name \"net_vhost_vm1\", which ports[0] already uses"]),
    ]

    @Test(arguments: cases)
    func rule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    @Test func defaults() throws {
        let config = try #require(parsed(Self.vhost().yaml))
        let port = config.ports[1]
        #expect(port.type == .vhostUser)
        #expect(port.vhostUser == VhostUserConfig(path: "/run/sluice/vm1.sock", mode: .client, queues: 1))
        #expect(port.rxQueues == 1)
        #expect(port.devargs.isEmpty)
        #expect(port.resolvedDevargs == "net_vhost_vm1,iface=/run/sluice/vm1.sock,queues=1,client=1")
        #expect(port.deviceName == "net_vhost_vm1")
        #expect(!port.isPCI)
        #expect(config.ports[0].type == .dpdk)
        #expect(config.ports[0].resolvedDevargs == "net_null0")
        // Virtual devices are hot-plugged, never passed to EAL; the vhost library's chatter is turned down,
        // before extra-args so that the operator can turn it up again.
        let arguments = config.ealArguments(program: "sluiced")
        #expect(!arguments.contains { $0.contains("net_vhost") || $0.contains(".sock") })
        #expect(arguments.last == "--log-level=lib.vhost.config:warning")
        #expect(
            !Doc().yaml.isEmpty
                && parsed(Doc().yaml)?.ealArguments(program: "s").contains { $0.contains("vhost") } == false)
    }

    @Test func serverModeWithQueues() throws {
        let config = try #require(
            parsed(
                Doc {
                    $0.eal = ["pmd-cpu-mask: \"0x6\""]
                    $0.ports[1] = [
                        "name: vm1", "type: vhost-user", "path: /run/vm1.sock", "mode: server", "queues: 4",
                        "pmd-rxq-affinity: [1, 2, 1, 2]", "vlan: {mode: access, id: 100}",
                    ]
                }.yaml))
        let port = config.ports[1]
        #expect(port.vhostUser?.mode == .server)
        #expect(port.rxQueues == 4)
        #expect(port.effectiveTxQueues(pmdCount: config.pmdLcores.count) == 2)
        #expect(port.resolvedDevargs == "net_vhost_vm1,iface=/run/vm1.sock,queues=4")
        #expect(port.vlanMode == .access(vlan: 100))
    }

    @Test func deviceNames() {
        #expect(VhostUserConfig.deviceName(forPort: "vm1") == "net_vhost_vm1")
        #expect(VhostUserConfig.deviceName(forPort: "vm_1") == "net_vhost_vm_1")
        let dash = VhostUserConfig.deviceName(forPort: "vm-1")
        let dot = VhostUserConfig.deviceName(forPort: "vm.1")
        #expect(dash.hasPrefix("net_vhost_vm_1_") && dot.hasPrefix("net_vhost_vm_1_"))
        #expect(dash != dot)
        #expect(Devargs.isVirtualDeviceName(dash))
        let longest = VhostUserConfig.deviceName(forPort: String(repeating: "a.", count: 16))
        #expect(longest.count <= 63, "DPDK device names have at most 63 characters")
    }

    /// Configs built in code go through the same rules.
    @Test func programmaticRules() {
        var port = PortConfig.vhostUser(name: "vm1", path: "/run/vm1.sock", queues: 2)
        port.devargs = "net_null9"
        port.txQueues = 2
        port.rxQueues = 3
        let config = SluiceConfig(eal: EALConfig(pmdCPUMask: 0x2), ports: [port])
        #expect(throws: ConfigError.self) { try config.validate() }
        do {
            try config.validate()
        } catch {
            #expect(error.paths == ["ports[0].devargs", "ports[0].tx-queues", "ports[0].rx-queues"])
        }
        let good = SluiceConfig(
            eal: EALConfig(pmdCPUMask: 0x2),
            ports: [
                .vhostUser(name: "vm1", path: "/run/vm1.sock"),
                .vhostUser(name: "vm2", path: "/run/vm2.sock", mode: .server),
            ])
        #expect(throws: Never.self) { try good.validate() }
    }

    /// A vhost-user port without the keys a DPDK device needs is still a bridge port like any other.
    @Test func unknownTypeIsOneProblem() {
        let found = problems(Doc { $0.ports[1] = ["name: vm1", "type: virtio", "path: x", "queues: 0"] }.yaml)
        #expect(found.map(\.path) == ["ports[1].type"])
    }
}
