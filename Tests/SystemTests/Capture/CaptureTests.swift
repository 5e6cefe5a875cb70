import ControlProtocol
import Foundation
import PcapFile
import Testing

/// `sluicectl capture` running in the background, writing a pcap file.
final class BackgroundCapture {
    let process = Process()
    let path: String
    let logPath: String

    init(_ arguments: [String], socket: String, file: String, directory: URL, name: String) throws {
        path = file
        logPath = directory.appendingPathComponent("\(name).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: System.binary("sluicectl"))
        process.arguments = ["capture", "--socket", socket] + arguments + ["-w", file]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits for the process to exit (it must, by itself or after `signal`); its status.
    func wait(timeout: Duration = .seconds(60)) throws -> Int32 {
        try System.waitUntil("sluicectl capture to exit", timeout: timeout) { !process.isRunning }
        return process.terminationStatus
    }
}

/// Two hosts in namespaces of their own (prefix `cp`) on two net_tap ports, with fixed MACs, static
/// neighbours and no IPv6: the kernel sends nothing by itself, so every frame on the wire is a ping's.
struct QuietHosts {
    static let macA = "02:00:00:cc:00:01"
    static let macB = "02:00:00:cc:00:02"
    let a: Namespace
    let b: Namespace
    let daemon: SluicedProcess

    init(label: String, subnet: String) throws {
        let tag = "cp\(getpid() % 100_000)"
        let (tapA, tapB) = (tag + "ta", tag + "tb")
        a = try Namespace.create(tag + "a")
        do { b = try Namespace.create(tag + "b") } catch {
            a.delete()
            throw error
        }
        do {
            daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: host-a
                        devargs: "net_tap_cpa,iface=\(tapA)"
                      - name: host-b
                        devargs: "net_tap_cpb,iface=\(tapB)"
                    """, label: label)
            try daemon.waitReady()
            for (ns, tap, mac, own, peer, peerMAC) in [
                (a, tapA, Self.macA, "1", "2", Self.macB), (b, tapB, Self.macB, "2", "1", Self.macA),
            ] {
                try ns.adoptSilent(interface: tap, mac: mac)
                try ns.exec(["ip", "addr", "add", "\(subnet).\(own)/24", "dev", tap])
                try ns.exec([
                    "ip", "neigh", "replace", "\(subnet).\(peer)", "lladdr", peerMAC, "dev", tap, "nud", "permanent",
                ])
            }
        } catch {
            a.delete()
            b.delete()
            throw error
        }
    }

    func remove() {
        a.delete()
        b.delete()
        daemon.removeDirectory()
    }
}

extension SystemTests {
    @Suite("sluicectl capture against a running sluiced")
    struct CaptureTests {
        /// The ICMP echo frames (type 8 or 0) and sequence numbers of a capture, in order.
        static func echoes(_ frames: [[UInt8]]) -> [String] {
            frames.map { frame in
                guard frame.count >= 42, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 1 else { return "other" }
                let kind = frame[34] == 8 ? "request" : frame[34] == 0 ? "reply" : "icmp\(frame[34])"
                return "\(kind) \(Int(frame[40]) << 8 | Int(frame[41]))"
            }
        }

        /// Three captures at once (host-a in, host-a out, host-b both) while host a pings host b: each pcap
        /// holds exactly the pings' frames, in order, with their bytes; tcpdump reads them; a capture to
        /// stdout piped into tcpdump works; Ctrl-C ends a capture with a valid file.
        @Test func capturesHoldExactlyThePingsFrames() throws {
            let hosts = try QuietHosts(label: "cp", subnet: "10.198.48")
            defer { hosts.remove() }
            let daemon = hosts.daemon
            let ctl = System.binary("sluicectl")
            let socket = daemon.socketPath
            let directory = try System.scratchDirectory("cpfiles")
            defer { try? FileManager.default.removeItem(at: directory) }
            func file(_ name: String) -> String { directory.appendingPathComponent(name).path }

            let pings = 5
            let captures = [
                try BackgroundCapture(
                    ["host-a", "--direction", "in", "--count", "\(pings)"], socket: socket, file: file("a-in.pcap"),
                    directory: directory, name: "a-in"),
                try BackgroundCapture(
                    ["host-a", "--direction", "out", "--count", "\(pings)"], socket: socket, file: file("a-out.pcap"),
                    directory: directory, name: "a-out"),
                try BackgroundCapture(
                    ["host-b", "--count", "\(2 * pings)", "--snaplen", "60"], socket: socket,
                    file: file("b-both.pcap"), directory: directory, name: "b-both"),
            ]
            try System.waitUntil("three captures running") {
                let list = try System.must([ctl, "capture", "list", "--socket", socket, "--json"])
                return try JSONDecoder().decode([CaptureSession].self, from: Data(list.utf8)).count == 3
            }
            let table = try System.must([ctl, "capture", "list", "--socket", socket])
            #expect(table.contains("host-a") && table.contains("DIRECTION"), "\(table)")

            let ping = try hosts.a.run(
                ["ping", "-c", "\(pings)", "-i", "0.2", "-s", "100", "-W", "5", "10.198.48.2"], timeout: .seconds(60))
            #expect(ping.status == 0, "ping failed:\n\(ping.output)\nsluiced log:\n\(daemon.log)")
            for capture in captures {
                #expect(try capture.wait() == 0, "\(capture.log)")
                #expect(capture.log.contains("0 lost"), "\(capture.log)")
            }

            let aIn = try PcapFile.read(path: file("a-in.pcap")).frames
            let aOut = try PcapFile.read(path: file("a-out.pcap")).frames
            let bBoth = try PcapFile.read(path: file("b-both.pcap")).frames
            let requests: [String] = (1...pings).map { "request \($0)" }
            let replies: [String] = (1...pings).map { "reply \($0)" }
            var both: [String] = []
            for n in 0..<pings { both += [requests[n], replies[n]] }
            #expect(Self.echoes(aIn) == requests)
            #expect(Self.echoes(aOut) == replies)
            #expect(Self.echoes(bBoth) == both)
            // Bytes: 14 + 20 + 8 + 100; the switch leaves untagged access frames as they are, so what host-a
            // sent is what host-b received (cut at the snap length there), and the other way round.
            let lengths: [Int] = (aIn + aOut).map(\.count)
            #expect(lengths == [Int](repeating: 142, count: 2 * pings))
            #expect(bBoth.map(\.count) == [Int](repeating: 60, count: 2 * pings))
            let aInCut: [[UInt8]] = aIn.map { Array($0.prefix(60)) }
            let aOutCut: [[UInt8]] = aOut.map { Array($0.prefix(60)) }
            let bEven: [[UInt8]] = stride(from: 0, to: bBoth.count, by: 2).map { bBoth[$0] }
            let bOdd: [[UInt8]] = stride(from: 1, to: bBoth.count, by: 2).map { bBoth[$0] }
            #expect(aInCut == bEven)
            #expect(aOutCut == bOdd)
            let macB: [UInt8] = [2, 0, 0, 0xcc, 0, 2]
            #expect(aIn.allSatisfy { Array($0[0..<6]) == macB })

            // tcpdump reads them, also from a pipe (when tcpdump is installed).
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump") {
                // tcpdump reads them: count, and the wire length of the frames cut at 60 bytes.
                let dumped = try System.must(["/usr/bin/tcpdump", "-nn", "-e", "-r", file("b-both.pcap")])
                let lines = dumped.split(separator: "\n").filter { $0.contains("ICMP echo") }
                #expect(lines.count == 2 * pings, "\(dumped)")
                #expect(lines.allSatisfy { $0.contains("length 142") }, "\(dumped)")

                // To stdout, straight into tcpdump.
                let pipeLog = file("pipe.log")
                _ = FileManager.default.createFile(atPath: pipeLog, contents: nil)
                let pipe = Process()
                pipe.executableURL = URL(fileURLWithPath: "/bin/sh")
                pipe.arguments = [
                    "-c",
                    "'\(ctl)' capture --socket '\(socket)' host-b --direction in --count 2 -w - | /usr/bin/tcpdump -nn -r -",
                ]
                let pipeHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: pipeLog))
                pipe.standardOutput = pipeHandle
                pipe.standardError = pipeHandle
                try pipe.run()
                defer { if pipe.isRunning { pipe.terminate() } }
                try System.waitUntil("the piped capture to run") {
                    try System.must([ctl, "capture", "list", "--socket", socket]).contains("host-b")
                }
                #expect(try hosts.a.run(["ping", "-c", "2", "-i", "0.2", "-W", "5", "10.198.48.2"]).status == 0)
                try System.waitUntil("the pipe to end") { !pipe.isRunning }
                let pipeOutput = (try? String(contentsOfFile: pipeLog, encoding: .utf8)) ?? ""
                #expect(pipe.terminationStatus == 0, "\(pipeOutput)")
                let replyLines = pipeOutput.split(separator: "\n").filter { $0.contains("ICMP echo reply") }
                #expect(replyLines.count == 2, "\(pipeOutput)")

            }

            // Ctrl-C: the file is complete and holds what was captured until then.
            let interrupted = try BackgroundCapture(
                ["host-a", "--direction", "in"], socket: socket, file: file("a-int.pcap"), directory: directory,
                name: "a-int")
            try System.waitUntil("the capture to run") {
                try System.must([ctl, "capture", "list", "--socket", socket]).contains("host-a")
            }
            let more = try hosts.a.run(["ping", "-c", "2", "-i", "0.2", "-W", "5", "10.198.48.2"])
            #expect(more.status == 0)
            try System.waitUntil("two frames captured") {
                let list = try System.must([ctl, "capture", "list", "--socket", socket, "--json"])
                let sessions = try JSONDecoder().decode([CaptureSession].self, from: Data(list.utf8))
                guard let first = sessions.first else { return false }
                return first.captured == 2 && first.buffered == 0
            }
            kill(interrupted.process.processIdentifier, SIGINT)
            #expect(try interrupted.wait() == 0, "\(interrupted.log)")
            let interruptedFrames = try PcapFile.read(path: file("a-int.pcap")).frames
            let twoRequests: [String] = ["request 1", "request 2"]
            #expect(Self.echoes(interruptedFrames) == twoRequests)
            #expect(try System.must([ctl, "capture", "list", "--socket", socket]).contains("no capture is running"))
            #expect(try daemon.stop() == 0)
        }

        /// A capture of a port that gets a burst at full rate (a net_pcap source added while the capture
        /// runs, flooding to the captured port): the capture loses what its ring cannot hold and counts it
        /// (captured + lost = sent), the pcap holds the captured frames in order, and forwarding loses nothing.
        @Test func aFullRateCaptureCountsItsLossesAndForwardingLosesNothing() throws {
            let directory = try System.scratchDirectory("cprate")
            defer { try? FileManager.default.removeItem(at: directory) }
            let total = 60_000
            let frames = (0..<total).map { i -> [UInt8] in
                var frame = [UInt8](repeating: 0x5a, count: 128)
                frame[0...5] = [0x02, 0, 0, 0xcd, 0, 1]  // never learned: flooded to the sink
                frame[6...11] = [0x02, 0, 0, 0xcd, 0, 2]
                frame[12] = 0x88
                frame[13] = 0xb5
                withUnsafeBytes(of: UInt32(i).bigEndian) { frame[14..<18] = ArraySlice($0) }
                return frame
            }
            func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
            try PcapFile(frames: frames).write(path: path("burst.pcap"))
            try PcapFile(frames: []).write(path: path("empty.pcap"))
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: sink
                        devargs: "net_pcap_cpsink,rx_pcap=\(path("empty.pcap")),tx_pcap=\(path("sink-out.pcap"))"
                    """, label: "cprate")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            let ctl = System.binary("sluicectl")
            let socket = daemon.socketPath
            let capture = try BackgroundCapture(
                ["sink", "--direction", "out"], socket: socket, file: path("capture.pcap"), directory: directory,
                name: "sink")
            try System.waitUntil("the capture to run") {
                try System.must([ctl, "capture", "list", "--socket", socket]).contains("sink")
            }
            try System.must([
                ctl, "port", "add", "source", "--socket", socket, "--devargs",
                "net_pcap_cpsrc,rx_pcap=\(path("burst.pcap")),tx_pcap=\(path("source-out.pcap"))",
            ])
            try System.waitUntil("the burst to be forwarded") {
                try daemon.ports()["sink"]?.counters.txPackets == UInt64(total)
            }
            var session: CaptureSession?
            try System.waitUntil("the capture to account for every frame") {
                let list = try System.must([ctl, "capture", "list", "--socket", socket, "--json"])
                session = try JSONDecoder().decode([CaptureSession].self, from: Data(list.utf8)).first
                guard let session else { return false }
                return session.captured + session.lost == UInt64(total) && session.buffered == 0
            }
            kill(capture.process.processIdentifier, SIGINT)
            #expect(try capture.wait() == 0, "\(capture.log)")
            let captured = try #require(session)
            #expect(captured.lost > 0, "a full-rate burst overflows the capture ring: \(captured)")
            #expect(captured.captured >= 1024, "at least a ring's worth is captured: \(captured)")
            let ports = try daemon.ports()
            #expect(ports["source"]?.counters.rxPackets == UInt64(total))
            #expect(ports["sink"]?.counters.txPackets == UInt64(total))
            #expect(ports.values.allSatisfy { $0.counters.txDropped == 0 })
            // The pcap: the captured frames, each one of the burst, in the burst's order.
            let written = try PcapFile.read(path: path("capture.pcap")).frames
            #expect(written.count == Int(captured.captured))
            func number(_ frame: [UInt8]) -> Int {
                Int(frame[14]) << 24 | Int(frame[15]) << 16 | Int(frame[16]) << 8 | Int(frame[17])
            }
            let numbers: [Int] = written.map(number)
            var ordered = true
            for (earlier, later) in zip(numbers, numbers.dropFirst()) where earlier >= later { ordered = false }
            #expect(ordered, "in order")
            var intact = true
            for frame in written where frame.count < 18 || frames[number(frame)] != frame { intact = false }
            #expect(intact, "every captured frame is one of the burst, byte for byte")
            #expect(try daemon.stop() == 0)
        }
    }
}
