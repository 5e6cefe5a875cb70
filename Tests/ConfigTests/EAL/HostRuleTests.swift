import Testing

@testable import Config

/// Rules against the machine, fed deterministic `HostFacts`: the same documents pass without them.
@Suite struct HostRuleTests {
    /// A two-CPU machine on which this process may run on both.
    static let twoCPUs = HostFacts(cpuCount: 2, allowedCPUs: [0, 1], filePrefixesInUse: [:])

    func problems(_ doc: Doc, host: HostFacts) -> [ConfigError.Problem] {
        #expect((try? SluiceConfig.parse(yaml: doc.yaml)) != nil, "valid without host facts")
        do {
            _ = try SluiceConfig.parse(yaml: doc.yaml, host: host)
            Issue.record("expected problems with \(host)")
            return []
        } catch {
            return error.problems
        }
    }

    func expectOne(_ doc: Doc, host: HostFacts = twoCPUs, at path: String, _ fragments: [String]) {
        let found = problems(doc, host: host)
        #expect(found.count == 1, "\(found)")
        guard let problem = found.first else { return }
        #expect(problem.path == path, "\(problem)")
        for fragment in fragments { #expect(problem.message.contains(fragment), "\(fragment) not in \(problem)") }
    }

    @Test func lcoresOnCPUsThatExistAndAreAllowedPass() throws {
        let doc = Doc { $0.eal = ["main-lcore: 0", "pmd-cpu-mask: \"0x6\"", "lcore-cpus: {2: 1}"] }
        _ = try SluiceConfig.parse(yaml: doc.yaml, host: Self.twoCPUs)
    }

    @Test func pmdLcoreOnAMissingCPU() {
        expectOne(
            Doc { $0.eal = ["pmd-cpu-mask: \"0x4\""] }, at: "eal.pmd-cpu-mask",
            ["0x4 selects lcore 2, which runs on CPU 2", "this machine has 2 CPUs (CPUs 0-1)", "eal.lcore-cpus"])
    }

    @Test func mainLcoreOnAMissingCPU() {
        expectOne(
            Doc { $0.eal = ["main-lcore: 5", "pmd-cpu-mask: \"0x2\""] }, at: "eal.main-lcore",
            ["lcore 5 runs on CPU 5", "this machine has 2 CPUs"])
    }

    @Test func lcoreMappedToAMissingCPU() {
        expectOne(
            Doc { $0.eal = ["pmd-cpu-mask: \"0x6\"", "lcore-cpus: {1: 1, 2: 7}"] }, at: "eal.lcore-cpus.2",
            ["maps lcore 2 to CPU 7", "this machine has 2 CPUs"])
    }

    @Test func lcoreOutsideTheAffinity() {
        let host = HostFacts(cpuCount: 8, allowedCPUs: [0, 1, 2, 3, 6], filePrefixesInUse: [:])
        expectOne(
            Doc { $0.eal = ["pmd-cpu-mask: \"0x20\""] }, host: host, at: "eal.pmd-cpu-mask",
            [
                "0x20 selects lcore 5, which runs on CPU 5; this process may not run there",
                "CPU affinity allows CPUs 0-3,6", "taskset",
            ])
        // Mapping the lcore onto an allowed CPU is the fix the message names.
        let mapped = Doc { $0.eal = ["pmd-cpu-mask: \"0x20\"", "lcore-cpus: {5: 6}"] }
        #expect((try? SluiceConfig.parse(yaml: mapped.yaml, host: host)) != nil)
    }

    @Test func unknownFactsCheckNothing() throws {
        let doc = Doc { $0.eal = ["main-lcore: 40", "pmd-cpu-mask: \"0x8000000000\""] }
        _ = try SluiceConfig.parse(yaml: doc.yaml, host: .unknown)
    }

    @Test func filePrefixOfARunningProcess() {
        let host = HostFacts(cpuCount: 2, allowedCPUs: [0, 1], filePrefixesInUse: ["sluice": 4242, "other": 7])
        expectOne(
            Doc(), host: host, at: "eal.file-prefix",
            ["\"sluice\" is in use: process 4242", "/var/run/dpdk/sluice/config", "choose another eal.file-prefix"])
        // in-memory processes share no runtime directory, so EAL does not contend for it.
        let inMemory = Doc { $0.eal.append("memory: in-memory") }
        #expect((try? SluiceConfig.parse(yaml: inMemory.yaml, host: host)) != nil)
    }

    @Test func cpuListNotation() {
        #expect(Validator.listText([0, 1, 2, 3, 6, 8, 9]) == "CPUs 0-3,6,8-9")
        #expect(Validator.listText([4]) == "CPU 4")
    }
}
