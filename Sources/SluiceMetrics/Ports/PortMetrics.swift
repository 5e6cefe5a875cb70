import ControlProtocol

/// Per-port counters (sluiced's own, as `sluicectl ports` shows them), the drivers' error counters, and
/// the port's state.
let portMetrics: [MetricFamily] = [
    portCounter("sluice_port_rx_packets_total", "Packets received on a port.") { $0.counters.rxPackets },
    portCounter("sluice_port_rx_bytes_total", "Bytes received on a port.") { $0.counters.rxBytes },
    portCounter("sluice_port_tx_packets_total", "Packets sent on a port.") { $0.counters.txPackets },
    portCounter("sluice_port_tx_bytes_total", "Bytes sent on a port.") { $0.counters.txBytes },
    portCounter("sluice_port_tx_dropped_total", "Packets a port's tx queue did not take.") { $0.counters.txDropped },
    driverCounter("sluice_port_rx_missed_total", "Packets the device dropped: no rx descriptor (driver).") {
        $0.rxMissed
    },
    driverCounter("sluice_port_rx_errors_total", "Erroneous packets received (driver).") { $0.rxErrors },
    driverCounter("sluice_port_tx_errors_total", "Failed transmissions (driver).") { $0.txErrors },
    driverCounter("sluice_port_rx_nombuf_total", "Receive failures for want of an mbuf (driver).") { $0.rxNoMbuf },
    MetricFamily("sluice_port_up", .gauge, help: "1 if the port's link is up, else 0.") { snapshot in
        snapshot.ports.map { .init([.init("port", $0.name)], $0.linkUp ? 1 : 0) }
    },
    MetricFamily("sluice_port_admin_up", .gauge, help: "1 if the port is administratively up, else 0.") { snapshot in
        snapshot.ports.map { .init([.init("port", $0.name)], $0.admin == "up" ? 1 : 0) }
    },
]

func portCounter(_ name: String, _ help: String, _ value: @escaping @Sendable (PortStatus) -> UInt64) -> MetricFamily {
    MetricFamily(name, .counter, help: help) { snapshot in
        snapshot.ports.map { .init([.init("port", $0.name)], value($0)) }
    }
}

/// A driver counter, for the ports whose driver reports one (not failed ports).
func driverCounter(
    _ name: String, _ help: String, _ value: @escaping @Sendable (DriverStats) -> UInt64
) -> MetricFamily {
    MetricFamily(name, .counter, help: help) { snapshot in
        snapshot.ports.compactMap { port in port.driverStats.map { .init([.init("port", port.name)], value($0)) } }
    }
}
