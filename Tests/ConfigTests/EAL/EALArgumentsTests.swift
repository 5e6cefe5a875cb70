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
