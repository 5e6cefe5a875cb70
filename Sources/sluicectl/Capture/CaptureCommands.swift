import ArgumentParser
import ControlProtocol
import Foundation
import PcapFile
import Synchronization

struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Captures a port's frames into a pcap file (tcpdump and Wireshark read it), or lists captures.",
        subcommands: [CaptureStart.self, CaptureList.self], defaultSubcommand: CaptureStart.self)
}

struct CaptureStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Captures PORT's frames into a pcap file while traffic flows (sluicectl capture PORT -w FILE).",
        discussion: """
            in: frames as the port received them, before any stage; out: frames as they are handed to the \
            port's transmit, after every stage (flood copies included); both: the two, in the order they were \
            copied. Ends after --count frames, on Ctrl-C (the file stays valid), or when sluiced goes away. \
            Frames the dataplane could not copy (its capture ring was full) are counted as lost and reported \
            at the end. -w - writes to stdout: sluicectl capture vm1 -w - | tcpdump -n -r -
            """)
    @OptionGroup var connection: Connection
    @Argument(help: "The port to capture.", completion: portNameCompletion) var port: String
    @Option(help: "in, out or both.") var direction = "both"
    @Option(help: "Stop after this many frames.") var count: Int?
    @Option(help: "Bytes kept of each frame (1...65535).") var snaplen = 65535
    @Option(name: .customShort("w"), help: "The pcap file to write, or - for stdout.", completion: .file())
    var file: String

    func validate() throws {
        guard ["in", "out", "both"].contains(direction) else {
            throw ValidationError("--direction: '\(direction)' is not one of in, out, both")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        guard (1...65535).contains(snaplen) else { throw ValidationError("--snaplen must be in 1...65535") }
    }

    func run() throws {
        let client = try connection.connect()
        let output: Int32
        if file == "-" {
            output = STDOUT_FILENO
        } else {
            output = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard output >= 0 else {
                throw failure("-w \(file): \(String(cString: strerror(errno)))", Exit.usage)
            }
        }
        defer { if output != STDOUT_FILENO { close(output) } }
        let stream: PcapStream
        do {
            stream = try PcapStream(descriptor: output, snapLength: snaplen)
        } catch {
            throw failure("-w \(file): \(error)", Exit.daemonError)
        }
        let session = try connection.call(
            CaptureMethods.start,
            CaptureStartParams(port: port, direction: direction, snaplen: snaplen, count: count), on: client)
        printError("capturing \(port) (\(direction)), capture \(session.id)")
        CaptureInterrupt.install()
        var written = 0
        var lost: UInt64 = 0
        while true {
            let stopping = CaptureInterrupt.received
            let batch: CaptureBatch
            do {
                batch =
                    stopping
                    ? try client.call(CaptureMethods.stop, CaptureIDParams(id: session.id))
                    : try client.call(CaptureMethods.read, CaptureReadParams(id: session.id, max: 1024))
            } catch {
                printError("\(written) frames captured; the capture ended: \(error)")
                throw ExitCode(Exit.unreachable)
            }
            lost = batch.lost
            do {
                for frame in batch.frames {
                    let bytes = [UInt8](Data(base64Encoded: frame.data) ?? Data())
                    try stream.write(
                        seconds: frame.seconds, nanoseconds: frame.nanoseconds, length: frame.length, data: bytes)
                    written += 1
                }
            } catch {
                // The reader went away (tcpdump -c, a closed pipe) or the disk is full: end the capture.
                _ = try? client.call(CaptureMethods.stop, CaptureIDParams(id: session.id))
                printError("\(written) frames written, \(lost) lost; -w \(file): \(error)")
                if file == "-" { return }
                throw ExitCode(Exit.daemonError)
            }
            if batch.done || stopping { break }
            if batch.frames.isEmpty { usleep(20_000) }
        }
        printError("\(written) frames captured, \(lost) lost")
    }
}

struct CaptureList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The running captures.")
    @OptionGroup var connection: Connection

    func run() throws {
        let sessions = try connection.call(CaptureMethods.list)
        connection.emit(sessions) { Self.render(sessions) }
    }

    static func render(_ sessions: [CaptureSession]) -> String {
        if sessions.isEmpty { return "no capture is running\n" }
        return Table(
            ["ID", "PORT", "DIRECTION", "SNAPLEN", "COUNT", "CAPTURED", "LOST", "BUFFERED"],
            sessions.map {
                [
                    "\($0.id)", $0.port, $0.direction, "\($0.snaplen)", $0.count == 0 ? "-" : "\($0.count)",
                    "\($0.captured)", "\($0.lost)", "\($0.buffered)",
                ]
            }
        ).render()
    }
}

/// Ctrl-C (and SIGTERM, SIGHUP) during a capture: the handler only raises a flag; the capture loop then
/// stops the session, writes what was still buffered and exits with the file complete.
enum CaptureInterrupt {
    private static let flag = Atomic<Bool>(false)

    static var received: Bool { flag.load(ordering: .relaxed) }

    static func install() {
        // A reader that closes the pipe makes write fail with EPIPE (handled), not kill the process.
        signal(SIGPIPE, SIG_IGN)
        // A parent may have blocked them (as sluiced does, unblock them explicitly).
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, signal) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal) { _ in CaptureInterrupt.flag.store(true, ordering: .relaxed) }
        }
    }
}
