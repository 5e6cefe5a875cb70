import Testing

@testable import Config

/// Configs built in code go through the same rules as parsed ones.
@Suite struct ProgrammaticConfigTests {
    @Test func defaultsAreValid() throws {
        let config = SluiceConfig(ports: [PortConfig(name: "a", devargs: "net_null0")])
        try config.validate()
        #expect(config.pmdLcores == [1])
    }

    @Test func everyProblemIsReported() {
        let config = SluiceConfig(
            eal: EALConfig(pmdCPUMask: 0, filePrefix: "bad prefix", memory: .noHuge(megabytes: 1)),
            control: ControlConfig(socketPath: "sluice.sock"),
            ports: [
                PortConfig(name: "a", devargs: "net_null0", mtu: 9000),
                PortConfig(name: "a", devargs: "tap1", txQueues: 0),
            ],
            patches: [PatchPair("a", "c")])
        let error = #expect(throws: ConfigError.self) { try config.validate() }
        #expect(
            error?.paths == [
                "eal.pmd-cpu-mask", "eal.file-prefix", "eal.no-huge-mb", "control.socket", "ports[0].mtu",
                "ports[1].name", "ports[1].devargs", "ports[1].tx-queues", "patches[0][1]",
            ])
    }

    @Test func problemDescription() {
        let problem = ConfigError.Problem(path: "ports[1].mtu", message: "70000 is out of range 68...9600")
        #expect(problem.description == "ports[1].mtu: 70000 is out of range 68...9600")
        #expect(
            ConfigError.Problem(path: "", message: "the configuration is empty").description
                == "the configuration is empty")
        let error = ConfigError(problems: [problem, problem])
        #expect(
            error.description
                == "ports[1].mtu: 70000 is out of range 68...9600\nports[1].mtu: 70000 is out of range 68...9600")
    }

    @Test func mutatedParsedConfigIsRevalidated() throws {
        var config = try #require(parsed(Doc().yaml))
        try config.validate()
        config.ports[1].rxQueueAffinity = [1, 1]
        let error = #expect(throws: ConfigError.self) { try config.validate() }
        #expect(error?.paths == ["ports[1].pmd-rxq-affinity"])
    }
}
