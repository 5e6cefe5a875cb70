import ArgumentParser
import ControlProtocol
import Foundation

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Versions of sluiced and DPDK, its pid and uptime.")
    @OptionGroup var connection: Connection

    func run() throws {
        let info = try connection.call(StatusMethods.version)
        connection.emit(info) {
            Table(
                ["sluiced", "dpdk", "pid", "uptime"],
                [[info.sluice, info.dpdk, "\(info.pid)", formatSeconds(info.uptimeSeconds)]]
            ).render()
        }
    }
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Whether the dataplane does its job: PMD threads running, links up.",
        discussion:
            "Exit status 0 when sluiced reports ok, 1 when it reports degraded (the reasons are listed), 3 when it cannot be reached."
    )
    @OptionGroup var connection: Connection

    func run() throws {
        let health = try connection.call(StatusMethods.health)
        connection.emit(health) {
            Table(
                ["status", "pmds", "ports", "links-up", "revision", "uptime"],
                [
                    [
                        health.status, "\(health.pmdsRunning)/\(health.pmds)", "\(health.ports)",
                        "\(health.portsLinkUp)",
                        "\(health.revision)", formatSeconds(health.uptimeSeconds),
                    ]
                ]
            ).render() + health.problems.map { "problem: \($0)\n" }.joined()
        }
        if health.status != "ok" { throw ExitCode(Exit.daemonError) }
    }
}
