import ControlProtocol

/// The connection table's occupancy (total, per port against the per-port limit, per state) and each
/// security-group rule's hits. Absent while no port has security groups (the table is then empty).
let securityGroupsMetrics: [MetricFamily] = [
    MetricFamily("sluice_conntrack_connections", .gauge, help: "Connections in the connection table.") { snapshot in
        snapshot.conntrack.map { [.init([], $0.connections)] } ?? []
    },
    MetricFamily(
        "sluice_conntrack_capacity", .gauge, help: "Connections the table can hold (conntrack.max-connections)."
    ) { snapshot in
        snapshot.conntrack.map { [.init([], $0.capacity)] } ?? []
    },
    MetricFamily(
        "sluice_conntrack_port_connections", .gauge,
        help: "Connections counted against a port's limit (conntrack.max-connections-per-port)."
    ) { snapshot in
        (snapshot.conntrack?.ports ?? [:]).sorted { $0.key < $1.key }.map { .init([.init("port", $0.key)], $0.value) }
    },
    MetricFamily("sluice_conntrack_state_connections", .gauge, help: "Connections in each tracking state.") {
        snapshot in
        (snapshot.conntrack?.states ?? [:]).sorted { $0.key < $1.key }.map { .init([.init("state", $0.key)], $0.value) }
    },
    MetricFamily(
        "sluice_sg_rule_hits_total", .counter,
        help: "New connections a security-group rule admitted (since the rule last changed)."
    ) { snapshot in
        snapshot.securityGroups.flatMap { group in
            group.rules.map { rule in
                .init(
                    [.init("group", group.name), .init("direction", rule.direction), .init("rule", rule.rule)],
                    rule.hits)
            }
        }
    },
]
