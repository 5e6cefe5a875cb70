import ArgumentParser
import ControlProtocol
import Hummingbird
import Logging
import SluiceMetrics

/// Serves sluiced's counters on /metrics for Prometheus. Each scrape reads the control socket anew
/// (the status methods `MetricsSnapshot.read` calls); the exporter keeps no state. It needs only
/// permission to connect to the socket (`control.socket-group`), no privilege, and sluiced itself opens no
/// TCP port.
@main
struct SluiceExporter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-exporter",
        abstract: "Prometheus metrics of sluiced, read from its control socket, served over HTTP on /metrics.")

    @Option(name: .shortAndLong, help: "The control socket of sluiced.", completion: .file())
    var socket = "/run/sluice/sluice.sock"

    @Option(help: "The address to listen on.") var address = "127.0.0.1"

    @Option(help: "The TCP port to listen on.") var port = 9477

    @Option(help: "Seconds to wait for sluiced on each scrape.") var timeout = 5.0

    @Flag(help: "Print the metrics once to standard output and exit (no HTTP server).") var once = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port: \(port) is not a TCP port") }
        guard timeout > 0 else { throw ValidationError("--timeout: must be positive") }
    }

    func run() async throws {
        let logger = Logger(label: "sluice-exporter")
        if once {
            let (text, up) = scrape(logger: logger)
            print(text, terminator: "")
            if !up { throw ExitCode(1) }
            return
        }
        let router = Router()
        let exporter = self
        router.get("/metrics") { _, _ -> Response in
            let (text, _) = exporter.scrape(logger: logger)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/") { _, _ -> String in "sluice-exporter: metrics on /metrics\n" }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(address, port: port), serverName: "sluice-exporter"),
            logger: logger)
        try await app.runService()
    }

    /// One snapshot rendered as the exposition format, and whether sluiced answered (else `sluice_up 0`).
    func scrape(logger: Logger) -> (String, Bool) {
        do {
            let client = try ControlClient(socketPath: socket, timeout: .milliseconds(Int(timeout * 1000)))
            return (MetricsSnapshot.render(try MetricsSnapshot.read(from: client)), true)
        } catch {
            logger.warning("cannot read sluiced: \(error.description)")
            return (MetricFamilies.renderDown(), false)
        }
    }
}

extension MetricsSnapshot {
    static func render(_ snapshot: MetricsSnapshot) -> String { MetricFamilies.render(snapshot) }
}
