import ArgumentParser
import ControlProtocol
import Foundation

/// `sluicectl ports`: the same as `sluicectl port list`.
struct Ports: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ports with link state and counters (= port list).")
    @OptionGroup var connection: Connection

    func run() throws { try PortList.show(connection) }
}

struct Port: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, add, remove and change ports.",
        discussion: """
            add, del and set change the desired state: sluiced validates the whole new state, plans the \
            change and applies it atomically (or, with --dry-run, only prints the plan). Changes that only \
            touch a port's bridge settings (admin, VLANs, MAC limit, port security, static MACs) leave \
            traffic flowing.
            """,
        subcommands: [PortList.self, PortShow.self, PortAdd.self, PortDelete.self, PortSet.self],
        defaultSubcommand: PortList.self)
}

struct PortList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Ports with link state and counters.")
    @OptionGroup var connection: Connection

    func run() throws { try Self.show(connection) }

    static func show(_ connection: Connection) throws {
        let ports = try connection.call(.portList, as: [PortStatus].self)
        connection.emit(ports) {
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

struct PortShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One port: its state, all its counters and its entry in the desired state.")
    @OptionGroup var connection: Connection
    @Argument(help: "The port's name.", completion: portNameCompletion) var name: String

    /// --json output: the port's status and its config entry (absent if sluiced does not report one).
    struct Shown: Encodable {
        var status: PortStatus
        var config: JSONValue?
    }

    func run() throws {
        let client = try connection.connect()
        let ports = try connection.call(.portList, params: NoParams(), on: client, as: [PortStatus].self)
        guard let port = ports.first(where: { $0.name == name }) else {
            throw failure("no port named '\(name)'; ports are: \(ports.map(\.name).joined(separator: ", "))", Exit.daemonError)
        }
        // The desired-state entry is a bonus: a daemon without config.get still shows the status.
        let document = try? client.call(ControlMethod.configGet.rawValue, params: NoParams(), as: ConfigDocumentResult.self)
        var entry: JSONValue?
        if case .array(let list)? = document?.config["ports"] {
            entry = list.first { $0["name"] == .string(name) }
        }
        connection.emit(Shown(status: port, config: entry)) {
            var rows: [[String]] = [
                ["name", port.name], ["index", "\(port.index)"], ["dpdk-port", "\(port.dpdkPortID)"],
                ["devargs", port.devargs], ["driver", port.driver], ["admin", port.admin],
                ["link", port.linkUp ? "up, \(port.linkSpeedMbps) Mb/s" : "down"], ["mtu", "\(port.mtu)"],
                ["mac", port.macAddress], ["queues", "rx \(port.rxQueues), tx \(port.txQueues)"],
                ["rx", "\(port.counters.rxPackets) packets, \(port.counters.rxBytes) bytes"],
                ["tx", "\(port.counters.txPackets) packets, \(port.counters.txBytes) bytes, \(port.counters.txDropped) dropped"],
            ]
            if let d = port.driverStats {
                rows.append(["driver-rx", "\(d.rxPackets) packets, \(d.rxMissed) missed, \(d.rxErrors) errors, \(d.rxNoMbuf) no-mbuf"])
                rows.append(["driver-tx", "\(d.txPackets) packets, \(d.txErrors) errors"])
            }
            if let m = port.macLearning {
                rows.append(["macs", "\(m.learned) learned of \(m.limit); not learned: \(m.limitReached) at limit, \(m.tableFull) table full"])
            }
            if let members = entry?.objectValue {
                for key in members.keys.sorted() where key != "name" {
                    rows.append(["config.\(key)", members[key]!.description])
                }
            }
            return Table(["field", "value"], rows).render()
        }
    }
}

enum AdminState: String, ExpressibleByArgument, CaseIterable {
    case up, down
}

/// A port's VLAN membership, as options (shared by add and set).
struct VLANOptions: ParsableArguments {
    @Option(name: .customLong("vlan-access"), help: ArgumentHelp("Make it an access port on this VLAN (1...4094).", valueName: "id"))
    var access: Int?

    @Option(
        name: .customLong("vlan-trunk"),
        help: ArgumentHelp("Make it a trunk carrying these VLANs tagged, e.g. 100,200-210.", valueName: "list"))
    var trunk: String?

    @Option(help: ArgumentHelp("With --vlan-trunk: the VLAN of untagged frames.", valueName: "id"))
    var native: Int?

    func validate() throws {
        if access != nil && trunk != nil { throw ValidationError("give --vlan-access or --vlan-trunk, not both") }
        if native != nil && trunk == nil { throw ValidationError("--native only applies to a trunk: add --vlan-trunk LIST") }
        if let access { try checkVLAN(access, option: "--vlan-access") }
        if let native { try checkVLAN(native, option: "--native") }
        if let trunk { _ = try parseTrunk(trunk) }
    }

    /// The port's `vlan` key, nil when no option was given.
    var value: JSONValue? {
        if let access { return .object(["mode": .string("access"), "id": .number(Double(access))]) }
        guard let trunk, let allowed = try? parseTrunk(trunk) else { return nil }
        var members: [String: JSONValue] = ["mode": .string("trunk"), "allowed": .array(allowed)]
        if let native { members["native"] = .number(Double(native)) }
        return .object(members)
    }
}

func checkVLAN(_ id: Int, option: String) throws {
    guard (1...4094).contains(id) else {
        throw ValidationError("\(option): \(id) is not a VLAN id; VLAN ids are 1...4094 (0 and 4095 are reserved)")
    }
}

/// "100,200-210" as the config file's `allowed` list: [100, "200-210"].
func parseTrunk(_ text: String) throws -> [JSONValue] {
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    return try items.map { item -> JSONValue in
        let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
        let numbers = bounds.compactMap { Int($0) }
        guard !item.isEmpty, numbers.count == bounds.count, (1...2).contains(numbers.count) else {
            throw ValidationError("--vlan-trunk: '\(item)' is neither a VLAN id nor a range a-b; write e.g. 100,200-210")
        }
        for number in numbers { try checkVLAN(number, option: "--vlan-trunk") }
        if numbers.count == 1 { return .number(Double(numbers[0])) }
        guard numbers[0] <= numbers[1] else {
            throw ValidationError("--vlan-trunk: range '\(item)' runs backwards; write \(numbers[1])-\(numbers[0])")
        }
        return .string("\(numbers[0])-\(numbers[1])")
    }
}

/// "MAC" or "MAC@VLAN" as a `static-macs` entry.
func parseStaticMAC(_ text: String) throws -> JSONValue {
    let parts = text.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count <= 2, !parts[0].isEmpty else {
        throw ValidationError("--static-mac: '\(text)' should be MAC or MAC@VLAN, e.g. 52:54:00:12:34:56@100")
    }
    var entry: [String: JSONValue] = ["mac": .string(String(parts[0]))]
    if parts.count == 2 {
        guard let vlan = Int(parts[1]) else {
            throw ValidationError("--static-mac: '\(parts[1])' in '\(text)' is not a VLAN id; write MAC@VLAN, e.g. 52:54:00:12:34:56@100")
        }
        try checkVLAN(vlan, option: "--static-mac")
        entry["vlan"] = .number(Double(vlan))
    }
    return .object(entry)
}

func checkMaxMACs(_ value: Int?) throws {
    if let value, !(1...1_048_576).contains(value) {
        throw ValidationError("--max-macs: \(value) is out of range; give 1...1048576")
    }
}

struct PortAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a port to the running dataplane (and to the persisted desired state).")
    @OptionGroup var connection: Connection

    @Argument(help: "The new port's name.") var name: String
    @Option(help: "DPDK device arguments, e.g. net_tap3,iface=vm3 or 0000:01:00.0.") var devargs: String
    @OptionGroup var vlan: VLANOptions
    @Option(help: "Start it up (default) or down.") var admin: AdminState?
    @Option(help: ArgumentHelp("Limit on the MACs learnt on it (default: l2.max-macs-per-port).", valueName: "n"))
    var maxMacs: Int?
    @Option(help: ArgumentHelp("Port security: the only source MAC accepted from it.", valueName: "mac")) var mac: String?
    @Option(help: ArgumentHelp("With --mac: a source IP it may use (repeat for more).", valueName: "address")) var ip: [String] = []
    @Option(help: ArgumentHelp("A static MAC entry on it, MAC or MAC@VLAN (repeat for more).", valueName: "mac[@vlan]"))
    var staticMac: [String] = []
    @Flag(help: "Only validate and print the plan; change nothing.") var dryRun = false

    func validate() throws {
        try checkMaxMACs(maxMacs)
        if !ip.isEmpty && mac == nil { throw ValidationError("--ip restricts port security: add --mac MAC (the port's only source MAC)") }
        for entry in staticMac { _ = try parseStaticMAC(entry) }
    }

    /// The port's entry in the config file's `ports` list.
    var entry: JSONValue {
        var port: [String: JSONValue] = ["name": .string(name), "devargs": .string(devargs)]
        if let admin { port["admin"] = .string(admin.rawValue) }
        if let value = vlan.value { port["vlan"] = value }
        if let maxMacs { port["max-macs"] = .number(Double(maxMacs)) }
        if let mac {
            var security: [String: JSONValue] = ["mac": .string(mac)]
            if !ip.isEmpty { security["ips"] = .array(ip.map { .string($0) }) }
            port["port-security"] = .object(security)
        }
        if !staticMac.isEmpty { port["static-macs"] = .array(staticMac.compactMap { try? parseStaticMAC($0) }) }
        return .object(port)
    }

    func run() throws {
        let result = try connection.call(.portAdd, params: PortAddParams(port: entry, dryRun: dryRun ? true : nil), as: ConfigApplyResult.self)
        connection.emit(result) { renderPlan(result) }
    }
}

struct PortDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del", abstract: "Remove a port (and the patch it is in, if any).", aliases: ["delete", "rm"])
    @OptionGroup var connection: Connection
    @Argument(help: "The port's name.", completion: portNameCompletion) var name: String
    @Flag(help: "Only validate and print the plan; change nothing.") var dryRun = false

    func run() throws {
        let result = try connection.call(
            .portDelete, params: PortDeleteParams(name: name, dryRun: dryRun ? true : nil), as: ConfigApplyResult.self)
        connection.emit(result) { renderPlan(result) }
    }
}

struct PortSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change a port's settings; the options not given stay as they are.")
    @OptionGroup var connection: Connection
    @Argument(help: "The port's name.", completion: portNameCompletion) var name: String

    @Option(help: "Administrative state.") var admin: AdminState?
    @OptionGroup var vlan: VLANOptions
    @Flag(help: "Back to the default VLAN membership (access port on VLAN 1).") var vlanDefault = false
    @Option(help: ArgumentHelp("Limit on the MACs learnt on it.", valueName: "n")) var maxMacs: Int?
    @Flag(help: "Back to the default limit (l2.max-macs-per-port).") var maxMacsDefault = false
    @Option(help: ArgumentHelp("Turn on port security: the only source MAC accepted.", valueName: "mac"))
    var portSecurityMac: String?
    @Option(help: ArgumentHelp("With --port-security-mac: a source IP it may use (repeat for more).", valueName: "address"))
    var ip: [String] = []
    @Flag(help: "Turn port security off.") var noPortSecurity = false
    @Option(help: ArgumentHelp("Replace its static MACs with these, MAC or MAC@VLAN (repeat for more).", valueName: "mac[@vlan]"))
    var staticMac: [String] = []
    @Flag(help: "Remove all its static MACs.") var noStaticMacs = false
    @Flag(help: "Only validate and print the plan; change nothing.") var dryRun = false

    func validate() throws {
        if vlanDefault && (vlan.access != nil || vlan.trunk != nil) {
            throw ValidationError("--vlan-default contradicts --vlan-access/--vlan-trunk: give one of them")
        }
        if maxMacsDefault && maxMacs != nil { throw ValidationError("give --max-macs N or --max-macs-default, not both") }
        try checkMaxMACs(maxMacs)
        if noPortSecurity && portSecurityMac != nil { throw ValidationError("give --port-security-mac or --no-port-security, not both") }
        if !ip.isEmpty && portSecurityMac == nil {
            throw ValidationError("--ip belongs to port security: add --port-security-mac MAC")
        }
        if noStaticMacs && !staticMac.isEmpty { throw ValidationError("give --static-mac or --no-static-macs, not both") }
        for entry in staticMac { _ = try parseStaticMAC(entry) }
        if settings.isEmpty {
            throw ValidationError(
                "nothing to change: give at least one of --admin, --vlan-access, --vlan-trunk, --vlan-default, --max-macs, "
                    + "--max-macs-default, --port-security-mac, --no-port-security, --static-mac, --no-static-macs")
        }
    }

    /// The keys to change; null returns a key to its default.
    var settings: [String: JSONValue] {
        var settings: [String: JSONValue] = [:]
        if let admin { settings["admin"] = .string(admin.rawValue) }
        if let value = vlan.value { settings["vlan"] = value }
        if vlanDefault { settings["vlan"] = .null }
        if let maxMacs { settings["max-macs"] = .number(Double(maxMacs)) }
        if maxMacsDefault { settings["max-macs"] = .null }
        if let portSecurityMac {
            var security: [String: JSONValue] = ["mac": .string(portSecurityMac)]
            if !ip.isEmpty { security["ips"] = .array(ip.map { .string($0) }) }
            settings["port-security"] = .object(security)
        }
        if noPortSecurity { settings["port-security"] = .null }
        if !staticMac.isEmpty { settings["static-macs"] = .array(staticMac.compactMap { try? parseStaticMAC($0) }) }
        if noStaticMacs { settings["static-macs"] = .null }
        return settings
    }

    func run() throws {
        let result = try connection.call(
            .portSet, params: PortSetParams(name: name, settings: .object(settings), dryRun: dryRun ? true : nil),
            as: ConfigApplyResult.self)
        connection.emit(result) { renderPlan(result) }
    }
}
