import Testing

@testable import Config

@Suite struct MempoolControlRuleTests {
    static let cases: [RuleCase] = [
        RuleCase(
            "mbufs too few", Doc { $0.mempool = ["mbufs: 1023"] }, at: "mempool.mbufs",
            ["1023 is out of range 1024...4194304"]),
        RuleCase(
            "mbufs too many", Doc { $0.mempool = ["mbufs: 4194305"] }, at: "mempool.mbufs",
            ["4194305 is out of range 1024...4194304"]),
        RuleCase(
            "cache-size too large", Doc { $0.mempool = ["cache-size: 513"] }, at: "mempool.cache-size",
            ["513 is out of range 0...512"]),
        RuleCase(
            "cache-size negative", Doc { $0.mempool = ["cache-size: -1"] }, at: "mempool.cache-size",
            ["-1 is out of range 0...512"]),
        RuleCase(
            "mbuf-data-size too small", Doc { $0.mempool = ["mbuf-data-size: 1023"] }, at: "mempool.mbuf-data-size",
            ["1023 is out of range 1024...16384"]),
        RuleCase(
            "mbuf-data-size too large", Doc { $0.mempool = ["mbuf-data-size: 16385"] }, at: "mempool.mbuf-data-size",
            ["16385 is out of range 1024...16384"]),
        RuleCase(
            "socket must be absolute", Doc { $0.control = ["socket: run/sluice.sock"] }, at: "control.socket",
            ["\"run/sluice.sock\" is not an absolute path"]),
        RuleCase(
            "socket must fit sun_path", Doc { $0.control = ["socket: /\(String(repeating: "s", count: 107))"] },
            at: "control.socket", ["is 108 bytes long; a Unix socket path can have at most 107 bytes"]),
        RuleCase(
            "socket must name a file", Doc { $0.control = ["socket: /run/sluice/"] }, at: "control.socket",
            ["\"/run/sluice/\" names a directory"]),
        RuleCase(
            "socket-group empty", Doc { $0.control = ["socket-group: \"\""] }, at: "control.socket-group",
            ["\"\" is not a valid group name"]),
        RuleCase(
            "socket-group with a space", Doc { $0.control = ["socket-group: net ops"] }, at: "control.socket-group",
            ["\"net ops\" is not a valid group name"]),
        RuleCase(
            "socket-mode unquoted", Doc { $0.control = ["socket-mode: 0660"] }, at: "control.socket-mode",
            ["must be a quoted octal string: write \"0660\""]),
        RuleCase(
            "socket-mode unquoted without leading zero", Doc { $0.control = ["socket-mode: 660"] },
            at: "control.socket-mode",
            ["must be a quoted octal string: write \"0660\""]),
        RuleCase(
            "socket-mode not octal", Doc { $0.control = ["socket-mode: \"0680\""] }, at: "control.socket-mode",
            ["\"0680\" is not an octal permission mode like \"0660\""]),
        RuleCase(
            "socket-mode with special bits", Doc { $0.control = ["socket-mode: \"4770\""] }, at: "control.socket-mode",
            ["\"04770\" has bits outside 0777"]),
        RuleCase(
            "pmd-stall-timeout-seconds zero", Doc { $0.control = ["pmd-stall-timeout-seconds: 0"] },
            at: "control.pmd-stall-timeout-seconds", ["0 is out of range 1...3600"]),
        RuleCase(
            "pmd-stall-timeout-seconds too long", Doc { $0.control = ["pmd-stall-timeout-seconds: 3601"] },
            at: "control.pmd-stall-timeout-seconds", ["3601 is out of range 1...3600"]),
        RuleCase(
            "pmd-stall-timeout-seconds not an integer", Doc { $0.control = ["pmd-stall-timeout-seconds: 2.5"] },
            at: "control.pmd-stall-timeout-seconds", ["integer"]),
        RuleCase(
            "rxq-rebalance-interval negative", Doc { $0.eal += ["rxq-rebalance-interval: -1"] },
            at: "eal.rxq-rebalance-interval", ["-1 is out of range 0...86400"]),
        RuleCase(
            "rxq-rebalance-interval over a day", Doc { $0.eal += ["rxq-rebalance-interval: 86401"] },
            at: "eal.rxq-rebalance-interval", ["86401 is out of range 0...86400"]),
        RuleCase(
            "rxq-rebalance-interval not an integer", Doc { $0.eal += ["rxq-rebalance-interval: 1.5"] },
            at: "eal.rxq-rebalance-interval", ["integer"]),
        RuleCase(
            "rxq-rebalance-improvement zero", Doc { $0.eal += ["rxq-rebalance-improvement: 0"] },
            at: "eal.rxq-rebalance-improvement", ["0 is out of range 1...100"]),
        RuleCase(
            "rxq-rebalance-improvement over 100", Doc { $0.eal += ["rxq-rebalance-improvement: 101"] },
            at: "eal.rxq-rebalance-improvement", ["101 is out of range 1...100"]),
    ]

    @Test(arguments: cases)
    func rule(_ rule: RuleCase) {
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    /// Periodic rx queue rebalancing is off by default; both keys are read as written, at their bounds too.
    @Test func rxqRebalanceKeys() throws {
        let defaults = try #require(parsed(Doc().yaml))
        #expect(defaults.eal.rxqRebalanceInterval == 0)
        #expect(defaults.eal.rxqRebalanceImprovement == 25)
        let set = try #require(
            parsed(Doc { $0.eal += ["rxq-rebalance-interval: 86400", "rxq-rebalance-improvement: 1"] }.yaml))
        #expect(set.eal.rxqRebalanceInterval == 86400)
        #expect(set.eal.rxqRebalanceImprovement == 1)
        let other = try #require(
            parsed(Doc { $0.eal += ["rxq-rebalance-interval: 5", "rxq-rebalance-improvement: 100"] }.yaml))
        #expect(other.eal.rxqRebalanceInterval == 5)
        #expect(other.eal.rxqRebalanceImprovement == 100)
    }

    /// Within the ranges cache-size × 1.5 <= mbufs always holds, so DPDK's rule is only visible next to
    /// an out-of-range pool size; it is still reported, because its fix differs.
    @Test func cacheLargerThanPoolAllows() {
        let found = problems(Doc { $0.mempool = ["mbufs: 700", "cache-size: 512"] }.yaml)
        #expect(found.map(\.path) == ["mempool.mbufs", "mempool.cache-size"])
        #expect(found.last?.message.contains("512 needs a pool of at least 768 mbufs") == true, "\(found)")
        #expect(found.last?.message.contains("mempool.mbufs is 700") == true)
        #expect(problems(Doc { $0.mempool = ["mbufs: 768", "cache-size: 512"] }.yaml).map(\.path) == ["mempool.mbufs"])
    }

    @Test func cacheRuleOnProgrammaticConfig() {
        var config = SluiceConfig(ports: [PortConfig(name: "a", devargs: "net_null0")])
        config.mempool = MempoolConfig(mbufs: 100, cacheSize: 100)
        let error = #expect(throws: ConfigError.self) { try config.validate() }
        #expect(error?.paths == ["mempool.mbufs", "mempool.cache-size"])
    }
}
