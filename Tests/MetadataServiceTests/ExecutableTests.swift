import ControlProtocol
import Foundation
import Testing

@testable import MetadataService

/// The `sluice-metadata` binary, started as an operator would, against the real control server with a test
/// registry serving `metadata.clients`; curl asks from different loopback source addresses (the whole of
/// 127.0.0.0/8 is local on Linux), which stand in for the pool addresses the intercept stage will give.
@Suite(.serialized) struct ExecutableTests {
    static let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("sluice-metadata").path

    static let a = MetadataClient(address: "127.0.0.1", port: "vm-a", instanceID: "i-exe-a", vlan: 7)
    static let b = MetadataClient(address: "127.0.0.2", port: "vm-b", instanceID: "i-exe-b")

    @Test func twoCallersGetTheirOwnInstanceAndTokensDoNotCross() throws {
        let clients = FakeClients([Self.a, Self.b])
        let control = try ControlTestServer { methods in
            methods.register(MetadataMethods.clients) { () throws(RPCErrorObject) -> [MetadataClient] in
                do { return try clients.list() } catch {
                    throw RPCErrorObject(code: RPCErrorObject.internalError, message: "\(error)")
                }
            }
        }
        defer { control.stop() }
        let tree = try DocumentTree()
        defer { tree.remove() }
        try tree.write("i-exe-a/user-data", "#cloud-config\n")
        try tree.write("i-exe-b/http-tokens", "optional")
        let service = try ServiceProcess(root: tree.root.path, socket: control.path)
        defer { service.stop() }
        let base = "http://127.0.0.1:\(service.port)"

        let tokenA = try curl(
            ["-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60", "\(base)/latest/api/token"],
            from: "127.0.0.1")
        #expect(tokenA.status == 200)
        let tokenB = try curl(
            ["-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60", "\(base)/latest/api/token"],
            from: "127.0.0.2")
        #expect(tokenB.status == 200)
        let idA = try curl(
            ["-H", "X-aws-ec2-metadata-token: \(tokenA.body)", "\(base)/latest/meta-data/instance-id"],
            from: "127.0.0.1")
        #expect(idA.status == 200)
        #expect(idA.body == "i-exe-a")
        let idB = try curl(
            ["-H", "X-aws-ec2-metadata-token: \(tokenB.body)", "\(base)/latest/meta-data/instance-id"],
            from: "127.0.0.2")
        #expect(idB.body == "i-exe-b")
        // A's token is refused for B, even though B's tokens are optional.
        let crossed = try curl(
            ["-H", "X-aws-ec2-metadata-token: \(tokenA.body)", "\(base)/latest/meta-data/instance-id"],
            from: "127.0.0.2")
        #expect(crossed.status == 401)
        // A's tokens are required (the service's default); B's optional.
        #expect(try curl(["\(base)/latest/meta-data/instance-id"], from: "127.0.0.1").status == 401)
        #expect(try curl(["\(base)/latest/meta-data/sluice/port"], from: "127.0.0.2").body == "vm-b")
        let vlan = try curl(
            ["-H", "X-aws-ec2-metadata-token: \(tokenA.body)", "\(base)/latest/meta-data/sluice/vlan"],
            from: "127.0.0.1")
        #expect(vlan.body == "7")
        // No pool address of an enabled port: forbidden.
        #expect(try curl(["\(base)/latest/meta-data/"], from: "127.0.0.3").status == 403)
        #expect(clients.calls >= 1)

        // sluiced gone: known callers are still served from the last map, unknown ones are unavailable.
        control.stop()
        #expect(try curl(["\(base)/latest/meta-data/sluice/port"], from: "127.0.0.2").body == "vm-b")
        #expect(try curl(["\(base)/latest/meta-data/"], from: "127.0.0.4").status == 503)
        #expect(service.isRunning)
    }

    @Test func badArgumentsAreRefusedWithTheirName() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--http-tokens", "sometimes"]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(output.contains("--http-tokens"))
    }
}

/// `sluice-metadata` on 127.0.0.1 at a free port, its log in a file; `stop()` ends it (SIGTERM). It asks the
/// control socket on every unknown caller (no refresh throttle), so the test needs no waiting.
final class ServiceProcess {
    let port: Int
    private let process: Process
    let logPath: String

    init(root: String, socket: String) throws {
        logPath = NSTemporaryDirectory() + "sluice-mdexe-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: ExecutableTests.binary)
        process.arguments = [
            "--address", "127.0.0.1", "--port", "0", "--root", root, "--socket", socket, "--log-level", "debug",
            "--min-refresh-interval", "0",
        ]
        process.standardError = log
        process.standardOutput = log
        try process.run()
        // Ready when it logs its port; generous, the machine may be busy.
        let deadline = ContinuousClock.now + .seconds(60)
        var found: Int?
        while found == nil && ContinuousClock.now < deadline && process.isRunning {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on 127\.0\.0\.1:([0-9]+)"#, options: .regularExpression) {
                found = Int(text[range].split(separator: ":").last ?? "")
            } else {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw NotReady(log: text)
        }
        port = found
    }

    struct NotReady: Error, CustomStringConvertible {
        let log: String
        var description: String { "sluice-metadata did not start listening:\n\(log)" }
    }

    var isRunning: Bool { process.isRunning }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: logPath)
    }
}

struct CurlResult {
    var status: Int
    var body: String
}

/// Runs curl from `source` (its --interface), returning the HTTP status and the body.
func curl(_ arguments: [String], from source: String) throws -> CurlResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-s", "--max-time", "30", "--interface", source, "-w", "\n%{http_code}"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard let newline = text.lastIndex(of: "\n") else { return CurlResult(status: 0, body: text) }
    return CurlResult(status: Int(text[text.index(after: newline)...]) ?? 0, body: String(text[..<newline]))
}
