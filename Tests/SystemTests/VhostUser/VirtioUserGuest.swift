import ControlProtocol
import Foundation

/// A stand-in for a QEMU guest: `dpdk-testpmd` with one `net_virtio_user` port on a vhost-user socket,
/// driven through its interactive command line. Its forwarding lcore shares CPU 0 with the main lcores, so
/// that sluiced's PMD keeps CPU 1 to itself.
final class VirtioUserGuest {
    let label: String
    let socketPath: String
    let filePrefix: String
    let logPath: String
    let process = Process()
    private let input = Pipe()
    private let logHandle: FileHandle

    /// `server`: the guest creates and listens on the socket (as QEMU does with `server=on`), for a
    /// sluiced port in client mode; otherwise it connects to sluiced's socket. `mac`: the port's address
    /// (virtio-user picks a random one otherwise).
    init(label: String, socketPath: String, server: Bool, directory: URL, mac: String? = nil) throws {
        self.label = label
        self.socketPath = socketPath
        filePrefix = String("slguest-\(getpid())-\(label)".prefix(32))
        logPath = directory.appendingPathComponent("guest-\(label)-\(UUID().uuidString.prefix(8)).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        // testpmd's stdout is a file here: without stdbuf, answers would sit in its stdio buffer.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
        process.arguments = [
            "-oL", "/usr/bin/dpdk-testpmd",
            "--lcores", "0@0,1@0", "--no-pci", "--in-memory", "--single-file-segments", "-m", "256",
            "--file-prefix", filePrefix, "--log-level", "lib.eal:error",
            "--vdev",
            "net_virtio_user0,path=\(socketPath),queues=1,server=\(server ? 1 : 0)" + (mac.map { ",mac=\($0)" } ?? ""),
            "--", "-i", "--nb-cores=1", "--total-num-mbufs=4096",
        ]
        process.standardInput = input
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
    }

    deinit {
        kill()
        try? logHandle.close()
        try? FileManager.default.removeItem(atPath: "/var/run/dpdk/\(filePrefix)")
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// One line on testpmd's command line.
    func send(_ command: String) {
        try? input.fileHandleForWriting.write(contentsOf: Data((command + "\n").utf8))
    }

    /// Sends `show port stats 0` and waits for the answer: the port's received and sent packet counts.
    func portStats() throws -> (rx: UInt64, tx: UInt64) {
        let before = log.utf8.count
        send("show port stats 0")
        var result: (UInt64, UInt64)?
        try System.waitUntil("testpmd \(label) to print its port statistics", timeout: .seconds(30)) {
            guard process.isRunning else { throw TestFailure("testpmd \(label) exited:\n\(log)") }
            let text = String(decoding: Array(log.utf8.dropFirst(before)), as: UTF8.self)
            guard let rx = Self.number(after: "RX-packets:", in: text),
                let tx = Self.number(after: "TX-packets:", in: text)
            else { return false }
            result = (rx, tx)
            return true
        }
        return result!
    }

    /// Each guest sends a fixed number of bursts of 32 (testpmd's tx_first), then only receives; returns once
    /// sluiced has sent every frame out of the other guest's port (`portA`, `portB`: the guests' sluiced
    /// ports). The statistics round trip first makes sure each testpmd has finished starting its port (and
    /// posted its receive buffers): frames for a guest without buffers are dropped, not queued.
    static func exchangeBursts(
        _ a: VirtioUserGuest, on portA: String, bursts burstsA: Int, _ b: VirtioUserGuest, on portB: String,
        bursts burstsB: Int, through daemon: SluicedProcess
    ) throws -> (fromA: UInt64, fromB: UInt64) {
        for guest in [a, b] {
            guard try guest.portStats() == (rx: 0, tx: 0) else {
                throw TestFailure("testpmd \(guest.label) counted frames before the exchange:\n\(guest.log)")
            }
            guest.send("set fwd rxonly")
        }
        a.send("start tx_first \(burstsA)")
        b.send("start tx_first \(burstsB)")
        let fromA = UInt64(burstsA) * 32
        let fromB = UInt64(burstsB) * 32
        try System.waitUntil("every frame to cross sluiced") {
            let ports = try daemon.ports()
            return ports[portB]?.counters.txPackets == fromA && ports[portA]?.counters.txPackets == fromB
        }
        return (fromA, fromB)
    }

    private static func number(after label: String, in text: String) -> UInt64? {
        guard let range = text.range(of: label) else { return nil }
        let digits = text[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber }
        return UInt64(digits)
    }

    /// Ends the process at once (SIGKILL): a guest that disappears without a goodbye.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

extension SluicedProcess {
    func vhost(_ port: String) throws -> VhostUserStatus {
        guard let status = try ports()[port]?.vhostUser else { throw TestFailure("no vhost-user port \(port)") }
        return status
    }

    func waitForGuest(_ port: String, connects: UInt64 = 1, timeout: Duration = .seconds(90)) throws {
        try System.waitUntil("a guest to attach to \(port) (attachment \(connects))", timeout: timeout) {
            guard process.isRunning else { throw TestFailure("sluiced exited:\n\(log)") }
            let v = try vhost(port)
            return v.state == .connected && v.connects >= connects && !v.guestRxQueuesEnabled.isEmpty
        }
    }
}
