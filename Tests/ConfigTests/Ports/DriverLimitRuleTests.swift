import Testing

@testable import Config

/// Limits of particular drivers, and ports that are one device under two names.
@Suite struct DriverLimitRuleTests {
    /// What start-up met as "rte_eth_dev_configure(port 0, 1 rx, 2 tx queues): Operation not permitted".
    @Test func tapNeedsAsManyRxAsTxQueues() {
        let doc = Doc {
            $0.eal = ["pmd-cpu-mask: \"0x6\""]
            $0.ports[0] = ["name: a", "devargs: net_tap0,iface=sla"]
        }
        expectSingleProblem(
            doc.yaml, at: "ports[0].rx-queues",
            mentioning: [
                "net_tap needs as many rx queues as tx queues", "ports[0].rx-queues is 1",
                "2 tx queues (one per PMD thread of eal.pmd-cpu-mask 0x6)", "set ports[0].rx-queues: 2",
            ])
        let explicit = Doc { $0.ports[0] = ["name: a", "devargs: net_tap0", "rx-queues: 2", "tx-queues: 3"] }
        expectSingleProblem(
            explicit.yaml, at: "ports[0].tx-queues", mentioning: ["ports[0].tx-queues is 3", "equal"])
        #expect(
            parsed(
                Doc {
                    $0.eal = ["pmd-cpu-mask: \"0x6\""]
                    $0.ports[0] = ["name: a", "devargs: net_tap0", "rx-queues: 2"]
                }.yaml) != nil)
        // Other drivers take any combination.
        #expect(parsed(Doc { $0.eal = ["pmd-cpu-mask: \"0x6\""] }.yaml) != nil)
    }

    @Test func twoTapPortsOnOneInterface() {
        let doc = Doc {
            $0.ports = [["name: a", "devargs: net_tap0,iface=sl0"], ["name: b", "devargs: net_tap_b,iface=sl0"]]
        }
        expectSingleProblem(
            doc.yaml, at: "ports[1].devargs",
            mentioning: ["tap interface \"sl0\"", "ports[0].devargs (\"net_tap0,iface=sl0\") already creates"])
        let distinct = Doc {
            $0.ports = [["name: a", "devargs: net_tap0,iface=sl0"], ["name: b", "devargs: net_tap1,iface=sl1"]]
        }
        #expect(parsed(distinct.yaml) != nil)
    }

    @Test func twoPcapPortsWritingOneFile() {
        let doc = Doc {
            $0.ports = [
                ["name: a", "devargs: net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap"],
                ["name: b", "devargs: net_pcap1,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/x/../out.pcap"],
            ]
        }
        expectSingleProblem(
            doc.yaml, at: "ports[1].devargs",
            mentioning: [
                "tx_pcap=\"/tmp/x/../out.pcap\" (the same file as \"/tmp/out.pcap\")",
                "ports[0].devargs tx_pcap=",
            ])
        let outputIsInput = Doc {
            $0.ports = [
                ["name: a", "devargs: net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/a.pcap"],
                ["name: b", "devargs: net_pcap1,rx_pcap=/tmp/a.pcap,tx_pcap=/tmp/b.pcap"],
            ]
        }
        expectSingleProblem(outputIsInput.yaml, at: "ports[1].devargs", mentioning: ["rx_pcap=\"/tmp/a.pcap\""])
        // Two ports may replay one trace.
        let sharedInput = Doc {
            $0.ports = [
                ["name: a", "devargs: net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/a.pcap"],
                ["name: b", "devargs: net_pcap1,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/b.pcap"],
            ]
        }
        #expect(parsed(sharedInput.yaml) != nil)
        // net_pcap opens a queue per repeated tx_pcap=: every one of them is a file the port writes.
        let repeatedOutput = Doc {
            $0.ports = [
                ["name: a", "devargs: net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/a.pcap,tx_pcap=/tmp/b.pcap"],
                ["name: b", "devargs: net_pcap1,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/a.pcap"],
            ]
        }
        expectSingleProblem(
            repeatedOutput.yaml, at: "ports[1].devargs", mentioning: ["tx_pcap=\"/tmp/a.pcap\"", "ports[0].devargs"])
    }
}
