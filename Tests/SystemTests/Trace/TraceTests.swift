import ControlProtocol
import Foundation
import PcapFile
import Testing

extension SystemTests {
    @Suite("sluicectl trace against a running sluiced")
    struct PacketTraceTests {
        /// After a ping has taught the switch both hosts, a frame from host-a to host-b traces to host-b,
        /// a frame to itself traces to a same-port drop, and tracing changes nothing: the counters of every
        /// stage and port stay where they were.
        @Test func traceExplainsWithoutSideEffects() throws {
            let hosts = try PingingHosts.bridged(label: "tr", subnet: "10.198.32")
            defer { hosts.remove() }
            let daemon = hosts.daemon
            let ping = try hosts.ping(count: 3)
            #expect(ping.status == 0, "ping failed:\n\(ping.output)\nsluiced log:\n\(daemon.log)")
            let macA = try hosts.mac(onA: true)
            let macB = try hosts.mac(onA: false)
            func bytes(_ mac: String) -> [UInt8] { mac.split(separator: ":").map { UInt8($0, radix: 16)! } }
            // An IPv4/UDP frame from a to b (header fields only need to parse).
            let ip: [UInt8] = [
                0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 198, 32, 1, 10, 198, 32, 2,
            ]
            let udp: [UInt8] = [0x9c, 0x40, 0, 7, 0, 8, 0, 0]
            let frame = bytes(macB) + bytes(macA) + [0x08, 0x00] + ip + udp + [UInt8](repeating: 0, count: 18)
            let hex = frame.map { String(format: "%02x", $0) }.joined()
            let ctl = System.binary("sluicectl")
            let socket = daemon.socketPath

            let stagesBefore = try daemon.stages()
            let portsBefore = try daemon.ports()
            let json = try System.must([ctl, "trace", "--socket", socket, "--json", "--port", "host-a", "--frame", hex])
            let result = try JSONDecoder().decode(PacketTraceResult.self, from: Data(json.utf8))
            #expect(result.verdict == "output", "\(json)")
            #expect(result.outputs == [TracedOutput(port: "host-b", tagging: "as-is")], "\(json)")
            #expect(
                result.stages.map(\.stage) == ["parse", "port-security", "vlan", "l2", "security-groups", "transmit"])
            #expect(result.stages[3].facts.contains(TracedFact(name: "lookup", value: "known on host-b")), "\(json)")

            // The same frame from a pcap file, as people read it.
            let directory = try System.scratchDirectory("trace")
            defer { try? FileManager.default.removeItem(at: directory) }
            let pcap = directory.appendingPathComponent("frames.pcap").path
            try PcapFile(frames: [Array(frame.prefix(20)), frame]).write(path: pcap)
            let text = try System.must([
                ctl, "trace", "--socket", socket, "--port", "host-b", "--pcap", pcap, "--index", "2",
            ])
            #expect(text.contains("verdict: dropped by l2 (same-port)"), "\(text)")
            let short = try System.must([ctl, "trace", "--socket", socket, "--port", "host-a", "--pcap", pcap])
            #expect(short.contains("verdict: dropped by parse (truncated-ipv4)"), "\(short)")

            // Errors: an unknown port, a frame that is not hex.
            let unknown = try System.run([ctl, "trace", "--socket", socket, "--port", "nope", "--frame", hex])
            #expect(unknown.status != 0 && unknown.output.contains("no port named 'nope'"), "\(unknown.output)")
            let notHex = try System.run([ctl, "trace", "--socket", socket, "--port", "host-a", "--frame", "0g"])
            #expect(notHex.status == 64 && notHex.output.contains("not a hex digit"), "\(notHex.output)")

            // No side effects: no stage or port counter moved because of the traces (the hosts are quiet
            // apart from kernel chatter, which the parse stage would count: compare only l2's learning and
            // the drops the traces would have caused).
            let stagesAfter = try daemon.stages()
            #expect(stagesAfter["l2"]?.drops["same-port"] == stagesBefore["l2"]?.drops["same-port"])
            #expect(stagesAfter["parse"]?.drops["truncated-ipv4"] == stagesBefore["parse"]?.drops["truncated-ipv4"])
            let portsAfter = try daemon.ports()
            #expect(portsAfter["host-b"]?.macLearning?.learned == portsBefore["host-b"]?.macLearning?.learned)
            #expect(try daemon.stop() == 0)
        }
    }
}
