import ControlProtocol
import Foundation

/// Every port's, PMD's and stage's counters as the control API reports them, read one after the other while
/// the PMDs run (each value is monotonic; the set is not an atomic cut), and what grew since an earlier read.
///
/// Anything missing or a counter that went backwards throws rather than traps: a trap would skip the test's
/// clean-up and leave sluiced polling and the namespaces behind.
struct CounterSnapshot {
    var ports: [String: PortStatus]
    /// By lcore.
    var pmds: [Int: PMDStatus]
    var stages: [String: StageStatus]

    init(_ daemon: SluicedProcess) throws {
        let client = try daemon.client()
        ports = try daemon.ports()
        pmds = Dictionary(uniqueKeysWithValues: try client.call(StatusMethods.pmdList).map { ($0.lcore, $0) })
        stages = try daemon.stages()
    }

    func port(_ name: String) throws -> PortStatus {
        guard let port = ports[name] else { throw TestFailure("no port \(name) in \(ports.keys.sorted())") }
        return port
    }

    func stage(_ name: String) throws -> StageStatus {
        guard let stage = stages[name] else { throw TestFailure("no stage \(name) in \(stages.keys.sorted())") }
        return stage
    }

    /// Growth of a counter of a port that exists in both snapshots and was not replaced in between.
    func portGrowth(_ name: String, since earlier: CounterSnapshot, _ counter: KeyPath<PortCounterValues, UInt64>)
        throws -> UInt64
    {
        let now = try port(name).counters[keyPath: counter]
        let before = try earlier.port(name).counters[keyPath: counter]
        return try Self.growth("port \(name)", now, before)
    }

    /// Growth of the driver's tx packet count on each tx queue of a port (DPDK keeps the first 16).
    func txQueueGrowth(_ name: String, since earlier: CounterSnapshot) throws -> [UInt64] {
        let now = try port(name).queueCounters ?? []
        let before = try earlier.port(name).queueCounters ?? []
        return try now.map { queue in
            try Self.growth(
                "port \(name) tx queue \(queue.queue)", queue.txPackets,
                before.first { $0.queue == queue.queue }?.txPackets ?? 0)
        }
    }

    func pmdRxGrowth(lcore: Int, since earlier: CounterSnapshot) throws -> UInt64 {
        guard let now = pmds[lcore], let before = earlier.pmds[lcore] else {
            throw TestFailure("no PMD on lcore \(lcore) in \(pmds.keys.sorted()) or \(earlier.pmds.keys.sorted())")
        }
        return try Self.growth("PMD \(lcore) rx", now.rxPackets, before.rxPackets)
    }

    func stageGrowth(_ name: String, since earlier: CounterSnapshot, _ counter: KeyPath<StageStatus, UInt64>)
        throws -> UInt64
    {
        try Self.growth("stage \(name)", try stage(name)[keyPath: counter], try earlier.stage(name)[keyPath: counter])
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

    private static func growth(_ what: String, _ now: UInt64, _ before: UInt64) throws -> UInt64 {
        guard now >= before else { throw TestFailure("\(what): counter went back from \(before) to \(now)") }
        return now - before
    }
}

/// The counters' growth over a stretch of traffic that started after a change was applied: every packet
/// counted in it was switched by the tables the change published (`apply` returns only after a grace
/// period, so no PMD still holds the old ones).
struct CounterWindow {
    let before: CounterSnapshot
    let after: CounterSnapshot

    /// Waits until `ingress` has received `packets` more packets and sluiced has switched them.
    init(_ daemon: SluicedProcess, whileReceiving packets: UInt64, on ingress: String) throws {
        before = try CounterSnapshot(daemon)
        let target = try before.port(ingress).counters.rxPackets + packets
        try daemon.waitUntilSwitched(port: ingress, received: target)
        after = try CounterSnapshot(daemon)
    }

    func tx(_ port: String) throws -> UInt64 { try after.portGrowth(port, since: before, \.txPackets) }
    func rx(_ port: String) throws -> UInt64 { try after.portGrowth(port, since: before, \.rxPackets) }
    var drops: [String: UInt64] { after.newDrops(since: before) }
}

extension SluicedProcess {
    /// Waits until `port` has received `received` packets in all (a counter total) and every PMD has finished
    /// the iteration that received them: by then each packet has been sent on or counted as dropped.
    func waitUntilSwitched(port: String, received: UInt64, timeout: Duration = .seconds(60)) throws {
        try System.waitUntil("port \(port) to receive \(received) packets in all", timeout: timeout) {
            try CounterSnapshot(self).port(port).counters.rxPackets >= received
        }
        // A PMD counts an iteration after switching everything it received in it: two more iterations
        // than now mean the one in progress is over.
        let iterations = try CounterSnapshot(self).pmds.mapValues(\.iterations)
        try System.waitUntil("every PMD to finish its iteration", timeout: timeout) {
            let now = try CounterSnapshot(self).pmds
            return iterations.allSatisfy { lcore, count in (now[lcore]?.iterations ?? 0) >= count + 2 }
        }
    }
}
