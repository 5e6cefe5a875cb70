import ArgumentParser
import ControlProtocol
import Foundation

struct DHCP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dhcp",
        abstract: "The DHCP responder: per VLAN the subnet and pool use; per port the address, mode and client.")
    @OptionGroup var connection: Connection
    @Option(help: "Only this port.", completion: portNameCompletion) var port: String?

    func run() throws {
        var status = try connection.call(DHCPMethods.show)
        if let port {
            status.ports = status.ports.filter { $0.port == port }
            let vlans = Set(status.ports.map(\.vlan))
            status.networks = status.networks.filter { vlans.contains($0.vlan) }
        }
        connection.emit(status) {
            let networks = Table(
                ["vlan", "subnet", "server", "server-mac", "pool", "pool-used", "quarantined", "ports"],
                status.networks.map {
                    [
                        "\($0.vlan)", $0.subnet, $0.server, $0.serverMAC, $0.pool ?? "-",
                        $0.pool == nil ? "-" : "\($0.poolAllocated)/\($0.poolSize)", "\($0.poolQuarantined)",
                        "\($0.ports)",
                    ]
                }
            ).render()
            let ports = Table(
                ["port", "vlan", "mode", "address", "state", "client-mac", "client-id", "hostname", "last-lease"],
                status.ports.map { row in
                    let lease = row.lastLeaseAgeSeconds.map { age in
                        String(format: "%.0f s ago (%d s)", age, row.leaseSeconds ?? 0)
                    }
                    return [
                        row.port, "\(row.vlan)", row.mode, row.address ?? "(pool full)", row.state,
                        row.clientMAC ?? "-", row.clientID ?? "-", row.hostname ?? "-", lease ?? "-",
                    ]
                }
            ).render()
            return networks + "\n" + ports
        }
    }
}
