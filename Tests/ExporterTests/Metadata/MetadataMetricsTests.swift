import ControlProtocol
import SluiceMetrics
import Testing

// The metadata families for a fixed `metadata.clients` and `metadata.nat`: golden sample lines and HELP/TYPE.

@Suite struct MetadataMetricsTests {
    static let clients = [
        MetadataClient(address: "169.254.100.2", port: "vm-a", instanceID: "i-aaa", vlan: 100),
        MetadataClient(address: "169.254.100.3", port: "vm-b", instanceID: "i-bbb", vlan: 100),
    ]
    static let nat = [
        entry("vm-a", guestPort: 40312, closing: false), entry("vm-a", guestPort: 40313, closing: false),
        entry("vm-a", guestPort: 40314, closing: true),
    ]
    static let text = MetricFamilies.render(
        MetricsSnapshot(ports: [], stages: [], pmds: [], vlans: [], metadataClients: clients, metadataNAT: nat))

    static func entry(_ port: String, guestPort: Int, closing: Bool) -> MetadataNATEntry {
        MetadataNATEntry(
            port: port, poolAddress: "169.254.100.2", guestPort: guestPort, guestAddress: "10.0.100.11",
            guestMAC: "02:00:00:00:00:aa", addressedMAC: "02:00:a9:fe:a9:fe", closing: closing, idleSeconds: 0.4)
    }

    @Test("served ports with their identity, NAT entries by port and state against the capacity")
    func clientsAndNAT() {
        expectLines(
            [
                "sluice_metadata_clients 2.0",
                #"sluice_metadata_client_info{port="vm-a",address="169.254.100.2",instance_id="i-aaa"} 1.0"#,
                #"sluice_metadata_client_info{port="vm-b",address="169.254.100.3",instance_id="i-bbb"} 1.0"#,
                #"sluice_metadata_nat_entries{port="vm-a",state="open"} 2.0"#,
                #"sluice_metadata_nat_entries{port="vm-a",state="closing"} 1.0"#,
                #"sluice_metadata_nat_entries{port="vm-b",state="open"} 0.0"#,
                #"sluice_metadata_nat_entries{port="vm-b",state="closing"} 0.0"#,
                #"sluice_metadata_nat_capacity{port="vm-a"} 256.0"#,
                #"sluice_metadata_nat_capacity{port="vm-b"} 256.0"#,
            ], in: Self.text)
        #expect(Self.text.contains("# TYPE sluice_metadata_nat_entries gauge"))
        #expect(Self.text.contains("# HELP sluice_metadata_clients VM ports the metadata intercept serves."))
    }

    @Test("without a metadata section: no metadata samples")
    func notConfigured() {
        let text = MetricFamilies.render(MetricsSnapshot(ports: [], stages: [], pmds: [], vlans: []))
        #expect(!text.contains("sluice_metadata_"), "\(text)")
    }
}
