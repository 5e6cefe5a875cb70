import Foundation
import Testing

@testable import Config

/// Problems with the document as a whole, its structure and its value types.
@Suite struct DocumentProblemTests {
    @Test(arguments: ["", "\n\n", "# only a comment\n", "~", "null"])
    func emptyDocument(yaml: String) {
        expectSingleProblem(yaml, at: "", mentioning: ["the configuration is empty"])
    }

    @Test func topLevelList() {
        expectSingleProblem(
            "- eal\n- ports\n", at: "",
            mentioning: ["expected a mapping of sections", "eal, mempool, control, l2, ports, patches", "got a list"])
    }

    @Test func topLevelScalar() {
        expectSingleProblem("hello", at: "", mentioning: ["got the string \"hello\""])
    }

    @Test func yamlSyntaxErrorHasLineAndColumn() {
        let found = problems("eal:\n  pmd-cpu-mask: \"0x2\"\nports: [unclosed\n")
        #expect(found.count == 1)
        #expect(found.first?.path == "")
        let message = found.first?.message ?? ""
        #expect(message.hasPrefix("YAML syntax error at line "), "\(message)")
        #expect(message.contains("column"))
        #expect(!message.contains("\n"), "one line per problem")
    }

    @Test func badIndentationIsASyntaxError() {
        let found = problems("eal:\n  pmd-cpu-mask: \"0x2\"\n main-lcore: 1\n")
        #expect(found.count == 1)
        #expect(found.first?.message.contains("line 3") == true, "\(found)")
    }

    @Test func duplicateKeyIsNamed() {
        let found = problems("eal:\n  pmd-cpu-mask: \"0x2\"\n  pmd-cpu-mask: \"0x4\"\nports: []\n")
        #expect(found.count == 1)
        #expect(found.first?.message.contains("duplicate key \"pmd-cpu-mask\"") == true, "\(found)")
        #expect(found.first?.message.contains("line 2") == true, "\(found)")
    }

    @Test func duplicateKeyWithDifferentTagIsNamed() {
        let found = problems("eal:\n  pmd-cpu-mask: \"0x2\"\n  !local pmd-cpu-mask: \"0x4\"\nports: []\n")
        #expect(found.map(\.path).first == "eal.pmd-cpu-mask", "\(found)")
        #expect(found.first?.message.contains("more than once") == true, "\(found)")
    }

    @Test func severalDocumentsAreRejected() {
        let found = problems(Doc().yaml + "---\n" + Doc().yaml)
        #expect(found.count == 1)
        #expect(
            found.first?.message
                == "a second YAML document starts at line 8, column 1; a configuration is a single document", "\(found)"
        )
    }

    @Test(arguments: ["[", "- ", "{a: "])
    func deepNestingIsAnErrorNotACrash(opening: String) {
        let found = problems(String(repeating: opening, count: 100_000))
        #expect(found.count == 1)
        #expect(found.first?.message.contains("Maximum nesting level") == true, "\(found)")
    }

    @Test func controlCharacterIsLocated() {
        expectSingleProblem(
            "eal:\n  pmd-cpu-mask: \"0x2\"\nports:\n  - name: \"é\u{1}\"\n", at: "",
            mentioning: ["cannot read the document at line 4, column 13: control characters are not allowed"])
    }

    @Test func undefinedAlias() {
        expectSingleProblem("eal: *nowhere\n", at: "", mentioning: ["line 1, column 6", "undefined alias"])
    }

    @Test func aliasesAreResolved() throws {
        let yaml = """
            eal:
              pmd-cpu-mask: "0x2"
              extra-args: &args ["--no-hpet"]
            ports:
              - name: p0
                devargs: net_null0
                pmd-rxq-affinity: &pmd [1]
              - name: p1
                devargs: net_null1
                pmd-rxq-affinity: *pmd
            """
        let config = try #require(parsed(yaml))
        #expect(config.ports.map(\.rxQueueAffinity) == [[1], [1]])
    }

    @Test func unknownKeySuggestsTheClosest() {
        expectSingleProblem(
            Doc { $0.ports[1].append("mut: 9000") }.yaml, at: "ports[1].mut",
            mentioning: [
                "unknown key \"mut\"", "did you mean \"mtu\"?",
                "allowed keys: name, type, devargs, path, mode, queues, rx-queues, tx-queues, rx-descriptors, tx-descriptors, mtu, admin, pmd-rxq-affinity, vlan, max-macs, port-security, static-macs",
            ])
    }

    @Test(arguments: [
        ("rx_queues", "rx-queues"), ("rxQueues", "rx-queues"), ("pmd-cpumask", "pmd-cpu-mask"),
        ("socket_mem", "socket-mem"), ("devarg", "devargs"), ("adimn", "admin"),
    ])
    func suggestionsForCommonSlips(typed: String, meant: String) {
        let allowed = ConfigKeys.port + ConfigKeys.eal
        #expect(KeySuggestion.closest(to: typed, among: allowed) == meant)
    }

    @Test func unknownKeyWithoutLikelyTypoHasNoSuggestion() {
        let found = problems(Doc { $0.eal.append("frobnicate: 1") }.yaml)
        #expect(found.map(\.path) == ["eal.frobnicate"])
        #expect(found.first?.message.contains("did you mean") == false)
        #expect(found.first?.message.contains("allowed keys: main-lcore, pmd-cpu-mask") == true)
    }

    @Test func unknownTopLevelKey() {
        expectSingleProblem(
            Doc().yaml + "port: {}\n", at: "port",
            mentioning: ["did you mean \"ports\"?", "allowed keys: eal, mempool, control, l2, ports, patches"])
    }

    @Test func mergeKeysAreExplained() {
        let yaml = """
            defaults: &defaults
              mtu: 1500
            """
        let found = problems(yaml + "\n" + Doc { $0.ports[0].append("<<: *defaults") }.yaml)
        #expect(found.map(\.path) == ["defaults", "ports[0].<<"])
        #expect(found.last?.message.contains("merge keys") == true)
    }

    @Test func nonScalarKey() {
        let found = problems(Doc().yaml + "? [a, b]\n: c\n")
        #expect(found.map(\.path) == [""])
        #expect(found.first?.message.contains("a list cannot be used as a key") == true, "\(found)")
    }

    static let wrongTypes: [RuleCase] = [
        RuleCase(
            "quoted number for an integer", Doc { $0.ports[0].append("mtu: \"1500\"") }, at: "ports[0].mtu",
            ["expected an integer, got the string \"1500\"; remove the quotes"]),
        RuleCase(
            "word for an integer", Doc { $0.mempool.append("mbufs: lots") }, at: "mempool.mbufs",
            ["expected an integer, got the string \"lots\""]),
        RuleCase(
            "float for an integer", Doc { $0.ports[0].append("mtu: 1500.5") }, at: "ports[0].mtu",
            ["expected an integer, got the number 1500.5"]),
        RuleCase(
            "boolean for an integer", Doc { $0.ports[0].append("rx-queues: yes") }, at: "ports[0].rx-queues",
            ["expected an integer, got the boolean yes"]),
        RuleCase(
            "list for an integer", Doc { $0.ports[0].append("mtu: [1500]") }, at: "ports[0].mtu",
            ["expected an integer, got a list"]),
        RuleCase(
            "mapping for an integer", Doc { $0.eal.append("main-lcore: {id: 1}") }, at: "eal.main-lcore",
            ["expected an integer, got a mapping"]),
        RuleCase(
            "integer too large", Doc { $0.ports[0].append("mtu: 99999999999999999999") }, at: "ports[0].mtu",
            ["99999999999999999999 is too large"]),
        RuleCase(
            "octal-looking integer", Doc { $0.ports[0].append("mtu: 01500") }, at: "ports[0].mtu",
            ["01500 is not a decimal integer"]),
        RuleCase(
            "key without value", Doc { $0.ports[0].append("mtu:") }, at: "ports[0].mtu",
            ["has no value", "default (1500)"]),
        RuleCase(
            "number for a string", Doc { $0.ports[1] = ["name: 123", "devargs: net_null1"] }, at: "ports[1].name",
            ["expected a string, got the integer 123", "put it in quotes (\"123\")"]),
        RuleCase(
            "list for a string", Doc { $0.eal.append("file-prefix: [a]") }, at: "eal.file-prefix",
            ["expected a string, got a list"]),
        RuleCase(
            "list for a section", Doc { $0.control = ["- socket"] }, at: "control",
            ["expected a mapping, got a list"]),
        RuleCase(
            "mapping for the port list",
            yaml: "eal:\n  pmd-cpu-mask: \"0x2\"\nports:\n  name: p0\n  devargs: net_null0\n",
            at: "ports", ["expected a list of ports, got a mapping"]),
        RuleCase(
            "string for a port", yaml: "eal:\n  pmd-cpu-mask: \"0x2\"\nports:\n  - p0\n", at: "ports[0]",
            ["expected a port mapping with name and devargs, got the string \"p0\""]),
        RuleCase(
            "string for extra-args", Doc { $0.eal.append("extra-args: --no-hpet") }, at: "eal.extra-args",
            ["expected a list of strings, got the string \"--no-hpet\""]),
        RuleCase(
            "number in extra-args", Doc { $0.eal.append("extra-args: [-n, 4]") }, at: "eal.extra-args[1]",
            ["expected a string, got the integer 4"]),
        RuleCase(
            "mapping for patches", Doc { $0.patches = ["p0: p1"] }, at: "patches",
            ["expected a list of port pairs like [tap0, tap1], got a mapping"]),
        RuleCase(
            "string for affinity", Doc { $0.ports[0].append("pmd-rxq-affinity: 1") }, at: "ports[0].pmd-rxq-affinity",
            ["expected a list of lcores, one per rx queue, got the integer 1"]),
        RuleCase(
            "string in affinity", Doc { $0.ports[0].append("pmd-rxq-affinity: [one]") },
            at: "ports[0].pmd-rxq-affinity[0]", ["expected an integer, got the string \"one\""]),
        RuleCase(
            "number for admin", Doc { $0.ports[0].append("admin: 1") }, at: "ports[0].admin",
            ["\"1\" is not one of up, down"]),
        RuleCase(
            "boolean for admin", Doc { $0.ports[0].append("admin: on") }, at: "ports[0].admin",
            ["\"on\" is not one of up, down"]),
    ]

    @Test(arguments: wrongTypes)
    func wrongType(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    @Test func everyProblemIsReportedInDocumentOrder() {
        let yaml = """
            eal:
              main-lcore: 70
              pmd-cpu-mask: 6
              memory: hugepages
            mempool:
              mbufs: "many"
            control:
              socket: relative.sock
            ports:
              - name: p0
                devargs: net_null0
                mtu: 70000
                colour: blue
              - name: p0
                devargs: net_null0
            patches:
              - [p0, p9]
            """
        let found = problems(yaml)
        #expect(
            found.map(\.path) == [
                "eal.main-lcore", "eal.pmd-cpu-mask", "eal.memory", "mempool.mbufs", "control.socket",
                "ports[0].mtu", "ports[0].colour", "ports[1].name", "ports[1].devargs", "patches[0][1]",
            ])
        #expect(found.first?.description == "eal.main-lcore: 70 is out of range 0...63")
        let error = ConfigError(problems: found)
        #expect(error.description.split(separator: "\n").count == found.count)
        #expect(error.description.contains("ports[0].mtu: 70000 is out of range 68...9600"))
        // Duplicate names are listed once.
        #expect(found.last?.message == "\"p9\" is not the name of a port; ports are: p0")
    }

    @Test func undecodableValuesDoNotCauseFollowUpProblems() {
        // A bad mbuf-data-size must not also produce an MTU complaint computed against the default, a bad
        // mask must not produce tx-queue or affinity complaints, and a bad port name must not make the
        // patch that names it "unknown".
        let found = problems(
            Doc {
                $0.eal = ["pmd-cpu-mask: \"0xZ\""]
                $0.mempool = ["mbuf-data-size: big"]
                $0.ports[0] += ["mtu: 9000", "tx-queues: 1", "pmd-rxq-affinity: [7]"]
                $0.ports[1] = ["name: [p1]", "devargs: net_null1"]
                $0.patches = ["- [p0, p1]"]
            }.yaml)
        #expect(found.map(\.path) == ["eal.pmd-cpu-mask", "mempool.mbuf-data-size", "ports[1].name"])
    }

    @Test func missingFileNamesThePath() {
        let path = "/nonexistent/sluice-\(getpid()).yaml"
        let error = #expect(throws: ConfigError.self) { try SluiceConfig.load(path: path) }
        #expect(error?.problems.count == 1)
        #expect(error?.problems.first?.path == "")
        #expect(error?.problems.first?.message == "cannot read configuration file \(path): no such file")
    }

    @Test func directoryIsNotAConfigFile() {
        let error = #expect(throws: ConfigError.self) { try SluiceConfig.load(path: NSTemporaryDirectory()) }
        #expect(
            error?.problems.first?.message.hasPrefix("cannot read configuration file") == true,
            "\(String(describing: error))")
    }

    @Test func endlessFileIsRefused() {
        let error = #expect(throws: ConfigError.self) { try SluiceConfig.load(path: "/dev/zero") }
        #expect(error?.problems.first?.message == "configuration file /dev/zero is larger than 16 MiB")
    }

    @Test func emptyFileIsEmptyConfiguration() {
        let error = #expect(throws: ConfigError.self) { try SluiceConfig.load(path: "/dev/null") }
        #expect(error?.problems.first?.message.hasPrefix("the configuration is empty") == true)
    }

    @Test func invalidUTF8IsReported() throws {
        let path = NSTemporaryDirectory() + "sluice-config-bad-utf8-\(getpid()).yaml"
        try Data([0x65, 0x61, 0x6c, 0x3a, 0xff, 0xfe, 0x0a]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ConfigError.self) { try SluiceConfig.load(path: path) }
        #expect(error?.problems.first?.message == "configuration file \(path) is not valid UTF-8")
    }
}
