import ArgumentParser
import ControlProtocol
import Foundation

struct Metadata: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metadata",
        abstract: "The metadata intercept: who is behind each pool address, and the live NAT entries.",
        subcommands: [MetadataClients.self, MetadataNAT.self])
}

struct MetadataClients: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients",
        abstract: "Served VM ports: pool address (the caller's identity at the service), port, instance id, facts.")
    @OptionGroup var connection: Connection

    func run() throws {
        let rows = try connection.call(MetadataMethods.clients)
        connection.emit(rows) {
            Table(
                ["pool-address", "port", "instance-id", "mac", "ipv4", "vlan"],
                rows.map {
                    [$0.address, $0.port, $0.instanceID, $0.mac ?? "-", $0.ipv4 ?? "-", $0.vlan.map { "\($0)" } ?? "-"]
                }
            ).render()
        }
    }
}

struct MetadataNAT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nat", abstract: "Live NAT entries: each guest connection to the intercepted address.")
    @OptionGroup var connection: Connection
    @Option(help: "Only this port.", completion: portNameCompletion) var port: String?

    func run() throws {
        let rows = try connection.call(MetadataMethods.nat).filter { port == nil || $0.port == port }
        connection.emit(rows) {
            Table(
                [
                    "port", "pool-address", "guest-port", "guest-address", "guest-mac", "addressed-mac", "state",
                    "idle-s",
                ],
                rows.map {
                    [
                        $0.port, $0.poolAddress, "\($0.guestPort)", $0.guestAddress, $0.guestMAC, $0.addressedMAC,
                        $0.closing ? "closing" : "open", String(format: "%.1f", $0.idleSeconds),
                    ]
                }
            ).render()
        }
    }
}
