import ControlProtocol
import SluiceMetrics
import Testing

// The VXLAN families for a fixed `vxlan.show` and `vxlan.neighbours`: golden sample lines and their HELP/TYPE.

@Suite struct VXLANMetricsTests {
    static let vxlan = VXLANStatus(
        configured: true, uplink: "uplink", address: "192.0.2.1/24", mac: "02:00:00:00:00:aa", mtu: 1500, ttl: 64,
        vnis: [
            VXLANVNIStatus(vni: 1000, vlan: 100, flood: ["192.0.2.2", "198.51.100.7"]),
            VXLANVNIStatus(vni: 2000, vlan: 200, flood: []),
        ],
        remotes: [
            VXLANRemoteStatus(
                address: "192.0.2.2", slot: 0, nextHop: "192.0.2.2", nextHopMAC: "02:00:00:00:00:02",
                state: "resolved", learnedMACs: 3, rxPackets: 6, rxDrops: 1, txPackets: 7, txDrops: 2),
            VXLANRemoteStatus(
                address: "198.51.100.7", slot: 1, nextHop: "192.0.2.254", nextHopMAC: nil, state: "unresolved",
                learnedMACs: 0, rxPackets: 0, rxDrops: 0, txPackets: 0, txDrops: 9),
        ],
        arpAnswered: 2, echoAnswered: 3, arpLearned: 4, arpRequestsSent: 5, puntIgnored: 6)
    static let neighbours = [
        UnderlayNeighbourStatus(address: "192.0.2.2", mac: "02:00:00:00:00:02", state: "reachable", ageSeconds: 1),
        UnderlayNeighbourStatus(address: "192.0.2.254", mac: nil, state: "incomplete", ageSeconds: nil),
    ]
    static let text = MetricFamilies.render(
        MetricsSnapshot(ports: [], stages: [], pmds: [], vlans: [], vxlan: vxlan, vxlanNeighbours: neighbours))

    @Test("per remote VTEP: rx/tx packets and drops, resolved state, learned MACs")
    func perVTEP() {
        expectLines(
            [
                #"sluice_vxlan_vtep_rx_packets_total{vtep="192.0.2.2"} 6"#,
                #"sluice_vxlan_vtep_rx_dropped_total{vtep="192.0.2.2"} 1"#,
                #"sluice_vxlan_vtep_tx_packets_total{vtep="192.0.2.2"} 7"#,
                #"sluice_vxlan_vtep_tx_dropped_total{vtep="192.0.2.2"} 2"#,
                #"sluice_vxlan_vtep_tx_dropped_total{vtep="198.51.100.7"} 9"#,
                #"sluice_vxlan_vtep_resolved{vtep="192.0.2.2"} 1.0"#,
                #"sluice_vxlan_vtep_resolved{vtep="198.51.100.7"} 0.0"#,
                #"sluice_vxlan_vtep_macs_learned{vtep="192.0.2.2"} 3.0"#,
                #"sluice_vxlan_vtep_macs_learned{vtep="198.51.100.7"} 0.0"#,
            ], in: Self.text)
        #expect(Self.text.contains("# TYPE sluice_vxlan_vtep_rx_packets_total counter"))
        #expect(Self.text.contains("# TYPE sluice_vxlan_vtep_resolved gauge"))
        #expect(Self.text.contains("# HELP sluice_vxlan_vtep_tx_packets_total Packets encapsulated to a remote VTEP"))
    }

    @Test("remote VTEPs by state, flood lists by VNI, neighbour cache by state, underlay counters")
    func countsAndUnderlay() {
        expectLines(
            [
                #"sluice_vxlan_remote_vteps{state="resolved"} 1.0"#,
                #"sluice_vxlan_remote_vteps{state="unresolved"} 1.0"#,
                #"sluice_vxlan_vni_flood_vteps{vni="1000",vlan="100"} 2.0"#,
                #"sluice_vxlan_vni_flood_vteps{vni="2000",vlan="200"} 0.0"#,
                #"sluice_vxlan_underlay_neighbours{state="reachable"} 1.0"#,
                #"sluice_vxlan_underlay_neighbours{state="refreshing"} 0.0"#,
                #"sluice_vxlan_underlay_neighbours{state="incomplete"} 1.0"#,
                "sluice_vxlan_underlay_arp_answered_total 2", "sluice_vxlan_underlay_echo_answered_total 3",
                "sluice_vxlan_underlay_arp_learned_total 4", "sluice_vxlan_underlay_arp_requests_total 5",
                "sluice_vxlan_underlay_punt_ignored_total 6",
            ], in: Self.text)
        #expect(Self.text.contains("# TYPE sluice_vxlan_underlay_neighbours gauge"))
    }

    @Test("without a vxlan section: no VXLAN samples")
    func notConfigured() {
        let text = MetricFamilies.render(
            MetricsSnapshot(ports: [], stages: [], pmds: [], vlans: [], vxlan: VXLANStatus(configured: false)))
        #expect(!text.contains("sluice_vxlan_"), "\(text)")
    }
}

/// Expects each of `lines` as a sample line (not a comment) of the exposition `text`.
func expectLines(_ lines: [String], in text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let samples = Set(text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") })
    for line in lines {
        #expect(samples.contains(line), "\(line) missing from:\n\(text)", sourceLocation: sourceLocation)
    }
}
