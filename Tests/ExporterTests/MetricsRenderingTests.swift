import ControlProtocol
import SluiceMetrics
import Testing

// The exposition text for a fixed snapshot: names, labels and values as Prometheus expects them. The live
// test (promtool check metrics on a running sluiced, counters against `sluicectl ports --json`) is in
// SystemTests.

@Suite struct MetricsRenderingTests {
    static let snapshot = MetricsSnapshot(
        ports: [
            PortStatus(
                name: "vm1", index: 0, dpdkPortID: 0, devargs: "net_tap0", driver: "net_tap", admin: "up",
                linkUp: true, linkSpeedMbps: 10000, mtu: 1500, macAddress: "02:00:00:00:00:01", rxQueues: 1,
                txQueues: 1,
                counters: PortCounterValues(rxPackets: 10, rxBytes: 1000, txPackets: 20, txBytes: 2000, txDropped: 3),
                driverStats: DriverStats(
                    rxPackets: 10, txPackets: 20, rxMissed: 4, rxErrors: 5, txErrors: 6, rxNoMbuf: 7),
                macLearning: PortMACLearning(learned: 2, limit: 100, limitReached: 8, tableFull: 9)),
            PortStatus(
                name: "vm2", index: 1, dpdkPortID: 1, devargs: "net_tap1", driver: "net_tap", admin: "down",
                linkUp: false, linkSpeedMbps: 0, mtu: 1500, macAddress: "02:00:00:00:00:02", rxQueues: 1,
                txQueues: 1, counters: PortCounterValues(), driverStats: nil),
        ],
        stages: [
            StageStatus(
                name: "vlan", calls: 4, packetsIn: 40, packetsOut: 38, cycles: 4000,
                drops: ["tagged-on-access": 2, "vlan-not-allowed": 0], events: [:]),
            StageStatus(
                name: "l2", calls: 4, packetsIn: 38, packetsOut: 38, cycles: 3000, drops: ["same-port": 0],
                events: ["learned": 2, "flooded": 5]),
        ],
        pmds: [
            PMDStatus(
                lcore: 1, numaSocket: 0, rxQueues: ["vm1/0"], iterations: 100, busyCycles: 600, idleCycles: 400,
                rxPackets: 40)
        ],
        vlans: [VLANStatus(vlan: 100, untaggedPorts: ["vm1", "vm2"], taggedPorts: [], macs: 2)])

    static let text = MetricFamilies.render(snapshot)

    /// The sample lines of the text (no comments), as a set.
    static var samples: Set<String> { Set(text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }) }

    @Test("port counters, by port, with the conventional names")
    func ports() {
        for line in [
            #"sluice_port_rx_packets_total{port="vm1"} 10"#, #"sluice_port_rx_bytes_total{port="vm1"} 1000"#,
            #"sluice_port_tx_packets_total{port="vm1"} 20"#, #"sluice_port_tx_bytes_total{port="vm1"} 2000"#,
            #"sluice_port_tx_dropped_total{port="vm1"} 3"#, #"sluice_port_rx_missed_total{port="vm1"} 4"#,
            #"sluice_port_rx_nombuf_total{port="vm1"} 7"#, #"sluice_port_up{port="vm1"} 1.0"#,
            #"sluice_port_up{port="vm2"} 0.0"#, #"sluice_port_admin_up{port="vm2"} 0.0"#,
            #"sluice_port_rx_packets_total{port="vm2"} 0"#,
        ] {
            #expect(Self.samples.contains(line), "\(line) missing from:\n\(Self.text)")
        }
        // No driver counters for a port without driver stats.
        #expect(!Self.text.contains(#"sluice_port_rx_missed_total{port="vm2"}"#))
    }

    @Test("drops by {stage,reason}, events, stage and PMD counters, MAC table occupancy, sluice_up")
    func stagesPMDsAndBridge() {
        for line in [
            #"sluice_stage_drops_total{stage="vlan",reason="tagged-on-access"} 2"#,
            #"sluice_stage_drops_total{stage="vlan",reason="vlan-not-allowed"} 0"#,
            #"sluice_stage_drops_total{stage="l2",reason="same-port"} 0"#,
            #"sluice_stage_events_total{stage="l2",event="flooded"} 5"#,
            #"sluice_stage_packets_in_total{stage="vlan"} 40"#, #"sluice_stage_cycles_total{stage="l2"} 3000"#,
            #"sluice_pmd_busy_cycles_total{lcore="1"} 600"#, #"sluice_pmd_idle_cycles_total{lcore="1"} 400"#,
            #"sluice_mac_table_entries{vlan="100"} 2.0"#, #"sluice_port_macs_learned{port="vm1"} 2.0"#,
            #"sluice_port_mac_limit{port="vm1"} 100.0"#, #"sluice_port_mac_limit_reached_total{port="vm1"} 8"#,
            "sluice_up 1.0",
        ] {
            #expect(Self.samples.contains(line), "\(line) missing from:\n\(Self.text)")
        }
        #expect(Self.text.contains("# TYPE sluice_stage_drops_total counter"))
        #expect(Self.text.contains("# TYPE sluice_mac_table_entries gauge"))
        #expect(Self.text.contains("# HELP sluice_port_rx_packets_total Packets received on a port."))
    }

    @Test("every family name follows the conventions: sluice_ prefix, counters end in _total, no duplicates")
    func names() {
        let names = MetricFamilies.all.map(\.name)
        #expect(Set(names).count == names.count)
        for family in MetricFamilies.all {
            #expect(family.name.hasPrefix("sluice_"))
            #expect(family.name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" })
            #expect((family.kind == .counter) == family.name.hasSuffix("_total"), "\(family.name)")
        }
    }

    @Test("sluiced unreachable: sluice_up 0 and nothing else")
    func down() {
        let text = MetricFamilies.renderDown()
        #expect(text.split(separator: "\n").filter { !$0.hasPrefix("#") } == ["sluice_up 0.0"])
    }
}
