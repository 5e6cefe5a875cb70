import ArgumentParser
import ControlProtocol
import Foundation

@main
struct Sluicectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluicectl",
        abstract: "Inspect and configure a running sluiced through its control socket.",
        discussion: """
            Every subcommand takes --socket PATH (default /run/sluice/sluice.sock), --json (print the control \
            API's result as JSON instead of a table) and --timeout SECONDS.

            Exit status: 0 success (health: ok); 1 sluiced answered with an error, or health reports \
            degraded; 2 sluiced rejected the change (invalid configuration, restart required, or it could \
            not be applied: nothing changed); 3 no usable answer (sluiced unreachable, timed out, closed the \
            connection, or answered something unreadable); 64 invalid command line, or the file given to \
            apply -f cannot be read.

            Shell completion: sluicectl --generate-completion-script bash|zsh|fish
            """,
        version: SluiceVersion.current,
        subcommands: [
            Version.self, Health.self,
            Ports.self, Port.self, Vhost.self, Queues.self,
            VLANs.self, MACs.self, FlushMACs.self,
            SecurityGroups.self, Conntrack.self,
            QoS.self,
            VXLAN.self, Neighbours.self,
            DHCP.self,
            Metadata.self,
            PMDs.self, Stages.self, Stats.self,
            Trace.self,
            Capture.self,
            GetConfig.self, Apply.self,
        ])
}

/// sluicectl's exit statuses (documented in the root command's help and docs/control-protocol.md).
enum Exit {
    static let daemonError: Int32 = 1
    static let rejected: Int32 = 2
    static let unreachable: Int32 = 3
    static let usage: Int32 = 64
}

/// Options every subcommand takes, and the one way subcommands talk to sluiced.
struct Connection: ParsableArguments {
    static let defaultSocket = "/run/sluice/sluice.sock"

    @Option(name: .shortAndLong, help: "The control socket of sluiced.", completion: .file())
    var socket = Connection.defaultSocket

    @Flag(help: "Print JSON (the control API's result) instead of a table.")
    var json = false

    @Option(help: "Seconds to wait for sluiced.")
    var timeout: Int = 10

    func validate() throws {
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    func connect() throws -> ControlClient {
        // A write to a connection sluiced closed must fail with EPIPE (exit 3 with a message), not kill us.
        signal(SIGPIPE, SIG_IGN)
        do {
            return try ControlClient(socketPath: socket, timeout: .seconds(timeout))
        } catch {
            throw fail(error)
        }
    }

    func call<R>(_ method: RPCMethod<NoParams, R>) throws -> R {
        try call(method, NoParams())
    }

    func call<P, R>(_ method: RPCMethod<P, R>, _ params: P) throws -> R {
        try call(method, params, on: try connect())
    }

    func call<P, R>(_ method: RPCMethod<P, R>, _ params: P, on client: ControlClient) throws -> R {
        do {
            return try client.call(method, params)
        } catch {
            throw fail(error)
        }
    }

    /// Reports a failed call (stderr; with --json the error object also goes to stdout) and returns the exit
    /// status it maps to.
    func fail(_ error: ControlClient.ClientError) -> ExitCode {
        switch error {
        case .server(let rpcError):
            if json { printJSON(rpcError) }
            printError("sluiced: \(rpcError.message)")
            for problem in rpcError.data?.problems ?? [] { printError("  \(problem)") }
            if let settings = rpcError.data?.needsRestart, !settings.isEmpty {
                printError("  only a restart of sluiced can change: \(settings.joined(separator: ", "))")
            }
            switch rpcError.code {
            case RPCErrorObject.invalidConfig, RPCErrorObject.restartRequired, RPCErrorObject.applyFailed:
                return ExitCode(Exit.rejected)
            default:
                return ExitCode(Exit.daemonError)
            }
        case .connect(let path, let code) where code == EACCES:
            printError(
                "\(error.description) (run as root or as a member of the socket's group, control.socket-group, or see --socket \(path))"
            )
            return ExitCode(Exit.unreachable)
        default:
            printError(error.description)
            return ExitCode(Exit.unreachable)
        }
    }

    /// With --json the value as pretty JSON, otherwise the text `table` builds.
    func emit<R: Encodable>(_ value: R, table: () -> String) {
        if json {
            printJSON(value)
        } else {
            print(table(), terminator: "")
        }
    }
}

/// Reports a failure sluicectl itself detects (not a daemon error) and returns the exit status to throw.
func failure(_ message: String, _ status: Int32) -> ExitCode {
    printError(message)
    return ExitCode(status)
}

func printJSON<R: Encodable>(_ value: R, pretty: Bool = true) {
    let encoder = JSONEncoder()
    encoder.outputFormatting =
        pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return }
    print(String(decoding: data, as: UTF8.self))
}

/// "name=value ..." for the non-zero counters, or "-".
func nonZero(_ counters: [String: UInt64]) -> String {
    let parts = counters.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    return parts.isEmpty ? "-" : parts.joined(separator: " ")
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("sluicectl: \(message)\n".utf8))
}

/// Completes port names from the running daemon (the --socket given on the command line, or the default).
let portNameCompletion = CompletionKind.custom { words, _, prefix in
    var socket = Connection.defaultSocket
    for (index, word) in words.enumerated() where (word == "--socket" || word == "-s") && index + 1 < words.count {
        socket = words[index + 1]
    }
    guard let client = try? ControlClient(socketPath: socket, timeout: .seconds(2)),
        let ports = try? client.call(PortMethods.list)
    else { return [] }
    return ports.map(\.name).filter { $0.hasPrefix(prefix) }
}

func formatSeconds(_ seconds: Double) -> String {
    let total = Int(seconds)
    if total < 60 { return "\(total)s" }
    if total < 3600 { return "\(total / 60)m\(total % 60)s" }
    if total < 86400 { return "\(total / 3600)h\(total % 3600 / 60)m" }
    return "\(total / 86400)d\(total % 86400 / 3600)h"
}
