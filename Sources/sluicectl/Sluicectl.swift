import ArgumentParser
import ControlProtocol
import Foundation

@main
struct Sluicectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluicectl",
        abstract: "Inspect and configure a running sluiced through its control socket.",
        discussion: """
            Exit status: 0 success, 1 sluiced answered with an error, 3 sluiced cannot be reached, \
            64 invalid command line.
            """,
        version: SluiceVersion.current,
        subcommands: [Version.self, Ports.self, Vhost.self, Queues.self, PMDs.self, Stages.self, MACs.self, FlushMACs.self])
}

/// Options every subcommand takes.
struct Connection: ParsableArguments {
    @Option(name: .shortAndLong, help: "The control socket of sluiced.")
    var socket = "/run/sluice/sluice.sock"

    @Flag(help: "Print JSON (the control API's result) instead of a table.")
    var json = false

    @Option(help: "Seconds to wait for sluiced.")
    var timeout: Int = 10

    func call<R: Codable & Sendable>(_ method: ControlMethod, as: R.Type) throws -> R {
        try call(method, params: NoParams(), as: R.self)
    }

    func call<P: Codable & Sendable, R: Codable & Sendable>(_ method: ControlMethod, params: P, as: R.Type) throws -> R {
        do {
            let client = try ControlClient(socketPath: socket, timeout: .seconds(timeout))
            return try client.call(method.rawValue, params: params, as: R.self)
        } catch {
            printError(error.description)
            switch error {
            case .server: throw ExitCode(1)
            default: throw ExitCode(3)
            }
        }
    }

    func emit<R: Encodable>(_ value: R, table: () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            print(table(), terminator: "")
        }
    }
}

/// "name=value ..." for the non-zero counters, or "-".
func nonZero(_ counters: [String: UInt64]) -> String {
    let parts = counters.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    return parts.isEmpty ? "-" : parts.joined(separator: " ")
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("sluicectl: \(message)\n".utf8))
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Versions of sluiced and DPDK, its pid and uptime.")
    @OptionGroup var connection: Connection

    func run() throws {
        let info = try connection.call(.version, as: VersionInfo.self)
        try connection.emit(info) {
            Table(["sluiced", "dpdk", "pid", "uptime"], [[info.sluice, info.dpdk, "\(info.pid)", String(format: "%.0fs", info.uptimeSeconds)]]).render()
        }
    }
}

struct Ports: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ports with link state and counters.")
    @OptionGroup var connection: Connection

    func run() throws {
        let ports = try connection.call(.portList, as: [PortStatus].self)
        try connection.emit(ports) {
            Table(
                ["port", "driver", "admin", "link", "mtu", "mac", "rx-pkts", "rx-bytes", "tx-pkts", "tx-bytes", "tx-drop", "rx-missed", "macs"],
                ports.map { p in
                    [p.name, p.driver, p.admin, p.linkUp ? "up" : "down", "\(p.mtu)", p.macAddress,
                     "\(p.counters.rxPackets)", "\(p.counters.rxBytes)", "\(p.counters.txPackets)", "\(p.counters.txBytes)",
                     "\(p.counters.txDropped)", p.driverStats.map { "\($0.rxMissed)" } ?? "-",
                     p.macLearning.map { "\($0.learned)/\($0.limit)" } ?? "-"]
                }).render()
        }
    }
}

struct Vhost: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "vhost-user ports: guest state (waiting or connected), negotiated features, enabled queues.")
    @OptionGroup var connection: Connection

    func run() throws {
        let ports = try connection.call(.portList, as: [PortStatus].self).filter { $0.vhostUser != nil }
        try connection.emit(ports) {
            Table(
                ["port", "mode", "state", "features", "queues", "guest-tx-q", "guest-rx-q", "connects", "disconnects", "socket"],
                ports.map { p in
                    let v = p.vhostUser!
                    func list(_ queues: [Int]) -> String { queues.isEmpty ? "-" : queues.map(String.init).joined(separator: ",") }
                    return [p.name, v.mode, v.state.rawValue, v.negotiatedFeatures, "\(v.queuePairs)",
                            list(v.guestTxQueuesEnabled), list(v.guestRxQueuesEnabled), "\(v.connects)", "\(v.disconnects)", v.path]
                }).render()
        }
    }
}

struct Queues: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The driver's counters per queue of every port (the first 16 queues).")
    @OptionGroup var connection: Connection

    func run() throws {
        let ports = try connection.call(.portList, as: [PortStatus].self)
        try connection.emit(ports.map { QueueRows(port: $0.name, queues: $0.queueCounters ?? []) }) {
            Table(
                ["port", "queue", "rx-pkts", "rx-bytes", "tx-pkts", "tx-bytes"],
                ports.flatMap { p in
                    (p.queueCounters ?? []).map { q in
                        [p.name, "\(q.queue)", "\(q.rxPackets)", "\(q.rxBytes)", "\(q.txPackets)", "\(q.txBytes)"]
                    }
                }).render()
        }
    }

    struct QueueRows: Encodable {
        var port: String
        var queues: [QueueCounterValues]
    }
}

struct PMDs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pmds", abstract: "PMD threads: queues polled, busy share, cycles per packet.")
    @OptionGroup var connection: Connection

    func run() throws {
        let pmds = try connection.call(.pmdList, as: [PMDStatus].self)
        try connection.emit(pmds) {
            Table(
                ["lcore", "numa", "rx-queues", "rx-pkts", "busy", "cycles/pkt"],
                pmds.map { p in
                    ["\(p.lcore)", "\(p.numaSocket)", p.rxQueues.joined(separator: " "), "\(p.rxPackets)",
                     String(format: "%.1f%%", p.busyPercent), String(format: "%.1f", p.cyclesPerPacket)]
                }).render()
        }
    }
}

struct Stages: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pipeline stages: packets, drops by reason, cycles per packet (all PMDs).")
    @OptionGroup var connection: Connection

    func run() throws {
        let stages = try connection.call(.stageList, as: [StageStatus].self)
        try connection.emit(stages) {
            Table(
                ["stage", "calls", "pkts-in", "pkts-out", "cycles/pkt", "drops", "events"],
                stages.map { s in
                    [s.name, "\(s.calls)", "\(s.packetsIn)", "\(s.packetsOut)", String(format: "%.1f", s.cyclesPerPacket),
                     nonZero(s.drops), nonZero(s.events)]
                }).render()
        }
    }
}

struct MACs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "macs", abstract: "The MAC table: learned and static entries.")
    @OptionGroup var connection: Connection

    func run() throws {
        let entries = try connection.call(.macList, as: [MACEntry].self)
        try connection.emit(entries) {
            Table(
                ["vlan", "mac", "port", "age", "type"],
                entries.map { e in ["\(e.vlan)", e.mac, e.port, e.isStatic ? "-" : "\(e.ageSeconds)s", e.isStatic ? "static" : "learned"] }
            ).render()
        }
    }
}

struct FlushMACs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flush-macs", abstract: "Remove learned MAC entries (of one port, of one VLAN, or all). Static entries stay.")
    @OptionGroup var connection: Connection
    @Option(help: "Only this port's entries.") var port: String?
    @Option(help: "Only this VLAN's entries.") var vlan: Int?

    func validate() throws {
        if port != nil && vlan != nil { throw ValidationError("give --port or --vlan, not both") }
        if let vlan, !(1...4094).contains(vlan) { throw ValidationError("--vlan must be a VLAN id, 1...4094") }
    }

    func run() throws {
        let result = try connection.call(.macFlush, params: MACFlushParams(port: port, vlan: vlan), as: MACFlushResult.self)
        try connection.emit(result) { "flushed \(result.flushed) entries\n" }
    }
}
