import Testing

@testable import Config

@Suite struct EALRuleTests {
    static let cases: [RuleCase] = [
        RuleCase(
            "main-lcore above 63", Doc { $0.eal.append("main-lcore: 64") }, at: "eal.main-lcore",
            ["64 is out of range 0...63"]),
        RuleCase(
            "negative main-lcore", Doc { $0.eal.append("main-lcore: -1") }, at: "eal.main-lcore",
            ["-1 is out of range 0...63"]),
        RuleCase(
            "pmd-cpu-mask is required", Doc { $0.eal = ["main-lcore: 0"] }, at: "eal.pmd-cpu-mask",
            ["is required", "quoted hex mask"]),
        RuleCase(
            "pmd-cpu-mask is required even without an eal section", Doc { $0.eal = [] }, at: "eal.pmd-cpu-mask",
            ["is required"]),
        RuleCase(
            "pmd-cpu-mask must not be zero", Doc { $0.eal = ["pmd-cpu-mask: \"0x0\""] }, at: "eal.pmd-cpu-mask",
            ["0x0 selects no lcore"]),
        RuleCase(
            "pmd-cpu-mask must not include main-lcore", Doc { $0.eal = ["main-lcore: 1", "pmd-cpu-mask: \"0x6\""] },
            at: "eal.pmd-cpu-mask", ["0x6 includes lcore 1, which is eal.main-lcore"]),
        RuleCase(
            "pmd-cpu-mask unquoted hex", Doc { $0.eal = ["pmd-cpu-mask: 0x2"] }, at: "eal.pmd-cpu-mask",
            ["must be a quoted hex string: write \"0x2\""]),
        RuleCase(
            "pmd-cpu-mask unquoted decimal-looking", Doc { $0.eal = ["pmd-cpu-mask: 10"] }, at: "eal.pmd-cpu-mask",
            ["must be a quoted hex string: write \"10\"", "10 would mean ten rather than 0x10"]),
        RuleCase(
            "pmd-cpu-mask not hex", Doc { $0.eal = ["pmd-cpu-mask: \"0x2g\""] }, at: "eal.pmd-cpu-mask",
            ["\"0x2g\" is not a hex mask"]),
        RuleCase(
            "pmd-cpu-mask only a prefix", Doc { $0.eal = ["pmd-cpu-mask: \"0x\""] }, at: "eal.pmd-cpu-mask",
            ["\"0x\" is not a hex mask"]),
        RuleCase(
            "pmd-cpu-mask wider than 64 bits", Doc { $0.eal = ["pmd-cpu-mask: \"0x10000000000000000\""] },
            at: "eal.pmd-cpu-mask", ["does not fit in 64 bits"]),
        RuleCase(
            "socket-mem with an empty entry", Doc { $0.eal.append("socket-mem: \"512,,512\"") }, at: "eal.socket-mem",
            ["\"512,,512\" is not a list of megabytes per NUMA socket", "positive integers separated by commas"]),
        RuleCase(
            "socket-mem zero", Doc { $0.eal.append("socket-mem: \"0\"") }, at: "eal.socket-mem",
            ["\"0\" is not a list of megabytes"]),
        RuleCase(
            "socket-mem with units", Doc { $0.eal.append("socket-mem: 512M") }, at: "eal.socket-mem",
            ["\"512M\" is not a list of megabytes"]),
        RuleCase(
            "socket-mem as a list", Doc { $0.eal.append("socket-mem: [512, 512]") }, at: "eal.socket-mem",
            ["expected megabytes per NUMA socket as a string like \"512\" or \"512,512\", got a list"]),
        RuleCase(
            "socket-mem with no-huge", Doc { $0.eal += ["socket-mem: \"512\"", "memory: no-huge"] },
            at: "eal.socket-mem",
            ["cannot be combined with eal.memory: no-huge"]),
        RuleCase(
            "file-prefix with a space", Doc { $0.eal.append("file-prefix: my prefix") }, at: "eal.file-prefix",
            ["\"my prefix\" is not a valid file prefix", "1 to 32 characters from A-Z, a-z, 0-9, _ and -"]),
        RuleCase(
            "file-prefix with a slash", Doc { $0.eal.append("file-prefix: a/b") }, at: "eal.file-prefix",
            ["\"a/b\" is not a valid file prefix"]),
        RuleCase(
            "file-prefix too long", Doc { $0.eal.append("file-prefix: \(String(repeating: "x", count: 33))") },
            at: "eal.file-prefix", ["is not a valid file prefix"]),
        RuleCase(
            "file-prefix empty", Doc { $0.eal.append("file-prefix: \"\"") }, at: "eal.file-prefix",
            ["\"\" is not a valid file prefix"]),
        RuleCase(
            "unknown memory mode", Doc { $0.eal.append("memory: hugepages") }, at: "eal.memory",
            ["\"hugepages\" is not one of huge-unlink, in-memory, no-huge"]),
        RuleCase(
            "memory mode typo", Doc { $0.eal.append("memory: in_memory") }, at: "eal.memory",
            ["did you mean \"in-memory\"?"]),
        RuleCase(
            "no-huge-mb too small", Doc { $0.eal += ["memory: no-huge", "no-huge-mb: 32"] }, at: "eal.no-huge-mb",
            ["32 is out of range 64...65536"]),
        RuleCase(
            "no-huge-mb too large", Doc { $0.eal += ["memory: no-huge", "no-huge-mb: 65537"] }, at: "eal.no-huge-mb",
            ["65537 is out of range 64...65536"]),
        RuleCase(
            "no-huge-mb with another mode", Doc { $0.eal += ["memory: in-memory", "no-huge-mb: 256"] },
            at: "eal.no-huge-mb", ["only applies with eal.memory: no-huge, but eal.memory is in-memory;"]),
        RuleCase(
            "no-huge-mb with the default mode", Doc { $0.eal.append("no-huge-mb: 256") }, at: "eal.no-huge-mb",
            ["but eal.memory is huge-unlink (the default)"]),
        RuleCase(
            "lcore-cpus maps an lcore Sluice does not run",
            Doc { $0.eal = ["pmd-cpu-mask: \"0x6\"", "lcore-cpus: {1: 1, 3: 1}"] }, at: "eal.lcore-cpus.3",
            ["lcore 3 is neither eal.main-lcore (0) nor a PMD lcore (eal.pmd-cpu-mask 0x6 selects lcores 1, 2)"]),
        RuleCase(
            "lcore-cpus lcore above 63", Doc { $0.eal.append("lcore-cpus: {64: 1}") }, at: "eal.lcore-cpus.64",
            ["lcore 64 is out of range 0...63"]),
        RuleCase(
            "lcore-cpus negative CPU", Doc { $0.eal.append("lcore-cpus: {1: -1}") }, at: "eal.lcore-cpus.1",
            ["CPU -1 is out of range 0...63"]),
        RuleCase(
            "lcore-cpus CPU above 63", Doc { $0.eal.append("lcore-cpus: {0: 0, 1: 64}") }, at: "eal.lcore-cpus.1",
            ["CPU 64 is out of range 0...63"]),
        RuleCase(
            "lcore-cpus quoted CPU", Doc { $0.eal.append("lcore-cpus: {1: \"1\"}") }, at: "eal.lcore-cpus.1",
            ["expected an integer, got the string \"1\"; remove the quotes"]),
        RuleCase(
            "lcore-cpus CPU missing", Doc { $0.eal.append("lcore-cpus: {1: null}") }, at: "eal.lcore-cpus.1",
            ["expected an integer, got no value (null)"]),
        RuleCase(
            "lcore-cpus as a list", Doc { $0.eal.append("lcore-cpus: [1, 1]") }, at: "eal.lcore-cpus",
            ["expected a mapping from lcore to CPU, e.g. {1: 1, 2: 1}, got a list"]),
        RuleCase(
            "lcore-cpus in EAL's own notation", Doc { $0.eal.append("lcore-cpus: \"1@1\"") }, at: "eal.lcore-cpus",
            ["expected a mapping from lcore to CPU", "got the string \"1@1\""]),
        RuleCase(
            "lcore-cpus negative lcore", Doc { $0.eal.append("lcore-cpus: {-1: 1}") }, at: "eal.lcore-cpus",
            ["the integer -1 is not an lcore: keys are lcore numbers in decimal"]),
        RuleCase(
            "lcore-cpus lcore by name", Doc { $0.eal.append("lcore-cpus: {pmd: 1}") }, at: "eal.lcore-cpus",
            ["the string \"pmd\" is not an lcore"]),
        RuleCase(
            "lcore-cpus lcore in hex", Doc { $0.eal.append("lcore-cpus: {0x1: 1}") }, at: "eal.lcore-cpus",
            ["0x1", "is not an lcore"]),
        RuleCase(
            "lcore-cpus lcore with a leading zero", Doc { $0.eal.append("lcore-cpus: {\"01\": 1}") },
            at: "eal.lcore-cpus", ["the string \"01\" is not an lcore"]),
        RuleCase(
            "lcore-cpus lcore given twice", Doc { $0.eal.append("lcore-cpus: {1: 1, \"1\": 0}") },
            at: "eal.lcore-cpus.1",
            ["maps lcore 1 a second time; each lcore may appear only once"]),
        // The lcore rule needs a usable mask: a bad mask is one problem, not two.
        RuleCase(
            "lcore-cpus with an empty mask", Doc { $0.eal = ["pmd-cpu-mask: \"0x0\"", "lcore-cpus: {1: 1}"] },
            at: "eal.pmd-cpu-mask", ["0x0 selects no lcore"]),
    ]

    @Test(arguments: cases)
    func rule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    /// Every option Sluice sets, in every spelling getopt would accept, with the key to use instead.
    @Test(arguments: [
        ("-l", "eal.main-lcore and eal.pmd-cpu-mask"), ("-l1-3", "eal.main-lcore and eal.pmd-cpu-mask"),
        ("-c", "eal.main-lcore and eal.pmd-cpu-mask"), ("-c0x3", "eal.main-lcore and eal.pmd-cpu-mask"),
        ("--lcores", "eal.main-lcore and eal.pmd-cpu-mask"), ("--lcores=1@2", "eal.main-lcore and eal.pmd-cpu-mask"),
        ("--main-lcore=2", "use eal.main-lcore"), ("--file-prefix", "use eal.file-prefix"),
        ("--file-prefix=other", "use eal.file-prefix"), ("--file-pre=other", "use eal.file-prefix"),
        ("--socket-mem=1024", "use eal.socket-mem"), ("-m", "eal.no-huge-mb"), ("-m512", "eal.no-huge-mb"),
        ("--no-huge", "eal.memory: no-huge"), ("--in-memory", "eal.memory: in-memory"),
        ("--huge-unlink", "eal.memory: huge-unlink"), ("--huge-unlink=never", "eal.memory: huge-unlink"),
        ("--vdev=net_null9", "ports[].devargs"), ("--vdev", "ports[].devargs"), ("-a", "ports[].devargs"),
        ("-a0000:01:00.0", "ports[].devargs"), ("--allow=0000:01:00.0", "ports[].devargs"), ("-b", "ports[].devargs"),
        ("--block", "ports[].devargs"), ("--no-pci", "ports[].devargs"), ("-vl1", "eal.main-lcore"),
        ("--lcores=0@0,1@1,2@1", "and eal.lcore-cpus to choose their CPUs"),
    ])
    func reservedExtraArgument(argument: String, replacement: String) {
        expectSingleProblem(
            Doc { $0.eal.append("extra-args: [\"--no-hpet\", \"\(argument)\"]") }.yaml, at: "eal.extra-args[1]",
            mentioning: ["\"\(argument)\" is an EAL option Sluice sets itself", replacement])
    }

    @Test func allowedExtraArgumentsPassValidation() throws {
        let arguments = [
            "--log-level=lib.eal:debug", "--log-level", "7", "-n", "4", "--socket-limit=2048", "--huge-dir=/mnt/huge",
            "--no-hpet", "--no-shconf", "--iova-mode=va", "-d", "/usr/lib/dpdk/pmds", "--no-telemetry", "-v",
            "--huge-worker-stack=1024",
        ]
        let list = arguments.map { "\"\($0)\"" }.joined(separator: ", ")
        let config = try #require(parsed(Doc { $0.eal.append("extra-args: [\(list)]") }.yaml))
        #expect(config.eal.extraArgs == arguments)
    }

    /// The main lcore and PMD lcores may be mapped, in any notation the document allows, onto one CPU.
    @Test func lcoreCPUsAccepted() throws {
        let yaml = Doc { $0.eal = ["main-lcore: 2", "pmd-cpu-mask: \"0x3\"", "lcore-cpus: {\"0\": 1, 1: 1, 2: 0}"] }
            .yaml
        let config = try #require(parsed(yaml))
        #expect(config.eal.lcoreCPUs == [0: 1, 1: 1, 2: 0])
        let json = #"""
            {"eal": {"pmd-cpu-mask": "0x6", "lcore-cpus": {"1": 1, "2": 1}},
             "ports": [{"name": "p", "devargs": "net_null0"}]}
            """#
        #expect(try #require(parsed(json)).eal.lcoreCPUs == [1: 1, 2: 1])
    }

    /// Configs built in code get the same rules, every problem at its own entry.
    @Test func lcoreCPUsRulesForConfigsBuiltInCode() {
        let config = SluiceConfig(
            eal: EALConfig(pmdCPUMask: 0x2, lcoreCPUs: [1: 1, 5: 0, 0: 99]),
            ports: [PortConfig(name: "p", devargs: "net_null0")])
        var problems: [ConfigError.Problem] = []
        do {
            try config.validate()
            Issue.record("an unrun lcore and an out-of-range CPU were accepted")
        } catch {
            problems = error.problems
        }
        #expect(problems.map(\.path) == ["eal.lcore-cpus.0", "eal.lcore-cpus.5"])
        #expect(problems.first?.message == "CPU 99 is out of range 0...63")
        #expect(problems.last?.message.hasPrefix("lcore 5 is neither eal.main-lcore (0) nor a PMD lcore") == true)
    }

    @Test func reservedOptionLookup() {
        #expect(EALOptions.reservedOption(in: "--file-prefix")?.configKey == "eal.file-prefix")
        // Ambiguous abbreviations make EAL fail by itself; they are not attributed to a reserved option.
        #expect(EALOptions.reservedOption(in: "--no-") == nil)
        #expect(EALOptions.reservedOption(in: "--socket-") == nil)
        #expect(EALOptions.reservedOption(in: "--in")?.configKey == "eal.memory: in-memory")
        #expect(EALOptions.reservedOption(in: "-n4") == nil)
        #expect(EALOptions.reservedOption(in: "-dl") == nil, "l is -d's argument here")
        #expect(EALOptions.reservedOption(in: "lib.eal:debug") == nil)
        #expect(EALOptions.reservedOption(in: "-") == nil)
    }
}
