import Control
import ControlProtocol
import Foundation
import Testing

/// `sluicectl trace` against a fake `trace.packet` that echoes the frame it was sent: how the frame is taken
/// from --frame or a pcap, what is printed, how mistakes exit.
@Suite("sluicectl trace")
struct TraceCommandTests {
    /// A server whose trace.packet drops frames shorter than 14 bytes and sends the others to `b`, echoing
    /// the frame's hex in a fact; an unknown port is an invalid-params error.
    static func server() throws -> TestServer {
        try TestServer(extra: { methods in
            methods.register(TraceMethods.packet) { params throws(RPCErrorObject) in
                guard params.port == "a" else {
                    throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "no port named '\(params.port)'")
                }
                let length = params.frame.count / 2
                let parse = TracedStage(
                    stage: "parse", verdict: length < 14 ? "drop" : "pass",
                    reason: length < 14 ? "truncated-ethernet" : nil,
                    facts: [TracedFact(name: "frame", value: params.frame)])
                if length < 14 {
                    return PacketTraceResult(
                        port: "a", length: length, stages: [parse], verdict: "drop", dropStage: "parse",
                        dropReason: "truncated-ethernet", outputs: [])
                }
                let transmit = TracedStage(stage: "transmit", verdict: "output", reason: nil, facts: [])
                return PacketTraceResult(
                    port: "a", length: length, stages: [parse, transmit], verdict: "output", dropStage: nil,
                    dropReason: nil, outputs: [TracedOutput(port: "b", tagging: "push-vlan 10")])
            }
        })
    }

    static let frame = "ffffffffffff02000000000a0800" + String(repeating: "00", count: 46)

    @Test("--frame: hex with colons and spaces is sent as plain hex; the stages and the verdict are printed")
    func frame() throws {
        let server = try Self.server()
        defer { server.stop() }
        let spaced = stride(from: 0, to: Self.frame.count, by: 2).map {
            String(Array(Self.frame)[$0..<$0 + 2])
        }.joined(separator: ":")
        let result = try SluicectlTests.ctl(server, ["trace", "--port", "a", "--frame", "0x" + spaced])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            SluicectlTests.lines(result.stdout) == [
                "frame: 60 bytes in on a", "1. parse: pass", "     frame: \(Self.frame)", "2. transmit: output",
                "verdict: output to b (push-vlan 10)",
            ])
        let json = try SluicectlTests.ctl(server, ["trace", "--port", "a", "--frame", Self.frame, "--json"])
        #expect(
            try SluicectlTests.json(json.stdout)["outputs"]
                == .array([.object(["port": .string("b"), "tagging": .string("push-vlan 10")])]))
        let short = try SluicectlTests.ctl(server, ["trace", "--port", "a", "--frame", "0102"])
        #expect(SluicectlTests.lines(short.stdout).last == "verdict: dropped by parse (truncated-ethernet)")
    }

    @Test("--pcap: frame --index (from 1) of the file; mistakes are named and exit 64")
    func pcap() throws {
        let server = try Self.server()
        defer { server.stop() }
        let directory = try scratchDirectory("trace")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("two.pcap").path
        let second = Array(Self.frame.utf8).count / 2
        try Data(Self.pcap(frames: [[1, 2, 3], [UInt8](repeating: 7, count: second)])).write(
            to: URL(fileURLWithPath: path))
        let first = try SluicectlTests.ctl(server, ["trace", "--port", "a", "--pcap", path])
        #expect(first.stdout.contains("     frame: 010203\n"), "\(first.stdout)")
        let two = try SluicectlTests.ctl(server, ["trace", "--port", "a", "--pcap", path, "--index", "2"])
        #expect(two.stdout.contains(String(repeating: "07", count: second)), "\(two.stdout)")

        let beyond = try SluicectlTests.ctl(server, ["trace", "--port", "a", "--pcap", path, "--index", "3"])
        #expect(beyond.status == 64 && beyond.stderr.contains("holds 2 frames"), "\(beyond.stderr)")
        let missing = try SluicectlTests.ctl(server, ["trace", "--port", "a", "--pcap", path + ".absent"])
        #expect(missing.status == 64 && missing.stderr.contains("--pcap"), "\(missing.stderr)")
        for arguments in [
            ["trace", "--port", "a"], ["trace", "--port", "a", "--frame", "00", "--pcap", path],
            ["trace", "--port", "a", "--frame", "00", "--index", "1"],
            ["trace", "--port", "a", "--pcap", path, "--index", "0"],
            ["trace", "--port", "a", "--frame", "0xzz"], ["trace", "--port", "a", "--frame", "abc"],
        ] {
            #expect(try SluicectlTests.ctl(server, arguments).status == 64, "\(arguments)")
        }
        let unknown = try SluicectlTests.ctl(server, ["trace", "--port", "nope", "--frame", Self.frame])
        #expect(unknown.status == 1 && unknown.stderr == "sluicectl: sluiced: no port named 'nope'\n")
    }

    /// A classic little-endian pcap file of Ethernet frames.
    static func pcap(frames: [[UInt8]]) -> [UInt8] {
        func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func u16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        var bytes = u32(0xa1b2_c3d4) + u16(2) + u16(4) + u32(0) + u32(0) + u32(65535) + u32(1)
        for frame in frames { bytes += u32(0) + u32(0) + u32(UInt32(frame.count)) + u32(UInt32(frame.count)) + frame }
        return bytes
    }
}
