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

    /// Ten tap ports of 128 rx descriptors fill 1280 mbufs; one PMD's burst is 32 more; the PMD's and the main
    /// lcore's mempool caches of 64 may each keep 96 (DPDK flushes a cache above 1.5 × its size): 1504 in all.
    /// The message names the first eight ports only.
    @Test func poolCountsTheLcoresCachesAndNamesAFewPorts() {
        func doc(mbufs: Int) -> String {
            Doc {
                $0.mempool = ["mbufs: \(mbufs)", "cache-size: 64"]
                $0.ports = (0..<10).map { ["name: t\($0)", "devargs: net_tap\($0)", "rx-descriptors: 128"] }
            }.yaml
        }
        expectSingleProblem(
            doc(mbufs: 1503), at: "mempool.mbufs",
            mentioning: [
                "they hold 1280 mbufs", "t0 128, t1 128", "t7 128 and 2 more ports", "mempool caches may keep 96",
                "1504 in all", "or mempool.cache-size",
            ])
        #expect(parsed(doc(mbufs: 1504)) != nil)
    }

    /// vhost-user ports fill no ring: rte_vhost's dequeue allocates a burst per call, within the PMD's burst.
    @Test func vhostUserPortsHoldNoMbufs() {
        let doc = Doc {
            $0.eal = ["pmd-cpu-mask: \"0x6\""]
            $0.mempool = ["mbufs: 1024", "cache-size: 256"]
            $0.ports = (0..<40).map {
                ["name: v\($0)", "type: vhost-user", "path: \"/tmp/rq-pool-\($0).sock\"", "queues: 2"]
            }
        }
        #expect(parsed(doc.yaml) != nil)
        let withTap = Doc {
            $0.eal = ["pmd-cpu-mask: \"0x6\""]
            $0.mempool = ["mbufs: 1024", "cache-size: 256"]
            $0.ports =
                (0..<40).map { ["name: v\($0)", "type: vhost-user", "path: \"/tmp/rq-pool-\($0).sock\"", "queues: 2"] }
                + [["name: tap", "devargs: net_tap0", "rx-queues: 2", "rx-descriptors: 64"]]
        }
        // 2 × 64 for the tap + 2 bursts of 32 + 3 caches of 384: the vhost-user ports add nothing.
        expectSingleProblem(withTap.yaml, at: "mempool.mbufs", mentioning: ["(tap 128)", "1344 in all"])
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
