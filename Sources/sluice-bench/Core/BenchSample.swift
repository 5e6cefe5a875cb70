import ControlProtocol
import DPDK
import Dataplane
import Foundation

/// The CPU time the PMD's thread actually ran, from /proc (schedstat: nanoseconds on the CPU). On a shared
/// machine the scheduler may run other work on the PMD's core; TSC cycles per packet then include the time
/// the PMD was not running, CPU cycles per packet do not.
struct PMDThreadClock {
    let path: String?

    init(lcore: Int) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        path = tasks.first { task in
            let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            // EAL names its worker threads "rte-worker-N" (DPDK 22.11; "lcore-worker-N" in older releases).
            let name = comm.trimmingCharacters(in: .whitespacesAndNewlines)
            return name == "rte-worker-\(lcore)" || name == "lcore-worker-\(lcore)"
        }.map { "/proc/self/task/\($0)/schedstat" }
    }

    /// Nanoseconds the thread has run, or nil if it was not found.
    var runNanoseconds: UInt64? {
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { UInt64($0) }
    }
}

/// Counters at one instant.
struct Sample {
    var tsc: UInt64
    var pmdRunNanoseconds: UInt64?
    var txPackets: UInt64
    var txDropped: UInt64
    var pmd: PMDStatus
    var stages: [StageStatus]

    init(_ dataplane: Dataplane, thread: PMDThreadClock) {
        pmdRunNanoseconds = thread.runNanoseconds
        tsc = readTSC()
        let sink = dataplane.portStatuses()[1]
        txPackets = sink.counters.txPackets
        txDropped = sink.counters.txDropped
        pmd = dataplane.pmdStatuses()[0]
        stages = dataplane.stageStatuses()
    }
}
