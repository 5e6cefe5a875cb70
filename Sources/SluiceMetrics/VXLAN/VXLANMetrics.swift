import ControlProtocol

/// The VXLAN tunnel endpoint (`vxlan.show`, `vxlan.neighbours`): each remote VTEP's packets and drops, its
/// next hop's state and the MACs learned behind it; the remote VTEPs by state and each VNI's flood list; the
/// underlay's ARP cache by state and the underlay handler's counters. No samples without a `vxlan` section.
let vxlanMetrics: [MetricFamily] = [
    vxlanRemote("sluice_vxlan_vtep_rx_packets_total", .counter, "Packets decapsulated from a remote VTEP.") {
        $0.rxPackets
    },
    vxlanRemote(
        "sluice_vxlan_vtep_rx_dropped_total", .counter,
        "Tunnel packets from a remote VTEP the decap stage dropped (a VNI not configured)."
    ) { $0.rxDrops },
    vxlanRemote(
        "sluice_vxlan_vtep_tx_packets_total", .counter,
        "Packets encapsulated to a remote VTEP (unicast and flood copies)."
    ) { $0.txPackets },
    vxlanRemote("sluice_vxlan_vtep_tx_dropped_total", .counter, "Frames for a remote VTEP the encap stage dropped.") {
        $0.txDrops
    },
    vxlanRemote(
        "sluice_vxlan_vtep_resolved", .gauge, "1 if a remote VTEP's next hop is resolved, else 0 (its packets drop)."
    ) { $0.state == "resolved" ? 1 : 0 },
    vxlanRemote(
        "sluice_vxlan_vtep_macs_learned", .gauge, "MACs learned behind a remote VTEP (static ones not included)."
    ) {
        UInt64(clamping: $0.learnedMACs)
    },
    MetricFamily("sluice_vxlan_remote_vteps", .gauge, help: "Remote VTEPs, by next-hop state.") { snapshot in
        guard let vxlan = configuredVXLAN(snapshot) else { return [] }
        return ["resolved", "unresolved"].map { state in
            .init([.init("state", state)], vxlan.remotes.filter { $0.state == state }.count)
        }
    },
    MetricFamily(
        "sluice_vxlan_vni_flood_vteps", .gauge, help: "Remote VTEPs in a VNI's flood list, with the VLAN it extends."
    ) { snapshot in
        (configuredVXLAN(snapshot)?.vnis ?? []).map {
            .init([.init("vni", "\($0.vni)"), .init("vlan", "\($0.vlan)")], $0.flood.count)
        }
    },
    MetricFamily(
        "sluice_vxlan_underlay_neighbours", .gauge, help: "Entries of the underlay's ARP cache, by state."
    ) { snapshot in
        guard configuredVXLAN(snapshot) != nil else { return [] }
        return ["reachable", "refreshing", "incomplete"].map { state in
            .init([.init("state", state)], snapshot.vxlanNeighbours.filter { $0.state == state }.count)
        }
    },
    vxlanUnderlay("sluice_vxlan_underlay_arp_answered_total", "Underlay ARP requests for the local VTEP answered.") {
        $0.arpAnswered
    },
    vxlanUnderlay("sluice_vxlan_underlay_echo_answered_total", "ICMP echo requests to the local VTEP answered.") {
        $0.echoAnswered
    },
    vxlanUnderlay("sluice_vxlan_underlay_arp_learned_total", "Underlay ARP packets the neighbour cache learned from.") {
        $0.arpLearned
    },
    vxlanUnderlay("sluice_vxlan_underlay_arp_requests_total", "ARP requests sent for next hops.") {
        $0.arpRequestsSent
    },
    vxlanUnderlay("sluice_vxlan_underlay_punt_ignored_total", "Packets punted to the underlay handler and ignored.") {
        $0.puntIgnored
    },
]

/// `vxlan.show` when a `vxlan` section is configured.
func configuredVXLAN(_ snapshot: MetricsSnapshot) -> VXLANStatus? {
    guard let vxlan = snapshot.vxlan, vxlan.configured else { return nil }
    return vxlan
}

func vxlanRemote(
    _ name: String, _ kind: MetricFamily.Kind, _ help: String,
    _ value: @escaping @Sendable (VXLANRemoteStatus) -> UInt64
) -> MetricFamily {
    MetricFamily(name, kind, help: help) { snapshot in
        (configuredVXLAN(snapshot)?.remotes ?? []).map { .init([.init("vtep", $0.address)], value($0)) }
    }
}

func vxlanUnderlay(_ name: String, _ help: String, _ value: @escaping @Sendable (VXLANStatus) -> UInt64) -> MetricFamily
{
    MetricFamily(name, .counter, help: help) { snapshot in
        configuredVXLAN(snapshot).map { [.init([], value($0))] } ?? []
    }
}
