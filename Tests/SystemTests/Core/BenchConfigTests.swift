import Foundation
import PcapFile
import Testing

extension SystemTests {
    @Suite("sluice-bench --config: the pipeline of a full configuration")
    struct BenchConfig {
        static let config = """
            eal:
              pmd-cpu-mask: "0x2"
            l2:
              mac-aging-seconds: 300
            ports:
              - name: vm1
                devargs: "net_tap_obv1,iface=obv1"
                vlan: {mode: access, id: 100}
              - name: vm2
                devargs: "net_tap_obv2,iface=obv2"
                vlan: {mode: access, id: 100}
              - name: uplink
                devargs: "net_tap_obup,iface=obup"
                vlan: {mode: trunk, allowed: [100]}
              - name: vm3
                type: vhost-user
                path: /tmp/ob-never-created.sock
                vlan: {mode: access, id: 200}
            """

        /// The file's VLANs apply: the trace from vm1 (access 100) floods to vm2 and the uplink (tagged), and
        /// the bench counts what the uplink (the sink) sent; the vhost-user port becomes a null port like vm2.
        @Test func measuresTheConfiguredPipeline() throws {
            let directory = try System.scratchDirectory("benchconfig")
            defer { try? FileManager.default.removeItem(at: directory) }
            let trace = directory.appendingPathComponent("trace.pcap").path
            try PcapFile(frames: testFrames(count: 128, seed: 3)).write(path: trace)
            let file = directory.appendingPathComponent("sluice.yaml").path
            try Self.config.write(toFile: file, atomically: true, encoding: .utf8)
            let bench = System.binary("sluice-bench")
            let common = [bench, "--trace", trace, "--duration", "0.5", "--warmup", "0.2", "--modes", "pipeline"]

            let output = try System.must(
                common + ["--config", file, "--source", "vm1", "--sink", "uplink", "--json"], timeout: .seconds(120))
            let report = try JSONDecoder().decode(
                BenchConfigJSON.self, from: Data(output.utf8.drop { $0 != UInt8(ascii: "{") }))
            #expect(report.scenario == "config:\(file)")
            let pipeline = try #require(report.results.first)
            #expect(pipeline.mode == "pipeline")
            #expect(pipeline.packets > 0, "the uplink sent the flooded frames: \(output)")
            let stages = Dictionary(uniqueKeysWithValues: pipeline.stages.map { ($0.name, $0.packets) })
            #expect((stages["vlan"] ?? 0) > 0 && (stages["l2"] ?? 0) > 0 && (stages["transmit"] ?? 0) > 0)

            // By default the first port is the source and the next the sink: vm1 floods to vm2 as well.
            let defaults = try System.must(common + ["--config", file, "--json"], timeout: .seconds(120))
            let byDefault = try JSONDecoder().decode(
                BenchConfigJSON.self, from: Data(defaults.utf8.drop { $0 != UInt8(ascii: "{") }))
            #expect((byDefault.results.first?.packets ?? 0) > 0, "\(defaults)")

            // Mistakes are named.
            let unknown = try System.run(common + ["--config", file, "--source", "nope"])
            #expect(unknown.status != 0 && unknown.output.contains("--source nope"), "\(unknown.output)")
            let both = try System.run(common + ["--config", file, "--scenario", "l2"])
            #expect(both.status != 0 && both.output.contains("--config and --scenario"), "\(both.output)")
            let bad = directory.appendingPathComponent("bad.yaml").path
            try "ports: []\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let invalid = try System.run(common + ["--config", bad])
            #expect(invalid.status != 0 && invalid.output.contains("invalid configuration"), "\(invalid.output)")
        }
    }
}

private struct BenchConfigJSON: Decodable {
    struct Result: Decodable {
        struct Stage: Decodable {
            var name: String
            var packets: UInt64
        }
        var mode: String
        var packets: UInt64
        var stages: [Stage]
    }
    var scenario: String
    var results: [Result]
}
