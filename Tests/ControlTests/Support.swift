import Config
import ControlProtocol
import Foundation
import Logging
import Synchronization
import Testing

@testable import Control

#if canImport(Glibc)
    import Glibc
#endif

/// Deterministic handlers of the control methods: canned results that depend only on how often a method was
/// called, canned errors for recognisable inputs, and a record of every call with its params. Registered per
/// feature, as sluiced registers its own (`register(_:into:)`), so a test serves only the methods it needs.
final class FakeHandler: Sendable {
    struct Call: Equatable, Sendable {
        var method: String
        var params: String
    }

    private let state = Mutex<(calls: [Call], counts: [String: Int])>(([], [:]))
    let portCount: Int
    let healthStatus: String

    /// The canned errors: a document containing one of these words is refused with that error.
    static let invalidConfig = RPCErrorObject(
        code: RPCErrorObject.invalidConfig, message: "the document has 2 problems",
        data: RPCErrorData(problems: [
            "ports[1].mtu: 70000 is out of range 68...9600", "patches[0][1]: \"tap9\" is not the name of a port",
        ]))
    static let restartRequired = RPCErrorObject(
        code: RPCErrorObject.restartRequired, message: "the change needs a restart of sluiced",
        data: RPCErrorData(needsRestart: ["eal.pmd-cpu-mask", "mempool.mbufs"]))
    static let applyFailed = RPCErrorObject(
        code: RPCErrorObject.applyFailed,
        message: "port vm3: cannot attach net_tap9: No such device; nothing was applied")

    /// port.add and port.set validate the port's new entry with the real configuration rules (as sluiced
    /// does) before answering their canned plan, so that sluiced's messages can be checked end to end.
    let validatesPorts: Bool
    /// When set, the last port is failed (no device) with this error, as after a restart from a state whose
    /// device is gone.
    let failedPortError: String?

    init(
        portCount: Int = 2, healthStatus: String = "ok", validatesPorts: Bool = false, failedPortError: String? = nil
    ) {
        self.portCount = portCount
        self.healthStatus = healthStatus
        self.validatesPorts = validatesPorts
        self.failedPortError = failedPortError
    }

    /// The groups of methods a test server can serve, named after sluiced's features.
    enum Feature: CaseIterable, Sendable {
        case status, ports, bridge, plan
    }

    /// Registers the fake's handlers of `features`' methods, in sluiced's order.
    func register(_ features: [Feature], into methods: inout ControlMethodRegistry) {
        for feature in Feature.allCases where features.contains(feature) {
            switch feature {
            case .status:
                methods.register(StatusMethods.version, version)
                methods.register(StatusMethods.health, health)
                methods.register(StatusMethods.pmdList, pmds)
                methods.register(StatusMethods.stageList, stages)
            case .ports:
                methods.register(PortMethods.list, ports)
                methods.register(PortMethods.add, addPort)
                methods.register(PortMethods.delete, deletePort)
                methods.register(PortMethods.set, setPort)
                methods.register(PortMethods.retry, retryPort)
            case .bridge:
                methods.register(BridgeMethods.macList, macs)
                methods.register(BridgeMethods.macFlush, flushMACs)
                methods.register(BridgeMethods.vlanList, vlans)
            case .plan:
                methods.register(ConfigMethods.get, configDocument)
                methods.register(ConfigMethods.apply, applyConfig)
            }
        }
    }

    /// The names of every method the fake serves, in the order the method-not-found error lists them.
    static let allMethodNames: [String] = {
        var methods = ControlMethodRegistry()
        FakeHandler().register(Feature.allCases, into: &methods)
        return methods.names
    }()

    var calls: [Call] { state.withLock { $0.calls } }

    private func record<P, R>(_ method: RPCMethod<P, R>, _ params: some Encodable) -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = (try? encoder.encode(params)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        return state.withLock {
            $0.calls.append(Call(method: method.name, params: text))
            $0.counts[method.name, default: 0] += 1
            return $0.counts[method.name]!
        }
    }

    // Canned values, as functions of the call number (counters grow by a fixed step per call).

    static let versionInfo = VersionInfo(sluice: "9.9.9-test", dpdk: "DPDK 22.11-test", pid: 4242, uptimeSeconds: 3725)

    static func portList(count: Int, call: Int) -> [PortStatus] {
        (0..<count).map { index in
            let n = UInt64(call)
            return PortStatus(
                name: "p\(index)", index: index, dpdkPortID: index, devargs: "net_null\(index),no-rx=1",
                driver: "net_null",
                admin: index == 1 ? "down" : "up", linkUp: index != 1, linkSpeedMbps: 10000, mtu: 1500,
                macAddress: "02:00:00:00:00:0\(index % 10)", rxQueues: 1, txQueues: 1,
                counters: PortCounterValues(
                    rxPackets: n * 1000, rxBytes: n * 64000, txPackets: n * 900, txBytes: n * 57600, txDropped: n * 10),
                driverStats: DriverStats(
                    rxPackets: n * 1000, txPackets: n * 900, rxMissed: n * 3, rxErrors: 0, txErrors: 0, rxNoMbuf: 0),
                macLearning: PortMACLearning(learned: 2, limit: 4096, limitReached: 0, tableFull: 0))
        }
    }

    static let pmdList = [
        PMDStatus(
            lcore: 1, numaSocket: 0, rxQueues: ["p0/0", "p1/0"], iterations: 1000, busyCycles: 250, idleCycles: 750,
            rxPackets: 10,
            punt: [
                "punted": 7, "punt-ring-full": 2, "handled": 6, "unhandled": 1, "injected": 3, "inject-ring-full": 0,
                "inject-sent": 3, "inject-port-down": 0,
            ])
    ]

    static func stageList(call: Int) -> [StageStatus] {
        let n = UInt64(call)
        return [
            StageStatus(
                name: "parse", calls: n * 100, packetsIn: n * 1000, packetsOut: n * 990, cycles: n * 30000,
                drops: ["truncated": n * 10, "bad-ethertype": 0]),
            StageStatus(
                name: "l2", calls: n * 100, packetsIn: n * 990, packetsOut: n * 990, cycles: n * 49500,
                drops: ["no-destination": 0], events: ["learned": n * 2, "flooded": n * 7]),
        ]
    }

    static let macTable = [
        MACEntry(vlan: 100, mac: "02:00:00:00:00:01", port: "p0", ageSeconds: 5, isStatic: false),
        MACEntry(vlan: 100, mac: "02:00:00:00:00:02", port: "p1", ageSeconds: 0, isStatic: true),
        MACEntry(vlan: 200, mac: "02:00:00:00:00:03", port: "p0", ageSeconds: 17, isStatic: false),
    ]

    static let vlanList = [
        VLANStatus(vlan: 100, untaggedPorts: ["p0", "p1"], taggedPorts: ["uplink"], macs: 2),
        VLANStatus(vlan: 200, untaggedPorts: [], taggedPorts: ["uplink"], macs: 1),
    ]

    static let document = ConfigDocumentResult(
        revision: 3, yaml: "eal:\n  pmd-cpu-mask: \"0x2\"\nports:\n  - name: p0\n    devargs: \"net_null0\"\n",
        config: .object([
            "eal": .object(["pmd-cpu-mask": .string("0x2")]),
            "ports": .array([.object(["name": .string("p0"), "devargs": .string("net_null0"), "mtu": .number(1500)])]),
        ]),
        stateFile: "/var/lib/sluice/state.yaml")

    static func plan(_ changes: [ConfigChangeInfo], dryRun: Bool?) -> ConfigApplyResult {
        let dry = dryRun ?? false
        return ConfigApplyResult(applied: !dry, dryRun: dry, revision: dry ? 3 : 4, changes: changes, persisted: !dry)
    }

    // Handlers

    func version() -> VersionInfo {
        _ = record(StatusMethods.version, NoParams())
        return Self.versionInfo
    }

    func ports() -> [PortStatus] {
        var ports = Self.portList(count: portCount, call: record(PortMethods.list, NoParams()))
        if let failedPortError, !ports.isEmpty { ports[ports.count - 1] = Self.failed(ports.last!, failedPortError) }
        return ports
    }

    /// A port as sluiced reports one whose device failed: no device, zero counters, the error.
    static func failed(_ port: PortStatus, _ error: String) -> PortStatus {
        PortStatus(
            name: port.name, index: port.index, dpdkPortID: -1, devargs: port.devargs, driver: "", admin: port.admin,
            linkUp: false, linkSpeedMbps: 0, mtu: port.mtu, macAddress: "", rxQueues: port.rxQueues, txQueues: 0,
            counters: PortCounterValues(), driverStats: nil, error: error)
    }

    /// port.retry: a known port answers its status (running); another name is an unknown port.
    func retryPort(_ params: PortRetryParams) throws(RPCErrorObject) -> PortStatus {
        let call = record(PortMethods.retry, params)
        guard let port = Self.portList(count: portCount, call: call).first(where: { $0.name == params.name }) else {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "no port named '\(params.name)'")
        }
        return port
    }

    func pmds() -> [PMDStatus] {
        _ = record(StatusMethods.pmdList, NoParams())
        return Self.pmdList
    }

    func stages() -> [StageStatus] { Self.stageList(call: record(StatusMethods.stageList, NoParams())) }

    func macs() -> [MACEntry] {
        _ = record(BridgeMethods.macList, NoParams())
        return Self.macTable
    }

    func flushMACs(_ params: MACFlushParams) throws(RPCErrorObject) -> MACFlushResult {
        _ = record(BridgeMethods.macFlush, params)
        if let port = params.port, !port.hasPrefix("p") {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "no port named '\(port)'")
        }
        if let vlan = params.vlan, !(1...4094).contains(vlan) {  // as sluiced answers (Dataplane's FlushError)
            throw RPCErrorObject(
                code: RPCErrorObject.invalidParams, message: "vlan \(vlan) is not a VLAN id (1...4094)")
        }
        return MACFlushResult(flushed: params.port != nil ? 2 : params.vlan != nil ? 1 : 3)
    }

    func health() -> HealthStatus {
        _ = record(StatusMethods.health, NoParams())
        return HealthStatus(
            status: healthStatus,
            problems: healthStatus == "ok" ? [] : ["pmd lcore 1 is not running", "port p1: link down"],
            pmdsRunning: healthStatus == "ok" ? 1 : 0, pmds: 1, ports: portCount, portsLinkUp: portCount - 1,
            revision: 3,
            uptimeSeconds: 3725)
    }

    func vlans() -> [VLANStatus] {
        _ = record(BridgeMethods.vlanList, NoParams())
        return Self.vlanList
    }

    func configDocument() -> ConfigDocumentResult {
        _ = record(ConfigMethods.get, NoParams())
        return Self.document
    }

    func applyConfig(_ params: ConfigApplyParams) throws(RPCErrorObject) -> ConfigApplyResult {
        _ = record(ConfigMethods.apply, params)
        if params.document.contains("INVALID") { throw Self.invalidConfig }
        if params.document.contains("RESTART") { throw Self.restartRequired }
        if params.document.contains("FAIL") { throw Self.applyFailed }
        if params.document.contains("SAME") { return Self.plan([], dryRun: params.dryRun) }
        return Self.plan(
            [
                ConfigChangeInfo(
                    action: "add-port", target: "vm3", fields: [], summary: "add vm3 (net_tap3,iface=vm3)",
                    hitless: true),
                ConfigChangeInfo(
                    action: "update-port", target: "p0", fields: ["vlan.id", "max-macs"],
                    summary: "p0: VLAN 100 -> 200", hitless: true),
                ConfigChangeInfo(
                    action: "replace-port", target: "p1", fields: ["mtu"], summary: "p1: reopened for mtu 9000",
                    hitless: false),
            ], dryRun: params.dryRun)
    }

    func addPort(_ params: PortAddParams) throws(RPCErrorObject) -> ConfigApplyResult {
        _ = record(PortMethods.add, params)
        if validatesPorts { try validate(adding: params.port) }
        guard case .string(let name)? = params.port["name"] else {
            throw RPCErrorObject(
                code: RPCErrorObject.invalidConfig, message: "invalid port",
                data: RPCErrorData(problems: ["ports[2].name: required"]))
        }
        if name.hasPrefix("p") {
            throw RPCErrorObject(
                code: RPCErrorObject.invalidConfig, message: "invalid port",
                data: RPCErrorData(problems: ["ports[2].name: \"\(name)\" is already the name of ports[0]"]))
        }
        return Self.plan(
            [ConfigChangeInfo(action: "add-port", target: name, fields: [], summary: "add \(name)", hitless: true)],
            dryRun: params.dryRun)
    }

    func deletePort(_ params: PortDeleteParams) throws(RPCErrorObject) -> ConfigApplyResult {
        _ = record(PortMethods.delete, params)
        guard params.name.hasPrefix("p") else {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "no port named '\(params.name)'")
        }
        return Self.plan(
            [
                ConfigChangeInfo(
                    action: "remove-port", target: params.name, fields: [], summary: "remove \(params.name)",
                    hitless: false)
            ], dryRun: params.dryRun)
    }

    func setPort(_ params: PortSetParams) throws(RPCErrorObject) -> ConfigApplyResult {
        _ = record(PortMethods.set, params)
        guard let settings = params.settings.objectValue else {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "params.settings must be an object")
        }
        if validatesPorts { try validate(setting: settings, on: params.name) }
        return Self.plan(
            [
                ConfigChangeInfo(
                    action: "update-port", target: params.name, fields: settings.keys.sorted(),
                    summary: "update \(params.name)", hitless: true)
            ], dryRun: params.dryRun)
    }
}

/// The real configuration rules behind the fake's port.add and port.set (`validatesPorts`): the running
/// document is one PMD on lcore 1 and a `ports` list of p0, p1, ...; the changed document is validated as
/// sluiced validates it and its problems are answered as sluiced answers them (-32010 with `data.problems`).
extension FakeHandler {
    private var runningPorts: [JSONValue] {
        (0..<portCount).map { .object(["name": .string("p\($0)"), "devargs": .string("net_null\($0)")]) }
    }

    func validate(adding port: JSONValue) throws(RPCErrorObject) {
        try validate(ports: runningPorts + [port])
    }

    func validate(setting settings: [String: JSONValue], on name: String) throws(RPCErrorObject) {
        try validate(
            ports: runningPorts.map { entry in
                guard entry["name"] == .string(name), var members = entry.objectValue else { return entry }
                for (key, value) in settings { members[key] = value == .null ? nil : value }
                return .object(members)
            })
    }

    private func validate(ports: [JSONValue]) throws(RPCErrorObject) {
        let eal = JSONValue.object(["pmd-cpu-mask": .string("0x2")])
        let document = (try? JSONEncoder().encode(JSONValue.object(["eal": eal, "ports": .array(ports)]))) ?? Data()
        do {
            _ = try SluiceConfig.parse(yaml: String(decoding: document, as: UTF8.self))
        } catch {
            let problems = error.problems.map(\.description)
            throw RPCErrorObject(
                code: RPCErrorObject.invalidConfig, message: "the configuration is invalid",
                data: RPCErrorData(problems: problems))
        }
    }
}

/// Collects log records, to check what the server logs (peer credentials per request).
final class LogRecorder: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    func append(_ record: Record) { records.withLock { $0.append(record) } }

    var logger: Logger {
        Logger(label: "control-test") { _ in Handler(recorder: self) }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.append(
                Record(
                    level: event.level, message: "\(event.message)",
                    metadata: (event.metadata ?? [:]).mapValues { "\($0)" }))
        }
    }
}

/// Moves a non-Sendable value to the server thread, which is its only user from then on.
private struct Handoff<Value>: @unchecked Sendable {
    let value: Value
}

/// A ControlServer on a temporary socket, served by its own thread (the daemon's control thread).
final class TestServer: Sendable {
    let directory: URL
    let path: String
    let handler: FakeHandler
    let log = LogRecorder()
    private let stopFlag = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    /// Serves `handler`'s methods of `features`, then whatever `extra` registers.
    init(
        handler: FakeHandler = FakeHandler(), features: [FakeHandler.Feature] = FakeHandler.Feature.allCases,
        extra: (inout ControlMethodRegistry) -> Void = { _ in }, limits: ControlServer.Limits = .init(),
        mode: UInt32 = 0o660, group: String? = nil
    ) throws {
        directory = try scratchDirectory("srv")
        path = directory.appendingPathComponent("sluice.sock").path
        self.handler = handler
        var methods = ControlMethodRegistry()
        handler.register(features, into: &methods)
        extra(&methods)
        let server = Handoff(
            value: try ControlServer(
                path: path, mode: mode, group: group, methods: methods, logger: log.logger, limits: limits))
        let thread = Thread { [self] in
            server.value.run(tick: 20, until: { self.stopFlag.load(ordering: .acquiring) })
            server.value.close()
            self.stopped.signal()
        }
        thread.start()
    }

    /// Stops the server thread (closing every connection and the socket) and removes the directory.
    func stop() {
        stopFlag.store(true, ordering: .releasing)
        stopped.wait()
        try? FileManager.default.removeItem(at: directory)
    }

    func client(timeout: Duration = .seconds(30)) throws -> ControlClient {
        try ControlClient(socketPath: path, timeout: timeout)
    }

    func raw() throws -> RawClient { try RawClient(path: path) }
}

/// A fresh directory others may traverse (the permission test connects as another user).
func scratchDirectory(_ label: String) throws -> URL {
    let url = URL(fileURLWithPath: NSTemporaryDirectory())
        .appendingPathComponent("sluice-ctltest-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(
        at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    return url
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A client speaking raw bytes, for malformed input: nothing it does raises SIGPIPE, every read is bounded.
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    enum ReadResult: Equatable {
        case line([UInt8])
        /// The server closed the connection (EOF or reset).
        case closed
        case timedOut
    }

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let e = errno
            close(fd)
            throw TestFailure("connect \(path): \(String(cString: strerror(e)))")
        }
    }

    deinit { close(fd) }

    /// Writes all of `bytes`; false if the server closed the connection first.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Ends the sending direction (the server sees EOF; answers can still arrive).
    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// The next line, or closed/timedOut.
    func readLine(timeout: Duration = .seconds(30)) -> ReadResult {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return .line(line)
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return .timedOut }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(
                min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
            let ready = poll(&entry, 1, milliseconds)
            if ready < 0 && errno != EINTR { return .closed }
            if ready <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n <= 0 { return .closed }
            buffer += chunk[..<n]
        }
    }

    /// The next line as a JSON-RPC response with a JSONValue result.
    func response(timeout: Duration = .seconds(30)) throws -> RPCResponse<JSONValue> {
        switch readLine(timeout: timeout) {
        case .line(let line):
            do {
                return try JSONDecoder().decode(RPCResponse<JSONValue>.self, from: Data(line))
            } catch {
                throw TestFailure("not a response: \(String(decoding: line, as: UTF8.self)): \(error)")
            }
        case .closed: throw TestFailure("the server closed the connection")
        case .timedOut: throw TestFailure("no answer within \(timeout)")
        }
    }

    /// Sends one line and returns the response to it.
    func roundTrip(_ line: String) throws -> RPCResponse<JSONValue> {
        guard send(line + "\n") else { throw TestFailure("the server closed the connection") }
        return try response()
    }

    /// Reads (discarding lines) until the server closes the connection; false on timeout.
    func waitClosed(timeout: Duration = .seconds(30)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch readLine(timeout: deadline - ContinuousClock.now) {
            case .closed: return true
            case .timedOut: return false
            case .line: continue
            }
        }
        return false
    }
}

/// Where `swift build` put the executables: next to the test bundle.
enum Binaries {
    static let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    static var sluicectl: String { directory.appendingPathComponent("sluicectl").path }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a command to completion (bounded by `timeout`) with `input` on its standard input.
func runCommand(_ arguments: [String], input: String? = nil, timeout: Duration = .seconds(60)) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    let directory = try scratchDirectory("cmd")
    defer { try? FileManager.default.removeItem(at: directory) }
    let out = directory.appendingPathComponent("out")
    let err = directory.appendingPathComponent("err")
    let inp = directory.appendingPathComponent("in")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    _ = FileManager.default.createFile(atPath: inp.path, contents: Data((input ?? "").utf8))
    let outHandle = try FileHandle(forWritingTo: out)
    let errHandle = try FileHandle(forWritingTo: err)
    let inHandle = try FileHandle(forReadingFrom: inp)
    defer {
        try? outHandle.close()
        try? errHandle.close()
        try? inHandle.close()
    }
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = input == nil ? FileHandle.nullDevice : inHandle
    try process.run()
    let deadline = ContinuousClock.now + timeout
    while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning {
        process.terminate()
        process.waitUntilExit()
        throw TestFailure("timed out after \(timeout): \(arguments.joined(separator: " "))")
    }
    return CommandResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// A JSON-RPC request line.
func requestLine(_ method: String, id: Int = 1, params: String? = nil) -> String {
    #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)""# + (params.map { #","params":\#($0)"# } ?? "") + "}"
}

/// Decodes a response's result as `T`.
func decodeResult<T: Decodable>(_ response: RPCResponse<JSONValue>, as type: T.Type) throws -> T {
    guard let result = response.result else {
        throw TestFailure("expected a result, got \(String(describing: response.error))")
    }
    return try JSONDecoder().decode(T.self, from: JSONEncoder().encode(result))
}
