import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MetadataService

@main
struct SluiceMetadata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-metadata",
        abstract: "An IMDSv2-compatible metadata service for the VMs behind Sluice (docs/metadata.md).",
        discussion: """
            Serves each VM the documents of its own instance, from --root (<root>/<instance-id>/meta-data/..., \
            user-data, http-tokens) and generated from its Sluice port. A caller is identified by the address \
            its request comes from (the pool address Sluice gave its port), resolved through sluiced's control \
            socket (metadata.clients). Run it unprivileged; it needs only the socket's group and its address.
            """)

    @Option(help: "The address to listen on (the metadata section's service address).")
    var address = "169.254.169.254"

    @Option(help: "The TCP port to listen on (0: any free port; the log says which).")
    var port = 80

    @Option(help: "The documents' directory: <root>/<instance-id>/meta-data/..., user-data, http-tokens.")
    var root = "/var/lib/sluice-metadata"

    @Option(name: .shortAndLong, help: "The control socket of sluiced.")
    var socket = "/run/sluice/sluice.sock"

    @Option(help: "Whether instances without an http-tokens file need a token: required or optional.")
    var httpTokens = "required"

    @Option(help: "Ask sluiced for the client map at most once per this many milliseconds (unknown callers).")
    var minRefreshInterval = 1000

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard TokenPolicy(rawValue: httpTokens) != nil else {
            throw ValidationError("--http-tokens: \"\(httpTokens)\" is neither required nor optional")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port: \(port) is out of range 0...65535") }
        guard minRefreshInterval >= 0 else {
            throw ValidationError("--min-refresh-interval: \(minRefreshInterval) is negative")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: \"\(logLevel)\" is not a log level")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluice-metadata")
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) || !isDirectory.boolValue {
            logger.warning("--root \(root) is not a directory: only generated documents are served")
        }
        let clock = MetadataClock.continuous()
        let service = MetadataService(
            callers: CallerDirectory(
                clock: clock, minimumRefreshInterval: .milliseconds(minRefreshInterval), logger: logger,
                fetch: CallerDirectory.controlSocket(path: socket)),
            documents: DocumentStore(root: root), defaultPolicy: TokenPolicy(rawValue: httpTokens) ?? .required,
            clock: clock, logger: logger)
        let app = service.application(host: address, port: port, logger: logger) { port in
            logger.info("listening on \(address):\(port.map(String.init) ?? "?")")
        }
        try await app.runService()
    }
}
