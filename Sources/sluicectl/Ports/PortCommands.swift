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
        subcommands: [PortList.self, PortShow.self, PortAdd.self, PortDelete.self, PortSet.self, PortRetry.self],
        defaultSubcommand: PortList.self)
}

struct PortList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Ports with link state and counters.")
    @OptionGroup var connection: Connection

    func run() throws { try Self.show(connection) }

    static func show(_ connection: Connection) throws {
        let ports = try connection.call(PortMethods.list)
        connection.emit(ports) {
            Table(
                [
                    "port", "driver", "admin", "link", "mtu", "mac", "rx-pkts", "rx-bytes", "tx-pkts", "tx-bytes",
                    "tx-drop", "rx-missed", "macs",
                ],
                ports.map { p in
                    [
                        p.name, p.error == nil ? p.driver : "-", p.admin, linkState(p), "\(p.mtu)",
                        p.error == nil ? p.macAddress : "-",
                        "\(p.counters.rxPackets)", "\(p.counters.rxBytes)", "\(p.counters.txPackets)",
                        "\(p.counters.txBytes)",
                        "\(p.counters.txDropped)", p.driverStats.map { "\($0.rxMissed)" } ?? "-",
                        p.macLearning.map { "\($0.learned)/\($0.limit)" } ?? "-",
                    ]
                }
            ).render() + notRunning(ports)
        }
    }
}

/// "up", "down", or "failed" for a port of the desired state whose device is not running.
func linkState(_ port: PortStatus) -> String {
    port.error != nil ? "failed" : port.linkUp ? "up" : "down"
}

/// One line per failed port under a port table, with its error and what to do about it.
func notRunning(_ ports: [PortStatus]) -> String {
    ports.compactMap { p in
        p.error.map { "port \(p.name) is not running: \($0) (sluicectl port retry \(p.name), or port del)\n" }
    }.joined()
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
        let ports = try connection.call(PortMethods.list, NoParams(), on: client)
        guard let port = ports.first(where: { $0.name == name }) else {
            throw failure(
                "no port named '\(name)'; ports are: \(ports.map(\.name).joined(separator: ", "))", Exit.daemonError)
        }
        // The desired-state entry is a bonus: a daemon without config.get still shows the status.
        let document = try? client.call(ConfigMethods.get)
        var entry: JSONValue?
        if case .array(let list)? = document?.config["ports"] {
            entry = list.first { $0["name"] == .string(name) }
        }
        connection.emit(Shown(status: port, config: entry)) {
            var rows: [[String]] = [
                ["name", port.name], ["index", "\(port.index)"], ["dpdk-port", "\(port.dpdkPortID)"],
                ["devargs", port.devargs], ["driver", port.driver], ["admin", port.admin],
                ["link", port.error != nil ? "failed" : port.linkUp ? "up, \(port.linkSpeedMbps) Mb/s" : "down"],
                ["mtu", "\(port.mtu)"],
                ["mac", port.macAddress], ["queues", "rx \(port.rxQueues), tx \(port.txQueues)"],
                ["rx", "\(port.counters.rxPackets) packets, \(port.counters.rxBytes) bytes"],
                [
                    "tx",
                    "\(port.counters.txPackets) packets, \(port.counters.txBytes) bytes, \(port.counters.txDropped) dropped",
                ],
            ]
            if let error = port.error { rows.insert(["error", error], at: 1) }
            if let d = port.driverStats {
                rows.append([
                    "driver-rx",
                    "\(d.rxPackets) packets, \(d.rxMissed) missed, \(d.rxErrors) errors, \(d.rxNoMbuf) no-mbuf",
                ])
                rows.append(["driver-tx", "\(d.txPackets) packets, \(d.txErrors) errors"])
            }
            if let m = port.macLearning {
                rows.append([
                    "macs",
                    "\(m.learned) learned of \(m.limit); not learned: \(m.limitReached) at limit, \(m.tableFull) table full",
                ])
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

struct PortAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a port to the running dataplane (and to the persisted desired state).")
    @OptionGroup var connection: Connection

    @Argument(help: "The new port's name.") var name: String
    @Option(help: "DPDK device arguments, e.g. net_tap3,iface=vm3 or 0000:01:00.0.") var devargs: String
    @OptionGroup var settings: PortSettings
    @Flag(help: "Only validate and print the plan; change nothing.") var dryRun = false

    func validate() throws {
        if let flag = settings.setOnlyFlagsGiven.first {
            throw ValidationError("\(flag) only applies to port set: a new port starts with the defaults")
        }
    }

    /// The port's entry in the config file's `ports` list.
    var entry: JSONValue {
        var port = settings.values
        port["name"] = .string(name)
        port["devargs"] = .string(devargs)
        return .object(port)
    }

    func run() throws {
        let result = try connection.call(PortMethods.add, PortAddParams(port: entry, dryRun: dryRun ? true : nil))
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
            PortMethods.delete, PortDeleteParams(name: name, dryRun: dryRun ? true : nil))
        connection.emit(result) { renderPlan(result) }
    }
}

struct PortSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change a port's settings; the options not given stay as they are.")
    @OptionGroup var connection: Connection
    @Argument(help: "The port's name.", completion: portNameCompletion) var name: String

    @OptionGroup var settings: PortSettings
    @Flag(help: "Only validate and print the plan; change nothing.") var dryRun = false

    func validate() throws {
        if settings.values.isEmpty {
            throw ValidationError("nothing to change: give at least one setting (sluicectl port set --help lists them)")
        }
    }

    func run() throws {
        let result = try connection.call(
            PortMethods.set, PortSetParams(name: name, settings: .object(settings.values), dryRun: dryRun ? true : nil))
        connection.emit(result) { renderPlan(result) }
    }
}

struct PortRetry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Bring up again a port whose device failed (e.g. after a restart from the persisted state).",
        discussion: """
            A port of the persisted state whose device could not be attached when sluiced started stays in \
            the desired state, shown as failed by ports and health. Fix the cause (the socket directory, the \
            NIC, the file), then retry; or remove the port with port del. A running port is left as it is.
            """)
    @OptionGroup var connection: Connection
    @Argument(help: "The port's name.", completion: portNameCompletion) var name: String

    func run() throws {
        let port = try connection.call(PortMethods.retry, PortRetryParams(name: name))
        connection.emit(port) { "port \(port.name): \(linkState(port)) (driver \(port.driver))\n" }
    }
}
