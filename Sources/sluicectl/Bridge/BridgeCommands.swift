import ArgumentParser
import ControlProtocol
import Foundation

struct VLANs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlans", abstract: "The bridge's VLANs: member ports (untagged, tagged) and MAC entries.")
    @OptionGroup var connection: Connection

    func run() throws {
        let vlans = try connection.call(.vlanList, as: [VLANStatus].self)
        connection.emit(vlans) {
            Table(
                ["vlan", "untagged", "tagged", "macs"],
                vlans.map { v in
                    ["\(v.vlan)", v.untaggedPorts.isEmpty ? "-" : v.untaggedPorts.joined(separator: " "),
                     v.taggedPorts.isEmpty ? "-" : v.taggedPorts.joined(separator: " "), "\(v.macs)"]
                }).render()
        }
    }
}

struct MACs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "macs", abstract: "The MAC table: learned and static entries.")
    @OptionGroup var connection: Connection
    @Option(help: "Only the entries on this port.", completion: portNameCompletion) var port: String?
    @Option(help: "Only the entries in this VLAN.") var vlan: Int?

    func validate() throws {
        if let vlan { try checkVLAN(vlan, option: "--vlan") }
    }

    func run() throws {
        let entries = try connection.call(.macList, as: [MACEntry].self)
            .filter { e in (port == nil || e.port == port) && (vlan == nil || e.vlan == vlan) }
        connection.emit(entries) {
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
    @Option(help: "Only this port's entries.", completion: portNameCompletion) var port: String?
    @Option(help: "Only this VLAN's entries.") var vlan: Int?

    func validate() throws {
        if port != nil && vlan != nil { throw ValidationError("give --port or --vlan, not both") }
        if let vlan { try checkVLAN(vlan, option: "--vlan") }
    }

    func run() throws {
        let result = try connection.call(.macFlush, params: MACFlushParams(port: port, vlan: vlan), as: MACFlushResult.self)
        connection.emit(result) { "flushed \(result.flushed) entries\n" }
    }
}
