import ArgumentParser
import Config
import ControlProtocol
import DPDK
import Dataplane
import Foundation
import Packet
import PcapFile

/// Replays a pcap trace through the real PMD loop on one core: a net_pcap port hands out copies of the
/// trace forever, the PMD runs them through the pipeline, a net_null port swallows the output. The same
/// invocation first runs the io baseline (no stages) over the same ports, so every report carries its floor.
@main
struct SluiceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-bench",
        abstract: "Measure Mpps and cycles per packet of Sluice's pipeline on a pcap trace.",
        version: SluiceVersion.current)

    @Option(name: .shortAndLong, help: "The pcap trace to replay (see tools/gen-traces.py).")
    var trace: String

    @Option(help: "Seconds to measure each mode.")
    var duration: Double = 5

    @Option(help: "Seconds to run before measuring (caches, branch predictors, mempool caches warm up).")
    var warmup: Double = 1

    @Option(help: "The lcore the PMD runs on.")
    var pmdLcore: Int = 1

    @Option(help: "The main (control) lcore.")
    var mainLcore: Int = 0

    @Option(help: "Modes to run, in order: io (baseline, no stages) and pipeline.")
    var modes: [ForwardingMode] = [.ioBaseline, .pipeline]

    @Option(
        help: """
            What the pipeline does with the trace: patch (source patched to sink), l2 (both on VLAN 1, \
            destinations known), l2-flood (destinations unknown: flooded), vlan-push (source access VLAN 100, \
            sink trunk), vlan-pop (source trunk carrying VLAN 100, sink access; needs a tagged trace).
            """)
    var scenario: Scenario = .l2

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be > 0 and --warmup >= 0") }
        guard pmdLcore != mainLcore, (0..<64).contains(pmdLcore), (0..<64).contains(mainLcore) else {
            throw ValidationError("--pmd-lcore and --main-lcore must be different lcores in 0...63")
        }
    }

    func run() throws {
        let frames: [[UInt8]]
        do {
            frames = try PcapFile.read(path: trace).frames
        } catch {
            throw ValidationError(error.description)
        }
        guard !frames.isEmpty else { throw ValidationError("\(trace): the trace has no packets") }
        guard !trace.contains(",") else { throw ValidationError("\(trace): a trace path may not contain ','") }
        let config = benchConfig(frames: frames)
        let dataplane: Dataplane
        do {
            dataplane = try Dataplane(config: config, program: "sluice-bench", mode: modes[0])
        } catch {
            FileHandle.standardError.write(Data("sluice-bench: \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { dataplane.shutdown() }

        var results: [BenchResult] = []
        for (index, mode) in modes.enumerated() {
            if index > 0 { dataplane.rebuildPMDs(mode: mode) }
            results.append(try measure(dataplane, mode: mode))
        }
        let report = BenchReport(
            trace: trace, scenario: scenario.rawValue, tracePackets: frames.count,
            averageFrameBytes: Double(frames.reduce(0) { $0 + $1.count }) / Double(frames.count),
            tscHz: EAL.tscHz, durationSeconds: duration, results: results)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table(), terminator: "")
        }
    }

    /// The pcap source and the null sink, set up for the scenario. The mempool holds the whole trace
    /// (net_pcap preloads it and hands out copies) plus what is in flight. For the known-destination
    /// scenarios every destination MAC of the trace is a static entry on the sink, as if learned.
    private func benchConfig(frames: [[UInt8]]) -> SluiceConfig {
        let tracePackets = frames.count
        let prefix = "sluice-bench-\(getpid())"
        var source = PortConfig(name: "source", devargs: "net_pcap_bench0,rx_pcap=\(trace),infinite_rx=1")
        var sink = PortConfig(name: "sink", devargs: "net_null_bench0,no-rx=1")
        let benchVLAN: UInt16 = 100
        switch scenario {
        case .patch, .l2, .l2Flood: break
        case .vlanPush:
            source.vlan = .access(vlan: benchVLAN)
            sink.vlan = .trunk(allowed: VLANSet([benchVLAN]), native: nil)
        case .vlanPop:
            source.vlan = .trunk(allowed: VLANSet([benchVLAN]), native: nil)
            sink.vlan = .access(vlan: benchVLAN)
        }
        if scenario.knownDestinations {
            let destinations = Set(frames.compactMap { $0.count >= 6 ? EthernetAddress(bytes: $0.prefix(6)) : nil })
                .filter { !$0.isMulticast && !$0.isZero }
            sink.staticMACs = destinations.sorted().map {
                StaticMACConfig(mac: $0, vlan: scenario == .vlanPush || scenario == .vlanPop ? benchVLAN : nil)
            }
        }
        return SluiceConfig(
            eal: EALConfig(
                mainLcore: mainLcore, pmdCPUMask: 1 << UInt64(pmdLcore), filePrefix: prefix, memory: .inMemory,
                extraArgs: ["--log-level=lib.eal:error"]),
            mempool: MempoolConfig(mbufs: tracePackets + 16384, cacheSize: 256),
            l2: L2Config(maxMACsPerPort: 1 << 20, macTableSize: macTableSize(frames: frames)),
            ports: [source, sink],
            patches: scenario == .patch ? [PatchPair(a: "source", b: "sink")] : [])
    }

    /// The MAC table sized as an operator would for the trace's hosts: the next power of two at or above
    /// four times the number of distinct MACs (at least 1024, the smallest table Sluice allows). An
    /// oversized table spreads a few hundred entries over megabytes and turns every lookup into a cache miss.
    private func macTableSize(frames: [[UInt8]]) -> Int {
        var macs = Set<UInt64>()
        for frame in frames where frame.count >= 12 {
            for offset in [0, 6] {
                macs.insert(frame[offset..<offset + 6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            }
        }
        var size = 1024
        while size < 4 * macs.count { size <<= 1 }
        return size
    }

    private func measure(_ dataplane: Dataplane, mode: ForwardingMode) throws -> BenchResult {
        try dataplane.start()
        defer { for pmd in dataplane.pmds { pmd.stop() } }
        Thread.sleep(forTimeInterval: warmup)
        let thread = PMDThreadClock(lcore: pmdLcore)
        let before = Sample(dataplane, thread: thread)
        Thread.sleep(forTimeInterval: duration)
        let after = Sample(dataplane, thread: thread)
        return BenchResult(mode: mode, before: before, after: after)
    }
}

extension ForwardingMode: ExpressibleByArgument {}

enum Scenario: String, CaseIterable, ExpressibleByArgument, Codable {
    case patch, l2
    case l2Flood = "l2-flood"
    case vlanPush = "vlan-push"
    case vlanPop = "vlan-pop"

    var knownDestinations: Bool { self == .l2 || self == .vlanPush || self == .vlanPop }
}

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

struct StageResult: Codable {
    var name: String
    var packets: UInt64
    var cyclesPerPacket: Double
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
            return StageResult(
                name: a.name, packets: n, cyclesPerPacket: n == 0 ? 0 : Double(a.cycles - b.cycles) / Double(n))
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
