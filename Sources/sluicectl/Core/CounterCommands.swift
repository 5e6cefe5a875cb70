import ArgumentParser
import ControlProtocol
import Foundation

struct PMDs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pmds", abstract: "PMD threads: queues polled, busy share, cycles per packet, load per queue.",
        subcommands: [PMDRebalance.self, PMDRebalanceStatus.self])  // RxqBalance/
    @OptionGroup var connection: Connection

    func run() throws {
        let pmds = try connection.call(StatusMethods.pmdList)
        connection.emit(pmds) {
            Table(
                ["lcore", "numa", "rx-queues", "rx-pkts", "busy", "cycles/pkt", "punted", "injected", "punt-lost"],
                pmds.map { p in
                    [
                        "\(p.lcore)", "\(p.numaSocket)", p.rxQueues.joined(separator: " "), "\(p.rxPackets)",
                        String(format: "%.1f%%", p.busyPercent), String(format: "%.1f", p.cyclesPerPacket),
                    ] + Self.puntColumns(p.punt)
                }
            ).render() + PMDRebalance.queueLoadTable(pmds)  // RxqBalance/
        }
    }
}

extension PMDs {
    /// Packets handed to the control thread's handlers, packets they sent back, and packets the punt path
    /// lost: rings full either way, kinds no handler took, injections for a port that was down.
    static func puntColumns(_ punt: [String: UInt64]?) -> [String] {
        guard let punt else { return ["-", "-", "-"] }
        let lost = ["punt-ring-full", "inject-ring-full", "unhandled", "inject-port-down"].reduce(0) {
            $0 + (punt[$1] ?? 0)
        }
        return ["\(punt["punted"] ?? 0)", "\(punt["injected"] ?? 0)", "\(lost)"]
    }
}

struct Stages: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Pipeline stages since start-up (all PMDs): calls, vectors per call, packets, cycles per packet, drops by reason."
    )
    @OptionGroup var connection: Connection

    func run() throws {
        let stages = try connection.call(StatusMethods.stageList)
        connection.emit(stages) {
            Table(
                [
                    "stage", "calls", "vectors/call", "pkts-in", "pkts-out", "cycles/pkt", "drops", "drops-by-reason",
                    "events",
                ],
                stages.map { s in
                    [
                        s.name, "\(s.calls)",
                        String(format: "%.1f", s.calls == 0 ? 0 : Double(s.packetsIn) / Double(s.calls)),
                        "\(s.packetsIn)", "\(s.packetsOut)", String(format: "%.1f", s.cyclesPerPacket),
                        "\(s.drops.values.reduce(0, +))", nonZero(s.drops), nonZero(s.events),
                    ]
                }
            ).render()
        }
    }
}

/// Rates between two samples of the counters: what `stats` prints.
struct StatsSample: Codable {
    struct PortRates: Codable {
        var name: String
        /// Counter deltas over the interval.
        var rxPackets: UInt64
        var txPackets: UInt64
        var rxBytes: UInt64
        var txBytes: UInt64
        var txDropped: UInt64
        var rxMissed: UInt64
        var rxPps: Double
        var txPps: Double
        var rxMbps: Double
        var txMbps: Double
        /// (txDropped + rxMissed) per second.
        var dropsPerSecond: Double
    }

    struct StageRates: Codable {
        var name: String
        var calls: UInt64
        var packetsIn: UInt64
        var packetsOut: UInt64
        var drops: UInt64
        /// Non-zero drop deltas by reason.
        var dropsByReason: [String: UInt64]
        var callsPerSecond: Double
        var packetsInPerSecond: Double
        var packetsOutPerSecond: Double
        var dropsPerSecond: Double
        /// Cycles per packet within the interval (0 without packets).
        var cyclesPerPacket: Double
    }

    /// 1 for the first interval.
    var sample: Int
    /// When the interval ended (ISO 8601, UTC).
    var time: String
    /// Length of the interval.
    var seconds: Double
    var ports: [PortRates]
    var stages: [StageRates]
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-port and per-stage rates: packets/s, Mbit/s and drops/s between samples of the counters.",
        discussion: """
            Samples the counters every --interval seconds and prints the rates over each interval: once, or \
            with --watch until interrupted (or --count intervals). With --json, one JSON object per interval, \
            one per line. A port added or replaced between samples shows from the next interval.
            """)
    @OptionGroup var connection: Connection
    @Flag(help: "Keep printing, one block per interval.") var watch = false
    @Option(help: ArgumentHelp("Seconds between samples (0.1...3600).", valueName: "seconds")) var interval: Double = 1
    @Option(help: ArgumentHelp("Intervals to print (default: 1, or unlimited with --watch).", valueName: "n"))
    var count: Int?

    func validate() throws {
        guard interval >= 0.1 && interval <= 3600 else {
            throw ValidationError("--interval must be 0.1...3600 seconds")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    private struct Counters {
        var at: ContinuousClock.Instant
        var ports: [PortStatus]
        var stages: [StageStatus]
    }

    private func sample() throws -> Counters {
        let client = try connection.connect()
        let ports = try connection.call(PortMethods.list, NoParams(), on: client)
        let stages = try connection.call(StatusMethods.stageList, NoParams(), on: client)
        return Counters(at: .now, ports: ports, stages: stages)
    }

    func run() throws {
        let intervals = count ?? (watch ? Int.max : 1)
        var previous = try sample()
        var number = 0
        while number < intervals {
            let next = previous.at + .milliseconds(Int64(interval * 1000))
            let wait = next - ContinuousClock.now
            if wait > .zero {
                Thread.sleep(
                    forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
            }
            let current = try sample()
            number += 1
            let rates = Self.rates(number: number, from: previous, to: current)
            if connection.json {
                printJSON(rates, pretty: false)
            } else {
                print(Self.render(rates), terminator: "")
            }
            fflush(nil)  // all streams: each sample shows at once, also through a pipe
            previous = current
        }
    }

    /// Counter difference, the current value when the counter restarted (a port replaced between samples).
    private static func delta(_ now: UInt64, _ before: UInt64) -> UInt64 { now >= before ? now - before : now }

    private static func rates(number: Int, from a: Counters, to b: Counters) -> StatsSample {
        let elapsed = b.at - a.at
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-6)
        let before = Dictionary(a.ports.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let ports = b.ports.compactMap { port -> StatsSample.PortRates? in
            guard let old = before[port.name] else { return nil }
            let rxPackets = delta(port.counters.rxPackets, old.counters.rxPackets)
            let txPackets = delta(port.counters.txPackets, old.counters.txPackets)
            let rxBytes = delta(port.counters.rxBytes, old.counters.rxBytes)
            let txBytes = delta(port.counters.txBytes, old.counters.txBytes)
            let txDropped = delta(port.counters.txDropped, old.counters.txDropped)
            let rxMissed = delta(port.driverStats?.rxMissed ?? 0, old.driverStats?.rxMissed ?? 0)
            return StatsSample.PortRates(
                name: port.name, rxPackets: rxPackets, txPackets: txPackets, rxBytes: rxBytes, txBytes: txBytes,
                txDropped: txDropped, rxMissed: rxMissed, rxPps: Double(rxPackets) / seconds,
                txPps: Double(txPackets) / seconds, rxMbps: Double(rxBytes) * 8 / seconds / 1e6,
                txMbps: Double(txBytes) * 8 / seconds / 1e6, dropsPerSecond: Double(txDropped + rxMissed) / seconds)
        }
        let stagesBefore = Dictionary(a.stages.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let stages = b.stages.compactMap { stage -> StatsSample.StageRates? in
            guard let old = stagesBefore[stage.name] else { return nil }
            let calls = delta(stage.calls, old.calls)
            let packetsIn = delta(stage.packetsIn, old.packetsIn)
            let packetsOut = delta(stage.packetsOut, old.packetsOut)
            let cycles = delta(stage.cycles, old.cycles)
            var byReason: [String: UInt64] = [:]
            for (reason, value) in stage.drops {
                let d = delta(value, old.drops[reason] ?? 0)
                if d > 0 { byReason[reason] = d }
            }
            let drops = byReason.values.reduce(0, +)
            return StatsSample.StageRates(
                name: stage.name, calls: calls, packetsIn: packetsIn, packetsOut: packetsOut, drops: drops,
                dropsByReason: byReason, callsPerSecond: Double(calls) / seconds,
                packetsInPerSecond: Double(packetsIn) / seconds, packetsOutPerSecond: Double(packetsOut) / seconds,
                dropsPerSecond: Double(drops) / seconds,
                cyclesPerPacket: packetsIn == 0 ? 0 : Double(cycles) / Double(packetsIn))
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return StatsSample(
            sample: number, time: formatter.string(from: Date()), seconds: seconds, ports: ports, stages: stages)
    }

    private static func render(_ s: StatsSample) -> String {
        func rate(_ value: Double) -> String { String(format: "%.0f", value) }
        func mbps(_ value: Double) -> String { String(format: "%.2f", value) }
        let ports = Table(
            ["port", "rx-pps", "rx-Mbps", "tx-pps", "tx-Mbps", "tx-drop/s", "rx-miss/s"],
            s.ports.map { p in
                [
                    p.name, rate(p.rxPps), mbps(p.rxMbps), rate(p.txPps), mbps(p.txMbps),
                    rate(Double(p.txDropped) / s.seconds), rate(Double(p.rxMissed) / s.seconds),
                ]
            }
        ).render()
        let stages = Table(
            ["stage", "calls/s", "in-pps", "out-pps", "drops/s", "cycles/pkt", "drops-by-reason"],
            s.stages.map { t in
                [
                    t.name, rate(t.callsPerSecond), rate(t.packetsInPerSecond), rate(t.packetsOutPerSecond),
                    rate(t.dropsPerSecond), String(format: "%.1f", t.cyclesPerPacket), nonZero(t.dropsByReason),
                ]
            }
        ).render()
        return "-- sample \(s.sample) at \(s.time), over \(String(format: "%.2f", s.seconds)) s\n\(ports)\n\(stages)\n"
    }
}
