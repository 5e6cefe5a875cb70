import ControlProtocol
import DPDK
import Dataplane
import Foundation

struct StageResult: Codable {
    var name: String
    var packets: UInt64
    var cyclesPerPacket: Double
    /// Each event the stage counted during the measurement (e.g. security-groups' ct-new), when non-zero.
    var events: [String: UInt64]
}

struct BenchResult: Codable {
    var mode: String
    var packets: UInt64
    var seconds: Double
    var mpps: Double
    /// TSC cycles of the PMD core per forwarded packet: the core is busy-polling all the time, so this is
    /// the whole cost, rx and tx included.
    var cyclesPerPacket: Double
    var busyPercent: Double
    /// Share of the measured time the PMD's thread was on its CPU (percent), when known: below 100, other
    /// work ran on the core and `cyclesPerPacket` counts that time too.
    var pmdOnCPUPercent: Double?
    /// Cycles per packet counting only the time the PMD's thread ran (TSC rate × CPU time / packets): the
    /// number to compare across runs on a busy machine.
    var onCPUCyclesPerPacket: Double?
    var txDropped: UInt64
    var stages: [StageResult]

    init(mode: ForwardingMode, before: Sample, after: Sample) {
        self.mode = mode.rawValue
        packets = after.txPackets - before.txPackets
        let cycles = after.tsc - before.tsc
        seconds = Double(cycles) / Double(EAL.tscHz)
        mpps = Double(packets) / seconds / 1e6
        cyclesPerPacket = packets == 0 ? 0 : Double(cycles) / Double(packets)
        let busy = after.pmd.busyCycles - before.pmd.busyCycles
        let idle = after.pmd.idleCycles - before.pmd.idleCycles
        busyPercent = busy + idle == 0 ? 0 : Double(busy) * 100 / Double(busy + idle)
        if let b = after.pmdRunNanoseconds, let a = before.pmdRunNanoseconds, b >= a, cycles > 0 {
            let onCPUCycles = Double(b - a) * Double(EAL.tscHz) / 1e9
            pmdOnCPUPercent = min(100, onCPUCycles * 100 / Double(cycles))
            onCPUCyclesPerPacket = packets == 0 ? 0 : min(onCPUCycles, Double(cycles)) / Double(packets)
        }
        txDropped = after.txDropped - before.txDropped
        stages = zip(before.stages, after.stages).map { b, a in
            let n = a.packetsIn - b.packetsIn
            var events: [String: UInt64] = [:]
            for (event, count) in a.events where count > b.events[event] ?? 0 {
                events[event] = count - (b.events[event] ?? 0)
            }
            return StageResult(
                name: a.name, packets: n, cyclesPerPacket: n == 0 ? 0 : Double(a.cycles - b.cycles) / Double(n),
                events: events)
        }
    }
}

struct BenchReport: Codable {
    var trace: String
    var scenario: String
    var tracePackets: Int
    var averageFrameBytes: Double
    var tscHz: UInt64
    var durationSeconds: Double
    var results: [BenchResult]

    func table() -> String {
        var out =
            "scenario \(scenario), trace \(trace): \(tracePackets) packets, \(String(format: "%.1f", averageFrameBytes)) bytes average; TSC \(tscHz / 1_000_000) MHz; \(durationSeconds)s per mode\n"
        out += "mode       Mpps   cycles/pkt  vs-io  busy%  tx-dropped  on-cpu%  on-cpu cycles/pkt\n"
        let floor = results.first { $0.mode == ForwardingMode.ioBaseline.rawValue }?.cyclesPerPacket
        for r in results {
            let ratio = floor.map { $0 > 0 ? String(format: "%.2f", r.cyclesPerPacket / $0) : "-" } ?? "-"
            out +=
                r.mode.padding(toLength: 9, withPad: " ", startingAt: 0)
                + String(format: "%6.2f  %11.1f  ", r.mpps, r.cyclesPerPacket)
                + String(repeating: " ", count: max(0, 5 - ratio.count)) + ratio
                + String(format: "  %5.1f  ", r.busyPercent)
                + "\(r.txDropped)".padding(toLength: 10, withPad: " ", startingAt: 0)
                + (r.pmdOnCPUPercent.map { String(format: "  %7.1f", $0) } ?? "        -")
                + (r.onCPUCyclesPerPacket.map { String(format: "  %17.1f", $0) } ?? "                  -") + "\n"
            for s in r.stages {
                out +=
                    "  stage \(s.name.padding(toLength: 12, withPad: " ", startingAt: 0))"
                    + String(format: "%11.1f cycles/pkt\n", s.cyclesPerPacket)
            }
        }
        return out
    }
}
