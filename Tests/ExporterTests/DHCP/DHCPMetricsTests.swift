import ControlProtocol
import SluiceMetrics
import Testing

// The DHCP families for a fixed `dhcp.show`: golden sample lines and their HELP/TYPE.

@Suite struct DHCPMetricsTests {
    static let dhcp = DHCPStatus(
        networks: [
            DHCPNetworkStatus(
                vlan: 100, subnet: "10.0.100.0/24", server: "10.0.100.2", serverMAC: "02:00:00:00:01:00",
                pool: "10.0.100.100-10.0.100.199", poolSize: 100, poolAllocated: 2, poolQuarantined: 1, ports: 3),
            DHCPNetworkStatus(
                vlan: 200, subnet: "10.0.200.0/24", server: "10.0.200.2", serverMAC: "02:00:00:00:02:00", pool: nil,
                poolSize: 0, poolAllocated: 0, poolQuarantined: 0, ports: 1),
        ],
        ports: [
            port("vm1", vlan: 100, state: "bound", age: 12, lease: 86400),
            port("vm2", vlan: 100, state: "bound", age: 30.5, lease: 600),
            port("vm3", vlan: 100, state: "offered"),
            port("vm4", vlan: 200, state: "new"),
        ],
        counters: ["offer": 3, "ack": 2, "release": 1, "arp-answered": 4, "other-server": 5, "dhcp-reply-no-mbuf": 1])
    static let text = MetricFamilies.render(MetricsSnapshot(ports: [], stages: [], pmds: [], vlans: [], dhcp: dhcp))

    static func port(
        _ name: String, vlan: UInt16, state: String, age: Double? = nil, lease: Int? = nil
    ) -> DHCPPortStatus {
        DHCPPortStatus(
            port: name, vlan: vlan, mode: "auto", address: nil, state: state, clientMAC: nil, clientID: nil,
            hostname: nil, lastLeaseAgeSeconds: age, leaseSeconds: lease)
    }

    @Test("pool use and ports by VLAN (pool families only for VLANs with a pool), clients by VLAN and state")
    func poolsAndClients() {
        expectLines(
            [
                #"sluice_dhcp_pool_addresses{vlan="100"} 100.0"#,
                #"sluice_dhcp_pool_allocated{vlan="100"} 2.0"#,
                #"sluice_dhcp_pool_quarantined{vlan="100"} 1.0"#,
                #"sluice_dhcp_ports{vlan="100"} 3.0"#, #"sluice_dhcp_ports{vlan="200"} 1.0"#,
                #"sluice_dhcp_clients{vlan="100",state="bound"} 2.0"#,
                #"sluice_dhcp_clients{vlan="100",state="offered"} 1.0"#,
                #"sluice_dhcp_clients{vlan="100",state="new"} 0.0"#,
                #"sluice_dhcp_clients{vlan="200",state="new"} 1.0"#,
                #"sluice_dhcp_clients{vlan="200",state="bound"} 0.0"#,
                #"sluice_dhcp_port_lease_seconds{port="vm1"} 86400.0"#,
                #"sluice_dhcp_port_lease_age_seconds{port="vm2"} 30.5"#,
            ], in: Self.text)
        #expect(!Self.text.contains(#"sluice_dhcp_pool_addresses{vlan="200"}"#))
        #expect(!Self.text.contains(#"sluice_dhcp_port_lease_seconds{port="vm3"}"#))
        #expect(Self.text.contains("# TYPE sluice_dhcp_clients gauge"))
    }

    @Test("replies by type (0 when none), client messages, ARP answers, refusals by reason")
    func counters() {
        expectLines(
            [
                #"sluice_dhcp_replies_total{type="offer"} 3"#, #"sluice_dhcp_replies_total{type="ack"} 2"#,
                #"sluice_dhcp_replies_total{type="nak"} 0"#,
                #"sluice_dhcp_client_messages_total{type="release"} 1"#,
                #"sluice_dhcp_client_messages_total{type="decline"} 0"#,
                "sluice_dhcp_arp_answered_total 4",
                #"sluice_dhcp_refused_total{reason="other-server"} 5"#,
                #"sluice_dhcp_refused_total{reason="dhcp-reply-no-mbuf"} 1"#,
            ], in: Self.text)
        // Replies, client messages and ARP answers are not refusals.
        for answered in ["offer", "ack", "release", "arp-answered"] {
            #expect(!Self.text.contains(#"sluice_dhcp_refused_total{reason="\#(answered)"}"#))
        }
        #expect(Self.text.contains("# TYPE sluice_dhcp_refused_total counter"))
        #expect(Self.text.contains("# HELP sluice_dhcp_replies_total Replies the DHCP responder sent, by type."))
    }

    @Test("without a dhcp section: no DHCP samples")
    func notConfigured() {
        let text = MetricFamilies.render(
            MetricsSnapshot(
                ports: [], stages: [], pmds: [], vlans: [], dhcp: DHCPStatus(networks: [], ports: [], counters: [:])))
        #expect(!text.contains("sluice_dhcp_"), "\(text)")
    }
}
