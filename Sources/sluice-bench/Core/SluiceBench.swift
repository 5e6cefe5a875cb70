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

    @Option(help: ArgumentHelp(BenchScenario.help + ". Default: l2."))
    var scenario: BenchScenario?

    @Option(
        help: ArgumentHelp(
            "A full sluiced configuration to measure instead of a scenario: its pipeline as configured, "
                + "its ports mapped onto the trace's source and sink.",
            valueName: "file"))
    var config: String?

    @Option(help: "With --config: the port the trace arrives on (default: the first).")
    var source: String?

    @Option(help: "With --config: the port whose sent packets are counted (default: the first other port).")
    var sink: String?

    /// What the report calls the set-up: the scenario's name, or `config:FILE`.
    var setupName: String { config.map { "config:\($0)" } ?? (scenario ?? Self.defaultScenario).name }

    static let defaultScenario = BenchScenario.named("l2")!

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(
        name: .customLong("check-qos-rates"),
        help: ArgumentHelp(
            "Instead of measuring the pipeline: check the QoS buckets' rate accuracy on the real clock with the "
                + "trace's frame sizes (1 Mbit/s to 10 Gbit/s, 1 kpps to 10 Mpps, both directions; exit 1 outside "
                + "±2 % or when the first second does not pass exactly the burst on top). See docs/qos.md."))
    var checkQoSRates = false

    @Option(help: "With --check-qos-rates: seconds of the long-run window of each case (after the first second).")
    var qosRateSeconds: Double = 1.5

    @Flag(help: "With --check-qos-rates: only the low rates (up to 10 Mbit/s and 10 kpps; for debug builds).")
    var qosQuick = false

    func validate() throws {
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be > 0 and --warmup >= 0") }
        guard pmdLcore != mainLcore, (0..<64).contains(pmdLcore), (0..<64).contains(mainLcore) else {
            throw ValidationError("--pmd-lcore and --main-lcore must be different lcores in 0...63")
        }
        if config != nil && scenario != nil { throw ValidationError("--config and --scenario: give one of them") }
        guard qosRateSeconds > 0 else { throw ValidationError("--qos-rate-seconds must be > 0") }
        if config == nil && (source != nil || sink != nil) {
            throw ValidationError("--source and --sink need --config")
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
        if checkQoSRates { return try runQoSRateCheck(frames: frames) }
        let setup: BenchSetup
        do {
            setup = try benchSetup(frames: frames)
        } catch {
            throw ValidationError("\(setupName): \(error)")
        }
        let dataplane: Dataplane
        do {
            dataplane = try Dataplane(config: setup.config, program: "sluice-bench", mode: modes[0])
        } catch {
            FileHandle.standardError.write(Data("sluice-bench: \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { dataplane.shutdown() }
        do {
            try setup.prepare?(dataplane)
        } catch {
            FileHandle.standardError.write(Data("sluice-bench: \(setupName): \(error)\n".utf8))
            throw ExitCode(1)
        }

        var results: [BenchResult] = []
        for (index, mode) in modes.enumerated() {
            if index > 0 { dataplane.rebuildPMDs(mode: mode) }
            results.append(try measure(dataplane, mode: mode, periodic: setup.periodic))
        }
        let report = BenchReport(
            trace: trace, scenario: setupName, tracePackets: frames.count,
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
    /// (net_pcap preloads it and hands out copies) plus what is in flight.
    private func benchSetup(frames: [[UInt8]]) throws -> BenchSetup {
        let prefix = "sluice-bench-\(getpid())"
        let source = PortConfig(name: "source", devargs: "net_pcap_bench0,rx_pcap=\(trace),infinite_rx=1")
        let sink = PortConfig(name: "sink", devargs: "net_null_bench0,no-rx=1")
        var setup = BenchSetup(
            config: SluiceConfig(
                eal: EALConfig(
                    mainLcore: mainLcore, pmdCPUMask: 1 << UInt64(pmdLcore), filePrefix: prefix, memory: .inMemory,
                    extraArgs: ["--log-level=lib.eal:error"]),
                mempool: MempoolConfig(mbufs: frames.count + 16384, cacheSize: 256),
                l2: L2Config(maxMACsPerPort: 1 << 20, macTableSize: macTableSize(frames: frames)),
                ports: [source, sink],
                patches: []),
            frames: frames)
        if let config {
            let file: SluiceConfig
            do {
                file = try SluiceConfig.load(path: config)
            } catch {
                throw BenchConfigFile.Problem(description: "invalid configuration \(config):\n\(error.description)")
            }
            setup.config = try BenchConfigFile.map(
                file, path: config, source: self.source, sink: self.sink, bench: setup.config)
            return setup
        }
        try (scenario ?? Self.defaultScenario).configure(&setup)
        return setup
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

    private func measure(
        _ dataplane: Dataplane, mode: ForwardingMode,
        periodic: (interval: Double, action: @Sendable (Dataplane) -> Void)?
    ) throws -> BenchResult {
        try dataplane.start()
        defer { for pmd in dataplane.pmds { pmd.stop() } }
        func wait(_ seconds: Double) {
            guard let periodic, mode == .pipeline else { return Thread.sleep(forTimeInterval: seconds) }
            let end = Date().addingTimeInterval(seconds)
            while Date() < end {
                Thread.sleep(forTimeInterval: min(periodic.interval, max(end.timeIntervalSinceNow, 0)))
                periodic.action(dataplane)
            }
        }
        wait(warmup)
        let thread = PMDThreadClock(lcore: pmdLcore)
        let before = Sample(dataplane, thread: thread)
        wait(duration)
        let after = Sample(dataplane, thread: thread)
        return BenchResult(mode: mode, before: before, after: after)
    }
}

extension ForwardingMode: ExpressibleByArgument {}
