import ArgumentParser
import ControlProtocol
import Foundation

struct SecurityGroups: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg", abstract: "Security groups: members and rules with their hit counts.")
    @OptionGroup var connection: Connection
    @Argument(help: "Only this group.") var group: String?

    func run() throws {
        let groups = try connection.call(SecurityGroupsMethods.sgList).filter { group == nil || $0.name == group }
        if let group, groups.isEmpty { throw ValidationError("no security group is named \(group)") }
        connection.emit(groups) {
            groups.map { g in
                "\(g.name): members \(g.members.isEmpty ? "-" : g.members.joined(separator: " "))\n"
                    + Table(
                        ["direction", "rule", "hits"], g.rules.map { [$0.direction, $0.rule, "\($0.hits)"] }
                    ).render()
            }.joined(separator: "\n")
        }
    }
}

struct Conntrack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conntrack", abstract: "The connection table of the security groups.",
        subcommands: [ConntrackList.self, ConntrackStatsCommand.self, ConntrackFlush.self],
        defaultSubcommand: ConntrackList.self)
}

struct ConntrackList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Tracked connections, in their original direction.")
    @OptionGroup var connection: Connection
    @Option(help: "Only connections this port initiated or receives.", completion: portNameCompletion)
    var port: String?
    @Option(help: "Only connections with this address at either end.") var address: String?
    @Option(help: "Only connections in this state (established, syn-sent, time-wait, new, replied, ...).")
    var state: String?
    @Option(help: "At most this many connections (default 1000).") var limit: Int?

    func run() throws {
        let list = try connection.call(
            SecurityGroupsMethods.conntrackList,
            ConntrackListParams(port: port, address: address, state: state, limit: limit))
        connection.emit(list) {
            Table(
                ["zone", "proto", "source", "destination", "state", "from", "to", "packets", "idle"],
                list.map { c in
                    [
                        "\(c.zone)", c.proto, "\(c.source):\(c.sourcePort)", "\(c.destination):\(c.destinationPort)",
                        c.state, c.initiatorPort, c.responderPort, "\(c.packetsOriginal)/\(c.packetsReply)",
                        "\(c.idleSeconds)s",
                    ]
                }
            ).render()
        }
    }
}

struct ConntrackStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Connections per port (against the per-port limit) and per state.")
    @OptionGroup var connection: Connection

    func run() throws {
        let stats = try connection.call(SecurityGroupsMethods.conntrackStats)
        connection.emit(stats) {
            "connections \(stats.connections) of \(stats.capacity) (per-port limit \(stats.perPortLimit))\n"
                + Table(
                    ["port", "connections"], stats.ports.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] }
                )
                .render()
                + Table(
                    ["state", "connections"], stats.states.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] }
                )
                .render()
        }
    }
}

struct ConntrackFlush: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flush", abstract: "Remove tracked connections (of one port, or all).")
    @OptionGroup var connection: Connection
    @Option(help: "Only this port's connections.", completion: portNameCompletion) var port: String?

    func run() throws {
        let result = try connection.call(SecurityGroupsMethods.conntrackFlush, ConntrackFlushParams(port: port))
        connection.emit(result) { "flushed \(result.flushed) connections\n" }
    }
}
