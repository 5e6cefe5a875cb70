import ControlProtocol
import Foundation

/// What the security-group tests read from a tools/sg-peer.py server or stream (usually in a namespace).
extension BackgroundCommand {
    /// Waits until the process printed "ready" (it failed if it exited first).
    func waitReady(_ what: String, timeout: Duration = .seconds(20)) throws {
        try System.waitUntil(what, timeout: timeout) {
            if output.contains("ready") { return true }
            guard process.isRunning else { throw TestFailure("\(what): exited first:\n\(output)") }
            return false
        }
    }

    /// A stream's bytes echoed so far: its last `{"echoed": N, ...}` line.
    var echoed: Int {
        let line = output.split(separator: "\n").last { $0.hasPrefix("{\"echoed\"") }
        guard let line, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { return 0 }
        return object["echoed"] as? Int ?? 0
    }
}

/// Linux hosts on net_tap access ports of one sluiced, each in its own namespace (prefix `sgt`, IPv6 off)
/// with a fixed MAC and an address in 10.78.0.0/24, talking through tools/sg-peer.py. The namespaces are
/// deleted by `remove()` (call it in a `defer`), the daemon's directory too.
final class SecurityGroupHosts {
    struct Host {
        let port: String
        let tap: String
        let namespace: Namespace
        let address: String
        let mac: String
    }

    static let tool = System.repositoryFile("tools/sg-peer.py")
    private(set) var hosts: [String: Host] = [:]
    private(set) var daemon: SluicedProcess?
    private var peers: [BackgroundCommand] = []

    /// `ports`: port name → the last byte of its address and MAC; `config(taps)` writes the whole YAML.
    init(ports: [String: Int]) throws {
        let tag = "sgt\(getpid() % 100_000)"
        for (port, number) in ports {
            let namespace = try Namespace.create("\(tag)\(port)")
            hosts[port] = Host(
                port: port, tap: "\(tag)t\(port)", namespace: namespace, address: "10.78.0.\(number)",
                mac: String(format: "02:00:00:78:00:%02x", number))
        }
    }

    func host(_ port: String) throws -> Host {
        guard let host = hosts[port] else { throw TestFailure("no host on port \(port)") }
        return host
    }

    /// Starts sluiced with `config` (its `ports:` written from the hosts' taps by the caller) and moves each
    /// tap into its host's namespace.
    func start(config: String, label: String) throws -> SluicedProcess {
        let daemon = try SluicedProcess(config: config, label: label)
        self.daemon = daemon
        try daemon.waitReady()
        for host in hosts.values {
            let ns = host.namespace
            try System.must(["ip", "link", "set", host.tap, "netns", ns.name])
            try ns.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
            try ns.exec(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
            try ns.exec(["ip", "link", "set", host.tap, "address", host.mac])
            try ns.exec(["ip", "addr", "add", "\(host.address)/24", "dev", host.tap])
            try ns.exec(["ip", "link", "set", host.tap, "up"])
        }
        return daemon
    }

    /// A background sg-peer.py command in `port`'s host (a server or a stream), stopped by `remove()`.
    func background(_ port: String, _ arguments: [String], label: String) throws -> BackgroundCommand {
        let peer = try BackgroundCommand(
            ["ip", "netns", "exec", try host(port).namespace.name, Self.tool] + arguments, label: label)
        peers.append(peer)
        return peer
    }

    /// Echo servers in `port`'s host.
    func serve(_ port: String, tcp: [Int], udp: [Int]) throws {
        let server = try background(
            port,
            [
                "serve", "--tcp", tcp.map(String.init).joined(separator: ","), "--udp",
                udp.map(String.init).joined(separator: ","),
            ],
            label: "serve-\(port)")
        try server.waitReady("the servers in \(port) to listen")
    }

    /// Whether `from`'s host connects to `to`'s TCP `port` and gets an echo back (2 s at most).
    func connects(_ from: String, _ to: String, port: Int) throws -> Bool {
        try host(from).namespace.run(
            [Self.tool, "connect", try host(to).address, "\(port)", "--timeout", "2"], timeout: .seconds(30)
        ).status == 0
    }

    /// Whether a UDP datagram from `from`'s host to `to`'s `port` is echoed back (2 s at most).
    func udpReplies(_ from: String, _ to: String, port: Int) throws -> Bool {
        try host(from).namespace.run(
            [Self.tool, "udp", try host(to).address, "\(port)", "--timeout", "2"], timeout: .seconds(30)
        ).status == 0
    }

    func pings(_ from: String, _ to: String) throws -> Bool {
        try host(from).namespace.run(
            ["ping", "-c", "2", "-i", "0.2", "-W", "2", try host(to).address], timeout: .seconds(30)
        ).status == 0
    }

    /// sluicectl with the daemon's socket; its output must parse as `T` (a `--json` command).
    func ctl<T: Decodable>(_ arguments: [String], as type: T.Type) throws -> T {
        guard let daemon else { throw TestFailure("sluiced is not running") }
        let output = try System.must([System.binary("sluicectl")] + arguments + ["--socket", daemon.socketPath])
        do {
            return try JSONDecoder().decode(T.self, from: Data(output.utf8))
        } catch {
            throw TestFailure("sluicectl \(arguments.joined(separator: " ")): \(error)\n\(output)")
        }
    }

    /// Applies the daemon's config file with `edit` applied to its text (the whole document, as `sluicectl
    /// apply` sends it).
    func apply(_ edit: (String) -> String) throws {
        guard let daemon else { throw TestFailure("sluiced is not running") }
        let text = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        let changed = edit(text)
        guard changed != text else { throw TestFailure("the edit changed nothing") }
        try changed.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        _ = try daemon.client().call(
            "config.apply", params: ConfigApplyParams(document: changed, dryRun: false), as: ConfigApplyResult.self)
    }

    /// Stops the peers and sluiced, deletes the namespaces and the daemon's directory.
    func remove() {
        for peer in peers { peer.stop() }
        peers.removeAll()
        if let daemon {
            _ = try? daemon.stop()
            daemon.removeDirectory()
        }
        for host in hosts.values { host.namespace.delete() }
    }
}
