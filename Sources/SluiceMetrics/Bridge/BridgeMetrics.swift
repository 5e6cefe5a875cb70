import ControlProtocol

/// MAC table occupancy: entries per VLAN, learned MACs per port against the port's limit, and the learns
/// refused.
let bridgeMetrics: [MetricFamily] = [
    MetricFamily("sluice_mac_table_entries", .gauge, help: "MAC table entries (learned and static) in a VLAN.") {
        snapshot in
        snapshot.vlans.map { .init([.init("vlan", "\($0.vlan)")], $0.macs) }
    },
    learning("sluice_port_macs_learned", .gauge, "MACs currently learned on a port.") { UInt64($0.learned) },
    learning("sluice_port_mac_limit", .gauge, "The most MACs a port may learn (max-macs).") { UInt64($0.limit) },
    learning("sluice_port_mac_limit_reached_total", .counter, "Source MACs not learned: the port was at its limit.") {
        $0.limitReached
    },
    learning("sluice_port_mac_table_full_total", .counter, "Source MACs not learned: no room in the MAC table.") {
        $0.tableFull
    },
]

func learning(
    _ name: String, _ kind: MetricFamily.Kind, _ help: String, _ value: @escaping @Sendable (PortMACLearning) -> UInt64
) -> MetricFamily {
    MetricFamily(name, kind, help: help) { snapshot in
        snapshot.ports.compactMap { port in port.macLearning.map { .init([.init("port", port.name)], value($0)) } }
    }
}
