import ControlProtocol

/// The DHCP responder (`dhcp.show`): each VLAN's pool use, ports and their clients by state; each port's
/// last lease; the replies by type and the requests not answered by reason. No samples without a `dhcp`
/// section.
let dhcpMetrics: [MetricFamily] = [
    dhcpNetwork("sluice_dhcp_pool_addresses", "Addresses in a VLAN's pool.", pools: true) { $0.poolSize },
    dhcpNetwork("sluice_dhcp_pool_allocated", "Addresses of a VLAN's pool given to auto ports.", pools: true) {
        $0.poolAllocated
    },
    dhcpNetwork(
        "sluice_dhcp_pool_quarantined", "Addresses of a VLAN's pool given up less than a lease time ago.", pools: true
    ) {
        $0.poolQuarantined
    },
    dhcpNetwork("sluice_dhcp_ports", "Ports with DHCP in a VLAN.") { $0.ports },
    MetricFamily(
        "sluice_dhcp_clients", .gauge,
        help: "Ports with DHCP in a VLAN by what their client last did (bound: holds a lease)."
    ) { snapshot in
        guard let dhcp = snapshot.dhcp else { return [] }
        return dhcp.networks.flatMap { network in
            dhcpClientStates.map { state in
                .init(
                    [.init("vlan", "\(network.vlan)"), .init("state", state)],
                    dhcp.ports.filter { $0.vlan == network.vlan && $0.state == state }.count)
            }
        }
    },
    MetricFamily(
        "sluice_dhcp_port_lease_seconds", .gauge, help: "The lease time of the last ACK with a lease on a port."
    ) { snapshot in
        (snapshot.dhcp?.ports ?? []).compactMap { port in
            port.leaseSeconds.map { .init([.init("port", port.port)], $0) }
        }
    },
    MetricFamily(
        "sluice_dhcp_port_lease_age_seconds", .gauge, help: "Time since the last ACK with a lease on a port."
    ) { snapshot in
        (snapshot.dhcp?.ports ?? []).compactMap { port in
            port.lastLeaseAgeSeconds.map { .init([.init("port", port.port)], $0) }
        }
    },
    MetricFamily("sluice_dhcp_replies_total", .counter, help: "Replies the DHCP responder sent, by type.") {
        snapshot in
        guard let dhcp = snapshot.dhcp, !dhcp.networks.isEmpty else { return [] }
        return dhcpReplies.map { .init([.init("type", $0)], dhcp.counters[$0] ?? 0) }
    },
    MetricFamily(
        "sluice_dhcp_client_messages_total", .counter, help: "DHCPRELEASE and DHCPDECLINE messages taken, by type."
    ) { snapshot in
        guard let dhcp = snapshot.dhcp, !dhcp.networks.isEmpty else { return [] }
        return dhcpClientMessages.map { .init([.init("type", $0)], dhcp.counters[$0] ?? 0) }
    },
    MetricFamily("sluice_dhcp_arp_answered_total", .counter, help: "ARP requests for a DHCP server answered.") {
        snapshot in
        guard let dhcp = snapshot.dhcp, !dhcp.networks.isEmpty else { return [] }
        return [.init([], dhcp.counters["arp-answered"] ?? 0)]
    },
    MetricFamily(
        "sluice_dhcp_refused_total", .counter,
        help: "Punted DHCP requests and ARP packets the responder did not answer, by reason (only reasons seen)."
    ) { snapshot in
        let answered = Set(dhcpReplies + dhcpClientMessages + ["arp-answered"])
        return (snapshot.dhcp?.counters ?? [:]).filter { !answered.contains($0.key) }.sorted { $0.key < $1.key }.map {
            .init([.init("reason", $0.key)], $0.value)
        }
    },
]

/// The client states of `dhcp.show` (docs/dhcp.md).
let dhcpClientStates = ["new", "offered", "bound", "nak", "released", "declined"]
/// The counters of `dhcp.show` that are replies, and client messages taken.
let dhcpReplies = ["offer", "ack", "nak"]
let dhcpClientMessages = ["release", "decline"]

/// A gauge per VLAN with DHCP (`pools`: only VLANs with a pool).
func dhcpNetwork(
    _ name: String, _ help: String, pools: Bool = false, _ value: @escaping @Sendable (DHCPNetworkStatus) -> Int
) -> MetricFamily {
    MetricFamily(name, .gauge, help: help) { snapshot in
        (snapshot.dhcp?.networks ?? []).filter { !pools || $0.pool != nil }.map {
            .init([.init("vlan", "\($0.vlan)")], value($0))
        }
    }
}
