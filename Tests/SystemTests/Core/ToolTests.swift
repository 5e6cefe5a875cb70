import ControlProtocol
import Foundation
import PcapFile
import Testing

extension SystemTests {
    @Suite("sluicectl and sluice-bench")
    struct Tools {
        @Test func sluicectlShowsTablesAndJSON() throws {
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: sink0
                        devargs: "net_null_ctl0,no-rx=1"
                      - name: sink1
                        devargs: "net_null_ctl1,no-rx=1"
                        admin: down
                    patches:
                      - [sink0, sink1]
                    """, label: "ctl-cli")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            let ctl = System.binary("sluicectl")

            let table = try System.must([ctl, "ports", "--socket", daemon.socketPath])
            let lines = table.split(separator: "\n")
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("port") && lines[0].contains("rx-pkts"))
            #expect(lines[1].hasPrefix("sink0") && lines[1].contains("net_null"))
            #expect(lines[2].hasPrefix("sink1") && lines[2].contains("down"))

            let json = try System.must([ctl, "ports", "--json", "--socket", daemon.socketPath])
            let ports = try JSONDecoder().decode([PortStatus].self, from: Data(json.utf8))
            #expect(ports.map(\.name) == ["sink0", "sink1"])
            #expect(ports[1].admin == "down")

            let pmds = try JSONDecoder().decode(
                [PMDStatus].self,
                from: Data(try System.must([ctl, "pmds", "--json", "--socket", daemon.socketPath]).utf8))
            #expect(pmds.map(\.lcore) == [1])
            #expect(pmds[0].rxQueues == ["sink0/0"], "admin-down ports are not polled")
            #expect(pmds[0].iterations > 0)

            let stages = try System.must([ctl, "stages", "--socket", daemon.socketPath])
            #expect(stages.contains("patch") && stages.contains("transmit"))

            let missing = try System.run([ctl, "version", "--socket", daemon.directory.path + "/absent.sock"])
            #expect(missing.status == 3)
            #expect(missing.output.contains("cannot connect"))
            #expect(try System.run([ctl, "ports", "--no-such-flag"]).status == 64)
            #expect(try daemon.stop() == 0)
        }

        /// The benchmark drives real traffic through both modes and reports consistent numbers.
        @Test func benchReportsBothModes() throws {
            let directory = try System.scratchDirectory("bench")
            defer { try? FileManager.default.removeItem(at: directory) }
            let trace = directory.appendingPathComponent("trace.pcap").path
            try PcapFile(frames: testFrames(count: 256, seed: 1)).write(path: trace)
            let output = try System.must(
                [System.binary("sluice-bench"), "--trace", trace, "--duration", "0.5", "--warmup", "0.2", "--json"],
                timeout: .seconds(120))
            let report = try JSONDecoder().decode(
                BenchJSON.self, from: Data(output.utf8.drop { $0 != UInt8(ascii: "{") }))
            #expect(report.tracePackets == 256)
            #expect(report.results.map(\.mode) == ["io", "pipeline"])
            for result in report.results {
                #expect(result.packets > 0)
                #expect(result.mpps > 0 && result.cyclesPerPacket > 0)
            }
            #expect(report.results[0].stages.isEmpty)
            #expect(
                report.results[1].stages.map(\.name) == [
                    "patch", "vxlan-decap", "parse", "port-security", "vlan", "dhcp", "metadata", "l2",
                    "security-groups", "qos", "vxlan-encap", "transmit",
                ])
            // Neither patch (no patches), dhcp (no port with DHCP), metadata (no served port), qos (no port
            // limited to-vm) nor the VXLAN stages (no vxlan section: they are not called) see packets.
            let idle = ["patch", "dhcp", "metadata", "qos", "vxlan-decap", "vxlan-encap"]
            #expect(report.results[1].stages.filter { !idle.contains($0.name) }.allSatisfy { $0.packets > 0 })
        }
    }
}

private struct BenchJSON: Decodable {
    struct Result: Decodable {
        struct Stage: Decodable {
            var name: String
            var packets: UInt64
            var cyclesPerPacket: Double
        }
        var mode: String
        var packets: UInt64
        var mpps: Double
        var cyclesPerPacket: Double
        var stages: [Stage]
    }
    var tracePackets: Int
    var results: [Result]
}
