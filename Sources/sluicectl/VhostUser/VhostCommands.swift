import ArgumentParser
import ControlProtocol

struct Vhost: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "vhost-user ports: guest state (waiting or connected), negotiated features, enabled queues.")
    @OptionGroup var connection: Connection

    func run() throws {
        let ports = try connection.call(PortMethods.list).filter { $0.vhostUser != nil }
        connection.emit(ports) {
            Table(
                [
                    "port", "mode", "state", "features", "queues", "guest-tx-q", "guest-rx-q", "connects",
                    "disconnects", "socket",
                ],
                ports.map { p in
                    let v = p.vhostUser!
                    func list(_ queues: [Int]) -> String {
                        queues.isEmpty ? "-" : queues.map(String.init).joined(separator: ",")
                    }
                    return [
                        p.name, v.mode, v.state.rawValue, v.negotiatedFeatures, "\(v.queuePairs)",
                        list(v.guestTxQueuesEnabled), list(v.guestRxQueuesEnabled), "\(v.connects)", "\(v.disconnects)",
                        v.path,
                    ]
                }
            ).render()
        }
    }
}

struct Queues: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The driver's counters per queue of every port (the first 16 queues).")
    @OptionGroup var connection: Connection

    func run() throws {
        let ports = try connection.call(PortMethods.list)
        connection.emit(ports.map { QueueRows(port: $0.name, queues: $0.queueCounters ?? []) }) {
            Table(
                ["port", "queue", "rx-pkts", "rx-bytes", "tx-pkts", "tx-bytes"],
                ports.flatMap { p in
                    (p.queueCounters ?? []).map { q in
                        [p.name, "\(q.queue)", "\(q.rxPackets)", "\(q.rxBytes)", "\(q.txPackets)", "\(q.txBytes)"]
                    }
                }
            ).render()
        }
    }

    struct QueueRows: Encodable {
        var port: String
        var queues: [QueueCounterValues]
    }
}
