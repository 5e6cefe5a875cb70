import ControlProtocol

/// Stages (from `stage.list`: every stage, its drop reasons and events by name) and PMD threads.
let coreMetrics: [MetricFamily] = [
    stageCounter("sluice_stage_calls_total", "Bursts a stage processed.") { $0.calls },
    stageCounter("sluice_stage_packets_in_total", "Packets that entered a stage.") { $0.packetsIn },
    stageCounter("sluice_stage_packets_out_total", "Packets a stage passed on (transmit: sent).") { $0.packetsOut },
    stageCounter("sluice_stage_cycles_total", "TSC cycles spent in a stage (sampled estimate).") { $0.cycles },
    MetricFamily("sluice_stage_drops_total", .counter, help: "Packets a stage dropped, by reason.") { snapshot in
        snapshot.stages.flatMap { stage in
            stage.drops.sorted { $0.key < $1.key }.map { reason, count in
                .init([.init("stage", stage.name), .init("reason", reason)], count)
            }
        }
    },
    MetricFamily("sluice_stage_events_total", .counter, help: "Events a stage counted (learned, flooded, ...).") {
        snapshot in
        snapshot.stages.flatMap { stage in
            stage.events.sorted { $0.key < $1.key }.map { event, count in
                .init([.init("stage", stage.name), .init("event", event)], count)
            }
        }
    },
    pmdCounter("sluice_pmd_busy_cycles_total", "TSC cycles of PMD iterations that received packets.") { $0.busyCycles },
    pmdCounter("sluice_pmd_idle_cycles_total", "TSC cycles of PMD iterations that received nothing.") { $0.idleCycles },
    pmdCounter("sluice_pmd_iterations_total", "Poll loop iterations of a PMD.") { $0.iterations },
    pmdCounter("sluice_pmd_rx_packets_total", "Packets a PMD received.") { $0.rxPackets },
]

func stageCounter(
    _ name: String, _ help: String, _ value: @escaping @Sendable (StageStatus) -> UInt64
) -> MetricFamily {
    MetricFamily(name, .counter, help: help) { snapshot in
        snapshot.stages.map { .init([.init("stage", $0.name)], value($0)) }
    }
}

func pmdCounter(_ name: String, _ help: String, _ value: @escaping @Sendable (PMDStatus) -> UInt64) -> MetricFamily {
    MetricFamily(name, .counter, help: help) { snapshot in
        snapshot.pmds.map { .init([.init("lcore", "\($0.lcore)")], value($0)) }
    }
}
