import ControlProtocol
import Foundation

/// Every port's, PMD's and stage's counters as the control API reports them, read one after the other while
/// the PMDs run (each value is monotonic; the set is not an atomic cut), and what grew since an earlier read.
struct CounterSnapshot {
    var ports: [String: PortStatus]
    /// By lcore.
    var pmds: [Int: PMDStatus]
    var stages: [String: StageStatus]

    init(_ daemon: SluicedProcess) throws {
        let client = try daemon.client()
        ports = try daemon.ports()
        pmds = Dictionary(uniqueKeysWithValues: try client.call(.pmdList, as: [PMDStatus].self).map { ($0.lcore, $0) })
        stages = try daemon.stages()
    }

    /// Growth of a counter of a port that exists in both snapshots and was not replaced in between.
    func portGrowth(_ port: String, since earlier: CounterSnapshot, _ counter: KeyPath<PortCounterValues, UInt64>)
        -> UInt64
    {
        ports[port]!.counters[keyPath: counter] - earlier.ports[port]!.counters[keyPath: counter]
    }

    /// Growth of the driver's tx packet count on each tx queue of a port (DPDK keeps the first 16).
    func txQueueGrowth(_ port: String, since earlier: CounterSnapshot) -> [UInt64] {
        let now = ports[port]?.queueCounters ?? [], before = earlier.ports[port]?.queueCounters ?? []
        return now.map { queue in
            queue.txPackets - (before.first { $0.queue == queue.queue }?.txPackets ?? 0)
        }
    }

    func pmdRxGrowth(lcore: Int, since earlier: CounterSnapshot) -> UInt64 {
        pmds[lcore]!.rxPackets - earlier.pmds[lcore]!.rxPackets
    }

    func stageGrowth(_ stage: String, since earlier: CounterSnapshot, _ counter: KeyPath<StageStatus, UInt64>)
        -> UInt64
    {
        stages[stage]![keyPath: counter] - earlier.stages[stage]![keyPath: counter]
    }

    /// Drops that grew since `earlier`, as "stage/reason" → count; empty when nothing was dropped.
    func newDrops(since earlier: CounterSnapshot) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for (name, stage) in stages {
            for (reason, count) in stage.drops {
                let before = earlier.stages[name]?.drops[reason] ?? 0
                if count > before { result["\(name)/\(reason)"] = count - before }
            }
        }
        return result
    }
}
