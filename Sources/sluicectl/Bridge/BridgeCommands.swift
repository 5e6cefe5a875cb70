import ArgumentParser
import ControlProtocol
import Foundation

struct VLANs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlans", abstract: "The bridge's VLANs: member ports (untagged, tagged) and MAC entries.")
    @OptionGroup var connection: Connection

    func run() throws {
        let vlans = try connection.call(BridgeMethods.vlanList)
        connection.emit(vlans) {
            Table(
                ["vlan", "untagged", "tagged", "macs"],
                vlans.map { v in
                    [
                        "\(v.vlan)", v.untaggedPorts.isEmpty ? "-" : v.untaggedPorts.joined(separator: " "),
                        v.taggedPorts.isEmpty ? "-" : v.taggedPorts.joined(separator: " "), "\(v.macs)",
                    ]
                }
            ).render()
        }
    }
}

struct MACs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "macs", abstract: "The MAC table: learned and static entries.")
    @OptionGroup var connection: Connection
    @Option(help: "Only the entries on this port.", completion: portNameCompletion) var port: String?
    @Option(help: "Only the entries in this VLAN.") var vlan: Int?

    func validate() throws {
        // A filter of sluicectl's own: sluiced never sees this VLAN, so nobody else would say it cannot exist.
        if let vlan, !(1...4094).contains(vlan) {
            throw ValidationError(
                "--vlan: \(vlan) is not a VLAN id; VLAN ids are 1...4094 (0 and 4095 are reserved)")
        }
    }

    func run() throws {
        let entries = try connection.call(BridgeMethods.macList)
            .filter { e in (port == nil || e.port == port) && (vlan == nil || e.vlan == vlan) }
        connection.emit(entries) {
            Table(
                ["vlan", "mac", "port", "age", "type"],
                entries.map { e in
                    [
                        "\(e.vlan)", e.mac, e.port, e.isStatic ? "-" : "\(e.ageSeconds)s",
                        e.isStatic ? "static" : "learned",
                    ]
                }
            ).render()
        }
    }
}

struct FlushMACs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flush-macs",
        abstract: "Remove learned MAC entries (of one port, of one VLAN, or all). Static entries stay.")
    @OptionGroup var connection: Connection
    @Option(help: "Only this port's entries.", completion: portNameCompletion) var port: String?
    @Option(help: "Only this VLAN's entries.") var vlan: Int?

    func validate() throws {
        // The VLAN's range is sluiced's to check (it answers -32602 naming it).
        if port != nil && vlan != nil { throw ValidationError("give --port or --vlan, not both") }
    }

    func run() throws {
        let result = try connection.call(BridgeMethods.macFlush, MACFlushParams(port: port, vlan: vlan))
        connection.emit(result) { "flushed \(result.flushed) entries\n" }
    }
}
