import Testing

@testable import Config

/// The packet pool against the rings that fill from it and the memory it lives in.
@Suite struct PoolSizeRuleTests {
    /// Two tap ports of 1024 rx descriptors fill 2048 mbufs at start; one PMD needs a burst more.
    @Test func poolMustFillTheRxRingsOfTapPorts() {
        let doc = Doc {
            $0.mempool = ["mbufs: 2047", "cache-size: 0"]
            $0.ports = [["name: a", "devargs: net_tap0"], ["name: b", "devargs: net_tap1"]]
        }
        expectSingleProblem(
            doc.yaml, at: "mempool.mbufs",
            mentioning: ["2047 cannot fill the ports' rings", "a 1024, b 1024", "2080 in all", "rx-descriptors"])
        let enough = Doc {
            $0.mempool = ["mbufs: 2080", "cache-size: 0"]
            $0.ports = [["name: a", "devargs: net_tap0"], ["name: b", "devargs: net_tap1"]]
        }
        #expect(parsed(enough.yaml) != nil)
    }

    /// Physical NICs hold rx and tx descriptors' buffers; virtual devices that copy hold none.
    @Test func pciPortsCountBothRings() {
        let doc = Doc {
            $0.eal = ["pmd-cpu-mask: \"0x6\""]
            $0.mempool = ["mbufs: 3135", "cache-size: 0"]
            $0.ports = [["name: nic", "devargs: \"0000:01:00.0\"", "rx-descriptors: 1024", "tx-descriptors: 1024"]]
        }
        // 1 rx queue × 1024 + 2 tx queues (one per PMD) × 1024 + 2 bursts of 32.
        expectSingleProblem(doc.yaml, at: "mempool.mbufs", mentioning: ["nic 3072", "3136 in all"])
        let nulls = Doc { $0.mempool = ["mbufs: 1024", "cache-size: 0"] }
        #expect(parsed(nulls.yaml) != nil, "net_null holds no mbufs")
    }

    @Test func noHugeMemoryMustHoldThePool() {
        // 32767 × (2048 + 128 + 192) bytes = 74 MiB.
        let doc = Doc {
            $0.eal += ["memory: no-huge", "no-huge-mb: 64"]
            $0.mempool = ["mbufs: 32767"]
        }
        expectSingleProblem(
            doc.yaml, at: "eal.no-huge-mb",
            mentioning: ["64 MiB cannot hold the packet pool", "is 74 MiB", "raise eal.no-huge-mb above 74"])
        #expect(
            parsed(
                Doc {
                    $0.eal += ["memory: no-huge", "no-huge-mb: 75"]
                    $0.mempool = ["mbufs: 32767"]
                }.yaml) != nil)
    }

    @Test func socketMemMustHoldThePoolOnOneSocket() {
        let doc = Doc {
            $0.eal.append("socket-mem: \"32,32\"")
            $0.mempool = ["mbufs: 16383"]
        }
        expectSingleProblem(
            doc.yaml, at: "eal.socket-mem",
            mentioning: ["gives at most 32 MiB to one NUMA socket", "is 37 MiB", "raise eal.socket-mem above 37"])
        #expect(parsed(Doc { $0.eal.append("socket-mem: \"32,64\"") }.yaml) != nil)
    }
}
