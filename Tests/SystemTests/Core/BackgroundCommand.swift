import Foundation

/// A helper process running beside a test (bounded by its own options), its output captured.
final class BackgroundCommand {
    let process = Process()
    let logPath: String
    private let handle: FileHandle

    init(_ arguments: [String], label: String) throws {
        logPath = NSTemporaryDirectory() + "sluice-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Interrupts the command (it prints its summary on the way out) and waits for it, at most five seconds
    /// before killing it: a helper can never hang a test.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit {
        stop()
        try? handle.close()
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
