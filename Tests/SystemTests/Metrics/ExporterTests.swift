import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    @Suite("sluice-exporter: Prometheus metrics of a running sluiced")
    struct Exporter {
        /// Traffic between two namespaces, then the exporter's /metrics over HTTP: promtool accepts it, and
        /// its port counters are those `sluicectl ports --json` shows (read before and after: equal when
        /// nothing moved in between, else between the two).
        @Test func metricsPassPromtoolAndMatchThePortCounters() throws {
            // host-a is rate limited (buckets it never empties) and in a security group: its QoS and
            // conntrack families have samples to check as well.
            let hosts = try PingingHosts(label: "ex", subnet: "10.198.31") { tapA, tapB in
                """
                ports:
                  - name: host-a
                    devargs: "net_tap_a,iface=\(tapA)"
                    security-groups: [pinger]
                    qos:
                      from-vm:
                        packets: {packets-per-second: 100000, burst-packets: 10000}
                  - name: host-b
                    devargs: "net_tap_b,iface=\(tapB)"
                security-groups:
                  - name: pinger
                """
            }
            defer { hosts.remove() }
            let daemon = hosts.daemon
            let ping = try hosts.ping(count: 5)
            #expect(ping.status == 0, "ping failed:\n\(ping.output)\nsluiced log:\n\(daemon.log)")

            // The HTTP server, on a port of its own; the test waits until it answers.
            let port = 20_000 + Int(getpid() % 20_000)
            let exporter = Process()
            exporter.executableURL = URL(fileURLWithPath: System.binary("sluice-exporter"))
            exporter.arguments = ["--socket", daemon.socketPath, "--address", "127.0.0.1", "--port", "\(port)"]
            exporter.standardOutput = FileHandle.nullDevice
            exporter.standardError = FileHandle.nullDevice
            try exporter.run()
            defer {
                exporter.terminate()
                exporter.waitUntilExit()
            }
            let directory = try System.scratchDirectory("exporter")
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("metrics.txt").path
            let ctl = System.binary("sluicectl")
            func portsJSON() throws -> [String: PortStatus] {
                let output = try System.must([ctl, "ports", "--json", "--socket", daemon.socketPath])
                let ports = try JSONDecoder().decode([PortStatus].self, from: Data(output.utf8))
                return Dictionary(uniqueKeysWithValues: ports.map { ($0.name, $0) })
            }
            var before: [String: PortStatus] = [:]
            try System.waitUntil("sluice-exporter to answer on port \(port)", timeout: .seconds(60)) {
                before = try portsJSON()
                return try System.run(["curl", "-sf", "-o", file, "http://127.0.0.1:\(port)/metrics"]).status == 0
            }
            let after = try portsJSON()
            let text = try String(contentsOfFile: file, encoding: .utf8)

            let check = try System.run(["sh", "-c", "promtool check metrics < '\(file)'"])
            #expect(check.status == 0, "promtool check metrics:\n\(check.output)\n\(text)")

            let samples = Self.samples(text)
            #expect(samples["sluice_up"] == 1)
            for name in ["host-a", "host-b"] {
                let old = try #require(before[name]?.counters)
                let new = try #require(after[name]?.counters)
                for (metric, low, high) in [
                    ("sluice_port_rx_packets_total", old.rxPackets, new.rxPackets),
                    ("sluice_port_rx_bytes_total", old.rxBytes, new.rxBytes),
                    ("sluice_port_tx_packets_total", old.txPackets, new.txPackets),
                    ("sluice_port_tx_bytes_total", old.txBytes, new.txBytes),
                    ("sluice_port_tx_dropped_total", old.txDropped, new.txDropped),
                ] {
                    let value = try #require(samples["\(metric){port=\"\(name)\"}"], "\(metric) for \(name)")
                    #expect(
                        Double(low) <= value && value <= Double(high),
                        "\(metric){\(name)}: \(value), ports: \(low)...\(high)")
                }
                #expect(new.rxPackets >= 6, "the pings were counted")
            }
            // Drops by {stage,reason} and PMD cycles are there, and the MAC table holds both hosts.
            #expect(samples.keys.contains { $0.hasPrefix("sluice_stage_drops_total{stage=\"parse\",reason=") })
            #expect(samples.keys.contains { $0.hasPrefix("sluice_pmd_busy_cycles_total{lcore=") })
            #expect((samples["sluice_mac_table_entries{vlan=\"1\"}"] ?? 0) >= 2)
            // host-a's pings passed its from-vm buckets and opened one tracked ICMP connection (the echo replies
            // came back as that connection's replies, though the group admits no ingress).
            #expect((samples["sluice_qos_passed_packets_total{port=\"host-a\",direction=\"from-vm\"}"] ?? 0) >= 5)
            #expect((samples["sluice_conntrack_port_connections{port=\"host-a\"}"] ?? 0) >= 1)
            #expect((samples["sluice_conntrack_connections"] ?? 0) >= 1)
            #expect((samples["sluice_conntrack_capacity"] ?? 0) > 0)
            let egress = #"sluice_sg_rule_hits_total{group="pinger",direction="egress",rule="ipv4 any (default)"}"#
            #expect((samples[egress] ?? 0) >= 1, "the default egress rule admitted the ping:\n\(text)")

            // sluiced gone: sluice_up 0, and /metrics still answers.
            #expect(try daemon.stop() == 0)
            let down = try System.run(["curl", "-sf", "http://127.0.0.1:\(port)/metrics"])
            #expect(down.status == 0 && Self.samples(down.output)["sluice_up"] == 0, "\(down.output)")
        }

        /// The sample lines of an exposition text: series (name and labels) -> value.
        static func samples(_ text: String) -> [String: Double] {
            var samples: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
                else { continue }
                samples[String(line[..<space])] = value
            }
            return samples
        }
    }
}
