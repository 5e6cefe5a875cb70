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
        vlans: [VLANStatus(vlan: 100, untaggedPorts: ["vm1", "vm2"], taggedPorts: [], macs: 2)],
        qos: [
            QoSDirectionStatus(
                port: "vm1", direction: "to-vm", buckets: [], passedPackets: 11, passedBytes: 1100, heldPolls: 0,
                heldSeconds: 0, droppedPackets: 3, droppedBytes: 300),
            QoSDirectionStatus(
                port: "vm2", direction: "from-vm", buckets: [], passedPackets: 12, passedBytes: 1200, heldPolls: 5,
                heldSeconds: 1.5, droppedPackets: 0, droppedBytes: 0),
        ],
        securityGroups: [
            SecurityGroupStatus(
                name: "web", members: ["vm1"],
                rules: [SecurityGroupRuleStatus(direction: "ingress", rule: "ipv4 tcp 22 from group admin", hits: 4)])
        ],
        conntrack: ConntrackStats(
            capacity: 1024, connections: 3, perPortLimit: 100, ports: ["vm1": 3],
            states: ["established": 2, "syn-sent": 1]))

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

    @Test("QoS by port and direction, conntrack occupancy by port and state, rule hits by group and rule")
    func qosAndSecurityGroups() {
        for line in [
            #"sluice_qos_passed_packets_total{port="vm1",direction="to-vm"} 11"#,
            #"sluice_qos_passed_bytes_total{port="vm2",direction="from-vm"} 1200"#,
            #"sluice_qos_dropped_packets_total{port="vm1",direction="to-vm"} 3"#,
            #"sluice_qos_dropped_bytes_total{port="vm1",direction="to-vm"} 300"#,
            #"sluice_qos_held_seconds_total{port="vm2",direction="from-vm"} 1.5"#,
            "sluice_conntrack_connections 3.0", "sluice_conntrack_capacity 1024.0",
            #"sluice_conntrack_port_connections{port="vm1"} 3.0"#,
            #"sluice_conntrack_state_connections{state="established"} 2.0"#,
            #"sluice_conntrack_state_connections{state="syn-sent"} 1.0"#,
            #"sluice_sg_rule_hits_total{group="web",direction="ingress",rule="ipv4 tcp 22 from group admin"} 4"#,
        ] {
            #expect(Self.samples.contains(line), "\(line) missing from:\n\(Self.text)")
        }
        // A snapshot without the feature sections (no QoS, no connection table): no such samples.
        let bare = MetricFamilies.render(
            MetricsSnapshot(ports: Self.snapshot.ports, stages: [], pmds: [], vlans: []))
        #expect(!bare.contains("sluice_qos_") && !bare.contains("sluice_conntrack_connections "))
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
