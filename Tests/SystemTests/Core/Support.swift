import ControlProtocol
import Foundation
import Testing

/// Helpers for tests that run the real binaries with real DPDK ports. They need root, hugepages and two
/// CPUs (one PMD plus the main lcore); `tools/setup` prepares the machine.
enum System {
    /// Where `swift build` put the executables: next to the test bundle.
    static let binDirectory: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent()

    static func binary(_ name: String) -> String { binDirectory.appendingPathComponent(name).path }

    /// A file of this repository (tools, configs), found from this source file's location
    /// (Tests/SystemTests/Core/Support.swift).
    static func repositoryFile(_ relativePath: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(relativePath).path
    }

    /// A fresh directory for one test's files.
    static func scratchDirectory(_ label: String) throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "sluice-test-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct CommandResult {
        var status: Int32
        var output: String
    }

    /// Runs a command to completion (bounded by `timeout`), stdout and stderr together.
    @discardableResult
    static func run(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0].hasPrefix("/") ? arguments[0] : "/usr/bin/env")
        process.arguments = arguments[0].hasPrefix("/") ? Array(arguments.dropFirst()) : arguments
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cmd-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            try handle.close()
            throw TestFailure("timed out after \(timeout): \(arguments.joined(separator: " "))")
        }
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return CommandResult(status: process.terminationStatus, output: output)
    }

    /// Runs a command that must succeed.
    @discardableResult
    static func must(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> String {
        let result = try run(arguments, timeout: timeout)
        guard result.status == 0 else {
            throw TestFailure("`\(arguments.joined(separator: " "))` exited \(result.status):\n\(result.output)")
        }
        return result.output
    }

    /// Polls `condition` until it holds or `timeout` passes: tests wait for states, never for fixed times.
    static func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestFailure("timed out after \(timeout) waiting for \(what)")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A sluiced process started from a config text, with its own file prefix, control socket and log.
final class SluicedProcess {
    let directory: URL
    let configPath: String
    let socketPath: String
    let logPath: String
    let filePrefix: String
    let process = Process()
    private let logHandle: FileHandle

    /// Where the daemon persists applied configuration (inside `directory`).
    var stateFile: String { directory.appendingPathComponent("state.yaml").path }

    /// Starts sluiced. `config` is the YAML with `@SOCKET@` and `@PREFIX@` placeholders filled in here.
    /// `reusing` starts it in an earlier daemon's directory (same config path, socket and state file): a
    /// restart. `stateFileOption` replaces the `--state-file` value (`""` turns persistence off);
    /// `options` are further command-line options (`--discard-state`). `environment` is added to the test
    /// runner's (testing hooks such as `SLUICE_TEST_STALL_PMD`).
    init(
        config: String, label: String, reusing previous: URL? = nil, stateFileOption: String? = nil,
        options: [String] = [], environment: [String: String] = [:]
    ) throws {
        directory = try previous ?? System.scratchDirectory(label)
        configPath = directory.appendingPathComponent("sluice.yaml").path
        socketPath = directory.appendingPathComponent("sluice.sock").path
        logPath = directory.appendingPathComponent("sluiced.log").path
        filePrefix = String("sltest-\(getpid())-\(label)".prefix(32))
        let text = config.replacingOccurrences(of: "@SOCKET@", with: socketPath)
            .replacingOccurrences(of: "@PREFIX@", with: filePrefix)
            .replacingOccurrences(of: "@DIR@", with: directory.path)
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        logHandle.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: System.binary("sluiced"))
        process.arguments =
            [
                "--config", configPath, "--state-file",
                stateFileOption ?? directory.appendingPathComponent("state.yaml").path,
            ] + options
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? logHandle.close()
    }

    var pid: Int32 { process.processIdentifier }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the control socket answers `version` (the daemon logs `ready` just before serving it).
    func waitReady(timeout: Duration = .seconds(90)) throws {
        try System.waitUntil("sluiced to serve its control socket", timeout: timeout) {
            guard process.isRunning else {
                throw TestFailure("sluiced exited with \(process.terminationStatus) before becoming ready:\n\(log)")
            }
            guard let client = try? ControlClient(socketPath: socketPath, timeout: .seconds(5)) else { return false }
            return (try? client.call(StatusMethods.version)) != nil
        }
    }

    func client() throws -> ControlClient { try ControlClient(socketPath: socketPath, timeout: .seconds(20)) }

    func ports() throws -> [String: PortStatus] {
        Dictionary(uniqueKeysWithValues: try client().call(PortMethods.list).map { ($0.name, $0) })
    }

    func stages() throws -> [String: StageStatus] {
        Dictionary(uniqueKeysWithValues: try client().call(StatusMethods.stageList).map { ($0.name, $0) })
    }

    /// Sends `signal` and waits for the process to exit; its exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(60)) throws -> Int32 {
        kill(pid, signal)
        try System.waitUntil("sluiced to exit", timeout: timeout) { !process.isRunning }
        return process.terminationStatus
    }

    /// Waits for a daemon that is expected to stop by itself (refusing its configuration); its exit status.
    func waitExit(timeout: Duration = .seconds(60)) throws -> Int32 {
        try System.waitUntil("sluiced to exit by itself", timeout: timeout) { !process.isRunning }
        return process.terminationStatus
    }

    func removeDirectory() { try? FileManager.default.removeItem(at: directory) }
}

/// The EAL settings every test config shares: one PMD on lcore 1, hugepage memory that vanishes with the
/// process, a bounded amount of it. `pmdCPUMask` and `lcoreCPUs` (the value of eal.lcore-cpus) run more
/// PMDs: this machine has two CPUs, so several PMD lcores have to share CPU 1.
func testEAL(memory: String = "in-memory", pmdCPUMask: String = "0x2", lcoreCPUs: String? = nil) -> String {
    // no-huge takes its size from no-huge-mb; socket-mem only applies to hugepages.
    let size = memory == "no-huge" ? "no-huge-mb: 256" : "socket-mem: \"256\""
    let placement = lcoreCPUs.map { "\n  lcore-cpus: \($0)" } ?? ""
    return """
        eal:
          main-lcore: 0
          pmd-cpu-mask: "\(pmdCPUMask)"\(placement)
          file-prefix: "@PREFIX@"
          memory: \(memory)
          \(size)
        mempool:
          mbufs: 8191
          cache-size: 128
        control:
          socket: "@SOCKET@"
        """
}
