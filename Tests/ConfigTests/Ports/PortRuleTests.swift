import Testing

@testable import Config

@Suite struct PortRuleTests {
    static let cases: [RuleCase] = [
        RuleCase(
            "ports is required", yaml: "eal:\n  pmd-cpu-mask: \"0x2\"\n", at: "ports",
            ["is required: a list of 1 to 1024 ports"]),
        RuleCase("ports without value", yaml: "eal:\n  pmd-cpu-mask: \"0x2\"\nports:\n", at: "ports", ["is required"]),
        RuleCase(
            "ports empty", yaml: "eal:\n  pmd-cpu-mask: \"0x2\"\nports: []\n", at: "ports",
            ["has no entries; list 1 to 1024 ports"]),
        RuleCase(
            "too many ports",
            Doc { doc in
                doc.ports = (0...1024).map { ["name: p\($0)", "type: vhost-user", "path: /run/sluice/p\($0).sock"] }
            }, at: "ports", ["has 1025 entries; at most 1024 ports are supported"]),
        RuleCase(
            "name is required", Doc { $0.ports[1] = ["devargs: net_null1"] }, at: "ports[1].name",
            ["is required: the port's name"]),
        RuleCase(
            "name with a space", Doc { $0.ports[1][0] = "name: p 1" }, at: "ports[1].name",
            ["\"p 1\" is not a valid port name", "starting with a letter or digit"]),
        RuleCase(
            "name starting with a dash", Doc { $0.ports[1][0] = "name: \"-p1\"" }, at: "ports[1].name",
            ["\"-p1\" is not a valid port name"]),
        RuleCase(
            "name too long", Doc { $0.ports[1][0] = "name: \(String(repeating: "n", count: 33))" }, at: "ports[1].name",
            ["is not a valid port name", "1 to 32 characters"]),
        RuleCase(
            "name not unique", Doc { $0.ports[1][0] = "name: p0" }, at: "ports[1].name",
            ["\"p0\" is already the name of ports[0]; port names must be unique"]),
        RuleCase(
            "devargs is required", Doc { $0.ports[1] = ["name: p1"] }, at: "ports[1].devargs",
            ["is required: DPDK device arguments"]),
        RuleCase(
            "devargs empty", Doc { $0.ports[1][1] = "devargs: \"\"" }, at: "ports[1].devargs",
            ["is empty; give DPDK device arguments"]),
        RuleCase(
            "devargs with whitespace", Doc { $0.ports[1][1] = "devargs: \"net_null1, size=64\"" },
            at: "ports[1].devargs",
            ["\"net_null1, size=64\" contains whitespace"]),
        RuleCase(
            "virtual device without net_", Doc { $0.ports[1][1] = "devargs: tap1,iface=x" }, at: "ports[1].devargs",
            ["\"tap1\" is neither a PCI address nor a virtual device", "must start with \"net_\""]),
        RuleCase(
            "net_ without driver", Doc { $0.ports[1][1] = "devargs: net_" }, at: "ports[1].devargs",
            ["\"net_\" is not a valid virtual device name"]),
        RuleCase(
            "virtual device name with a dash", Doc { $0.ports[1][1] = "devargs: net_null-1" }, at: "ports[1].devargs",
            ["\"net_null-1\" is not a valid virtual device name"]),
        RuleCase(
            "PCI address without function", Doc { $0.ports[1][1] = "devargs: \"0000:01:00\"" }, at: "ports[1].devargs",
            ["\"0000:01:00\" is not a valid PCI address", "e.g. \"0000:01:00.0\""]),
        RuleCase(
            "PCI device number above 0x1f", Doc { $0.ports[1][1] = "devargs: \"0000:01:20.0\"" },
            at: "ports[1].devargs",
            ["\"0000:01:20.0\" is not a valid PCI address"]),
        RuleCase(
            "PCI function above 7", Doc { $0.ports[1][1] = "devargs: \"01:00.8\"" }, at: "ports[1].devargs",
            ["\"01:00.8\" is not a valid PCI address"]),
        RuleCase(
            "stray comma", Doc { $0.ports[1][1] = "devargs: \"net_null1,,size=64\"" }, at: "ports[1].devargs",
            ["has an empty argument"]),
        RuleCase(
            "trailing comma", Doc { $0.ports[1][1] = "devargs: \"net_null1,\"" }, at: "ports[1].devargs",
            ["has an empty argument"]),
        RuleCase(
            "device used twice", Doc { $0.ports[1][1] = "devargs: \"net_null0,size=64\"" }, at: "ports[1].devargs",
            ["device \"net_null0\" is already used by ports[0]"]),
        RuleCase(
            "PCI device used twice in different spellings",
            Doc {
                $0.ports[0][1] = "devargs: \"0000:3B:00.0\""
                $0.ports[1][1] = "devargs: \"3b:00.0,txq_inline=128\""
            }, at: "ports[1].devargs", ["device \"3b:00.0\" is already used by ports[0]"]),
        RuleCase(
            "rx-queues zero", Doc { $0.ports[1].append("rx-queues: 0") }, at: "ports[1].rx-queues",
            ["0 is out of range 1...64"]),
        RuleCase(
            "rx-queues too many", Doc { $0.ports[1].append("rx-queues: 65") }, at: "ports[1].rx-queues",
            ["65 is out of range 1...64"]),
        RuleCase(
            "tx-queues zero", Doc { $0.ports[1].append("tx-queues: 0") }, at: "ports[1].tx-queues",
            ["0 is out of range 1...64"]),
        RuleCase(
            "tx-queues too many", Doc { $0.ports[1].append("tx-queues: 65") }, at: "ports[1].tx-queues",
            ["65 is out of range 1...64"]),
        RuleCase(
            "tx-queues fewer than PMD threads",
            Doc {
                $0.eal = ["pmd-cpu-mask: \"0x6\""]
                $0.ports[1].append("tx-queues: 1")
            }, at: "ports[1].tx-queues",
            ["1 is fewer than the 2 PMD threads of eal.pmd-cpu-mask 0x6", "DPDK tx queues are not thread-safe"]),
        RuleCase(
            "rx-descriptors not a power of two", Doc { $0.ports[1].append("rx-descriptors: 1000") },
            at: "ports[1].rx-descriptors", ["1000 is not a power of two"]),
        RuleCase(
            "rx-descriptors too few", Doc { $0.ports[1].append("rx-descriptors: 32") }, at: "ports[1].rx-descriptors",
            ["32 is out of range 64...32768"]),
        RuleCase(
            "tx-descriptors not a power of two", Doc { $0.ports[1].append("tx-descriptors: 768") },
            at: "ports[1].tx-descriptors", ["768 is not a power of two"]),
        RuleCase(
            "tx-descriptors too many", Doc { $0.ports[1].append("tx-descriptors: 65536") },
            at: "ports[1].tx-descriptors",
            ["65536 is out of range 64...32768"]),
        RuleCase(
            "mtu too small", Doc { $0.ports[1].append("mtu: 67") }, at: "ports[1].mtu", ["67 is out of range 68...9600"]
        ),
        RuleCase(
            "mtu too large", Doc { $0.ports[1].append("mtu: 70000") }, at: "ports[1].mtu",
            ["70000 is out of range 68...9600"]),
        RuleCase(
            "mtu does not fit the mbuf", Doc { $0.ports[1].append("mtu: 2023") }, at: "ports[1].mtu",
            [
                "2023 needs 2049-byte mbufs", "mempool.mbuf-data-size is 2048",
                "raise mempool.mbuf-data-size to at least 2049 or lower ports[1].mtu",
            ]),
        RuleCase(
            "jumbo mtu needs larger mbufs", Doc { $0.ports[1].append("mtu: 9000") }, at: "ports[1].mtu",
            ["9000 needs 9026-byte mbufs"]),
        RuleCase(
            "admin unknown", Doc { $0.ports[1].append("admin: enabled") }, at: "ports[1].admin",
            ["\"enabled\" is not one of up, down"]),
        RuleCase(
            "admin capitalised", Doc { $0.ports[1].append("admin: Up") }, at: "ports[1].admin",
            ["\"Up\" is not one of up, down (did you mean \"up\"?)"]),
        RuleCase(
            "affinity with too many entries", Doc { $0.ports[1].append("pmd-rxq-affinity: [1, 1]") },
            at: "ports[1].pmd-rxq-affinity", ["has 2 entries but ports[1].rx-queues is 1", "one lcore per rx queue"]),
        RuleCase(
            "affinity with too few entries", Doc { $0.ports[1] += ["rx-queues: 2", "pmd-rxq-affinity: [1]"] },
            at: "ports[1].pmd-rxq-affinity", ["has 1 entry but ports[1].rx-queues is 2"]),
        RuleCase(
            "affinity to a non-PMD lcore",
            Doc {
                $0.eal = ["pmd-cpu-mask: \"0x6\""]
                $0.ports[1] += ["rx-queues: 2", "pmd-rxq-affinity: [2, 3]"]
            }, at: "ports[1].pmd-rxq-affinity[1]", ["3 is not a PMD lcore: eal.pmd-cpu-mask 0x6 selects lcores 1, 2"]),
        RuleCase(
            "affinity to the main lcore", Doc { $0.ports[1].append("pmd-rxq-affinity: [0]") },
            at: "ports[1].pmd-rxq-affinity[0]", ["0 is not a PMD lcore", "selects lcore 1"]),
        RuleCase(
            "affinity out of any mask", Doc { $0.ports[1].append("pmd-rxq-affinity: [200]") },
            at: "ports[1].pmd-rxq-affinity[0]", ["200 is not a PMD lcore"]),
    ]

    @Test(arguments: cases)
    func rule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    @Test func devargsClassification() {
        #expect(PortConfig(name: "a", devargs: "0000:01:00.0").isPCI)
        #expect(PortConfig(name: "a", devargs: "01:00.1,foo=bar").isPCI)
        #expect(PortConfig(name: "a", devargs: "0000:AF:1f.7").isPCI)
        #expect(!PortConfig(name: "a", devargs: "net_tap0,iface=x").isPCI)
        #expect(!PortConfig(name: "a", devargs: "1:00.0").isPCI)
        #expect(!PortConfig(name: "a", devargs: "0000:01:00.0.1").isPCI)
        #expect(PortConfig(name: "a", devargs: "net_pcap0,rx_pcap=/tmp/a,b").deviceName == "net_pcap0")
        #expect(PortConfig(name: "a", devargs: "net_null0").deviceName == "net_null0")
        #expect(Devargs.pciAddress("3B:00.0") == "0000:3b:00.0")
    }

    @Test func effectiveTxQueues() {
        #expect(PortConfig(name: "a", devargs: "net_null0").effectiveTxQueues(pmdCount: 3) == 3)
        #expect(PortConfig(name: "a", devargs: "net_null0", txQueues: 5).effectiveTxQueues(pmdCount: 3) == 5)
    }

    @Test func enoughTxQueuesForEveryPMD() throws {
        let config = try #require(
            parsed(
                Doc {
                    $0.eal = ["pmd-cpu-mask: \"0xe\""]
                    $0.ports[0].append("tx-queues: 3")
                }.yaml))
        #expect(config.pmdLcores == [1, 2, 3])
        #expect(config.ports[0].effectiveTxQueues(pmdCount: config.pmdLcores.count) == 3)
        #expect(config.ports[1].effectiveTxQueues(pmdCount: config.pmdLcores.count) == 3)
    }
}
