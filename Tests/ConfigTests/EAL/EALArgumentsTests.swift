import Testing

@testable import Config

@Suite struct EALArgumentsTests {
    let tap = PortConfig(name: "tap0", devargs: "net_tap0,iface=sl0")
    let nic = PortConfig(name: "nic0", devargs: "0000:01:00.0,rxq_cqe_comp_en=0")
    let nic2 = PortConfig(name: "nic1", devargs: "02:00.1")

    @Test func hugeUnlinkWithoutPCIPorts() {
        let config = SluiceConfig(eal: EALConfig(pmdCPUMask: 0x2), ports: [tap])
        #expect(
            config.ealArguments(program: "sluiced") == [
                "sluiced", "-l", "0,1", "--main-lcore", "0", "--file-prefix", "sluice", "--huge-unlink", "--no-pci",
            ])
    }

    @Test func inMemoryWithPCIPortsSocketMemAndExtraArgs() {
        let config = SluiceConfig(
            eal: EALConfig(
                mainLcore: 2, pmdCPUMask: 0x30, socketMem: "512,512", filePrefix: "sl1", memory: .inMemory,
                extraArgs: ["--log-level", "lib.eal:debug"]),
            ports: [nic, tap, nic2])
        #expect(
            config.ealArguments(program: "/usr/bin/sluiced") == [
                "/usr/bin/sluiced", "-l", "2,4,5", "--main-lcore", "2", "--file-prefix", "sl1",
                "--socket-mem", "512,512", "--in-memory",
                "-a", "0000:01:00.0,rxq_cqe_comp_en=0", "-a", "02:00.1",
                "--log-level", "lib.eal:debug",
            ])
    }

    @Test func noHugeSizesMemory() {
        let config = SluiceConfig(eal: EALConfig(pmdCPUMask: 0x6, memory: .noHuge(megabytes: 256)), ports: [tap])
        #expect(
            config.ealArguments(program: "x") == [
                "x", "-l", "0,1,2", "--main-lcore", "0", "--file-prefix", "sluice", "--no-huge", "-m", "256",
                "--no-pci",
            ])
    }

    @Test func noHugeWithPCIPortAndExtraArgs() {
        let config = SluiceConfig(
            eal: EALConfig(pmdCPUMask: 0x2, memory: .noHuge(megabytes: 1024), extraArgs: ["--no-hpet"]), ports: [nic2])
        #expect(
            config.ealArguments(program: "x") == [
                "x", "-l", "0,1", "--main-lcore", "0", "--file-prefix", "sluice", "--no-huge", "-m", "1024",
                "-a", "02:00.1", "--no-hpet",
            ])
    }

    @Test func mainLcoreIsListedFirstAndOnce() {
        let config = SluiceConfig(eal: EALConfig(mainLcore: 3, pmdCPUMask: 0x8000_0000_0000_000e), ports: [tap])
        let arguments = config.ealArguments(program: "x")
        #expect(Array(arguments[1...4]) == ["-l", "3,1,2,63", "--main-lcore", "3"])
        // Not a valid config (mask includes main-lcore), but the argv still names each lcore once.
        let overlapping = SluiceConfig(eal: EALConfig(mainLcore: 1, pmdCPUMask: 0x6), ports: [tap])
        #expect(overlapping.ealArguments(program: "x")[2] == "1,2")
    }

    /// With `lcore-cpus`, `--lcores` replaces `-l`: the same lcores in the same order, each with its CPU.
    @Test func lcoreCPUsPlaceSeveralLcoresOnOneCPU() {
        let config = SluiceConfig(eal: EALConfig(pmdCPUMask: 0x6, lcoreCPUs: [1: 1, 2: 1]), ports: [tap])
        #expect(
            config.ealArguments(program: "sluiced") == [
                "sluiced", "--lcores", "0@0,1@1,2@1", "--main-lcore", "0", "--file-prefix", "sluice", "--huge-unlink",
                "--no-pci",
            ])
        #expect(!config.ealArguments(program: "sluiced").contains("-l"))
    }

    /// Unlisted lcores run on the CPU of their own number; the main lcore stays first and may be mapped too.
    @Test func lcoreCPUsMapTheMainLcoreAndLeaveOthersOnTheirOwnCPU() {
        let config = SluiceConfig(
            eal: EALConfig(mainLcore: 3, pmdCPUMask: 0x8000_0000_0000_0006, lcoreCPUs: [3: 0, 63: 1]), ports: [tap])
        #expect(
            Array(config.ealArguments(program: "x")[1...4]) == ["--lcores", "3@0,1@1,2@2,63@1", "--main-lcore", "3"])
    }

    @Test func lcoreCPUsFromParsedFile() throws {
        let yaml = Doc { $0.eal = ["pmd-cpu-mask: \"0x6\"", "lcore-cpus: {\"1\": 1, 2: 1}"] }.yaml
        let config = try #require(parsed(yaml))
        #expect(config.eal.lcoreCPUs == [1: 1, 2: 1])
        #expect(Array(config.ealArguments(program: "x")[1...2]) == ["--lcores", "0@0,1@1,2@1"])
        // Null and an empty mapping mean "not set": the arguments are those of a config without the key.
        for empty in ["lcore-cpus:", "lcore-cpus: {}"] {
            let unset = try #require(parsed(Doc { $0.eal = ["pmd-cpu-mask: \"0x6\"", empty] }.yaml))
            #expect(unset.eal.lcoreCPUs.isEmpty)
            #expect(Array(unset.ealArguments(program: "x")[1...2]) == ["-l", "0,1,2"])
        }
    }

    @Test func fromParsedFile() throws {
        let config = try #require(
            parsed(
                Doc {
                    $0.eal += ["socket-mem: \"256\"", "memory: in-memory", "extra-args: [\"--no-telemetry\"]"]
                }.yaml))
        #expect(
            config.ealArguments(program: "sluiced") == [
                "sluiced", "-l", "0,1", "--main-lcore", "0", "--file-prefix", "sluice", "--socket-mem", "256",
                "--in-memory", "--no-pci", "--no-telemetry",
            ])
    }
}
