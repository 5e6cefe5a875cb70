import ControlProtocol

/// Per limited port and direction (`qos.show`): what passed, what was dropped (to-vm) and how long the port
/// was held back (from-vm). Ports without QoS have no samples.
let qosMetrics: [MetricFamily] = [
    qos("sluice_qos_passed_packets_total", "Packets a port's QoS buckets let through, by direction.") {
        $0.passedPackets
    },
    qos("sluice_qos_passed_bytes_total", "Bytes a port's QoS buckets let through, by direction.") { $0.passedBytes },
    qos("sluice_qos_dropped_packets_total", "Packets to a VM dropped for lack of tokens (to-vm only).") {
        $0.droppedPackets
    },
    qos("sluice_qos_dropped_bytes_total", "Bytes to a VM dropped for lack of tokens (to-vm only).") {
        $0.droppedBytes
    },
    MetricFamily(
        "sluice_qos_held_seconds_total", .counter,
        help: "Time a VM's rx queues were left alone because its from-vm buckets were empty (from-vm only)."
    ) { snapshot in
        snapshot.qos.map { .init(qosLabels($0), $0.heldSeconds) }
    },
]

func qosLabels(_ status: QoSDirectionStatus) -> [MetricFamily.Label] {
    [.init("port", status.port), .init("direction", status.direction)]
}

func qos(
    _ name: String, _ help: String, _ value: @escaping @Sendable (QoSDirectionStatus) -> UInt64
) -> MetricFamily {
    MetricFamily(name, .counter, help: help) { snapshot in snapshot.qos.map { .init(qosLabels($0), value($0)) } }
}
