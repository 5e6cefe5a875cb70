import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Kernel TCP (iperf3) in network namespaces through net_tap ports of sluiced, one of them limited by QoS.
    /// Namespaces and interfaces are named `qs<pid><x>` and deleted by the test, even when it fails.
    @Suite("QoS: TCP through rate-limited ports")
    struct QoSSystem {
        static let subnet = "10.197.0"
        static let megabit = 1_000_000.0

        /// Three hosts: `a` (the limited VM port), `b` (its peer) and `c` (an unlimited neighbour on the same
        /// PMD), bridged on VLAN 1.
        final class Hosts: @unchecked Sendable {
            let names: [String: Namespace]
            let taps: [String: String]
            let daemon: SluicedProcess
            private var servers: [Process] = []

            init(qos: String) throws {
                let prefix = "qs\(getpid() % 100_000)"
                var taps: [String: String] = [:]
                for host in ["a", "b", "c"] { taps[host] = prefix + "t" + host }
                self.taps = taps
                var created: [String: Namespace] = [:]
                do {
                    for host in ["a", "b", "c"] { created[host] = try Namespace.create(prefix + host) }
                    let ports = [
                        "ports:",
                        "  - name: host-a", "    devargs: \"net_tap_qsa,iface=\(taps["a"]!)\"", "    qos: \(qos)",
                        "  - name: host-b", "    devargs: \"net_tap_qsb,iface=\(taps["b"]!)\"",
                        "  - name: host-c", "    devargs: \"net_tap_qsc,iface=\(taps["c"]!)\"",
                    ]
                    daemon = try SluicedProcess(
                        config: testEAL() + "\n" + ports.joined(separator: "\n") + "\n", label: "qos")
                    try daemon.waitReady()
                    for (index, host) in ["a", "b", "c"].enumerated() {
                        try created[host]!.adopt(interface: taps[host]!, address: "\(QoSSystem.subnet).\(index + 1)/24")
                    }
                } catch {
                    for namespace in created.values { namespace.delete() }
                    throw error
                }
                names = created
            }

            /// Starts a one-off iperf3 server in host `b` and waits until it listens.
            func startServer() throws {
                let server = Process()
                server.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
                server.arguments = ["netns", "exec", names["b"]!.name, "iperf3", "-s", "-1", "-p", "5201"]
                server.standardOutput = FileHandle.nullDevice
                server.standardError = FileHandle.nullDevice
                try server.run()
                servers.append(server)
                try System.waitUntil("iperf3 to listen in \(names["b"]!.name)", timeout: .seconds(30)) {
                    try names["b"]!.run(["ss", "-ltn", "sport = :5201"]).output.contains("5201")
                }
            }

            /// Runs iperf3 from host `a` to `b` (`reverse`: b sends to a) for `seconds`, leaving out the first
            /// `omit` (the bucket's burst); the receiver's rate in bit/s.
            func iperf(seconds: Int, omit: Int, reverse: Bool = false) throws -> Double {
                try startServer()
                let result = try names["a"]!.run(
                    [
                        "iperf3", "-c", "\(QoSSystem.subnet).2", "-p", "5201", "-t", "\(seconds)", "-O", "\(omit)",
                        "--json",
                    ]
                        + (reverse ? ["-R"] : []), timeout: .seconds(Int64(seconds + omit + 60)))
                guard result.status == 0, let data = result.output.data(using: .utf8),
                    let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let end = json["end"] as? [String: Any], let received = end["sum_received"] as? [String: Any],
                    let rate = received["bits_per_second"] as? Double
                else { throw TestFailure("iperf3 failed:\n\(result.output)\nsluiced log:\n\(daemon.log)") }
                return rate
            }

            func qos() throws -> [QoSDirectionStatus] { try daemon.client().call(QoSMethods.show) }

            /// Bytes host-a's from-vm buckets passed so far.
            func fromVMBytes() throws -> UInt64 {
                try qos().first { $0.port == "host-a" && $0.direction == "from-vm" }?.passedBytes ?? 0
            }

            func remove() {
                for server in servers where server.isRunning { server.terminate() }
                for namespace in names.values { namespace.delete() }
                daemon.removeDirectory()
            }
        }

        final class RateBox: @unchecked Sendable { var rate: Double? }

        static func limit(_ direction: String, megabits: Int, burst: Int = 1_048_576) -> String {
            "\(direction): {bandwidth: {bits-per-second: \(megabits * 1_000_000), burst-bytes: \(burst)}}"
        }

        @Test func tcpReachesTheLimitInEachDirection() throws {
            let hosts = try Hosts(
                qos: "{\(Self.limit("from-vm", megabits: 50)), \(Self.limit("to-vm", megabits: 50, burst: 4_194_304))}")
            defer { hosts.remove() }
            let sent = try hosts.iperf(seconds: 6, omit: 2)
            #expect((45 * Self.megabit...52 * Self.megabit).contains(sent), "a → b: \(sent / Self.megabit) Mbit/s")
            let received = try hosts.iperf(seconds: 6, omit: 2, reverse: true)
            #expect(
                (45 * Self.megabit...52 * Self.megabit).contains(received), "b → a: \(received / Self.megabit) Mbit/s")

            let rows = try hosts.qos()
            let fromVM = try #require(rows.first { $0.port == "host-a" && $0.direction == "from-vm" })
            let toVM = try #require(rows.first { $0.port == "host-a" && $0.direction == "to-vm" })
            #expect(fromVM.passedBytes > 6 * 5_000_000 && fromVM.droppedPackets == 0)
            #expect(fromVM.heldPolls > 0 && fromVM.heldSeconds > 0, "the guest was held back")
            #expect(toVM.passedBytes > 6 * 5_000_000 && toVM.droppedPackets > 0, "TCP met the policer")
            // The stage's drops and transmit's (flood copies, e.g. ARP) are the port's to-vm drops.
            let stages = try hosts.daemon.stages()
            let stage = try #require(stages["qos"]?.drops["qos-to-vm"])
            let floods = try #require(stages["transmit"]?.drops["qos-to-vm"])
            #expect(stage + floods == toVM.droppedPackets)
            #expect(try hosts.daemon.stop() == 0)
        }

        /// A UDP blast of 4 MB from b into a port limited to-vm at 10 Mbit/s with a 1 MiB burst: the whole burst
        /// passes at once, then the rate; the switch's own counters say how much passed and was dropped, and the
        /// blast's duration only bounds the rate's share from above (generously: it includes iperf3's start).
        @Test func aBurstPassesAtFullSpeedFirst() throws {
            let burst = 1_048_576.0
            let bytesPerSecond = 10_000_000.0 / 8
            let hosts = try Hosts(qos: "{\(Self.limit("to-vm", megabits: 10, burst: 1_048_576))}")
            defer { hosts.remove() }
            let a = hosts.names["a"]!
            let b = hosts.names["b"]!
            // Neighbours resolved and MACs learned first, so that the blast is known unicast from its first frame.
            try b.exec(["ping", "-c", "2", "-i", "0.2", "-W", "2", "\(Self.subnet).1"])
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            server.arguments = ["netns", "exec", a.name, "iperf3", "-s", "-1", "-p", "5202"]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer { if server.isRunning { server.terminate() } }
            try System.waitUntil("iperf3 to listen in \(a.name)", timeout: .seconds(30)) {
                try a.run(["ss", "-ltn", "sport = :5202"]).output.contains("5202")
            }
            // The bucket refills (1 MiB in 0.84 s) while the server starts; make sure it is full.
            Thread.sleep(forTimeInterval: 1)
            func toVM() throws -> QoSDirectionStatus {
                try #require(try hosts.qos().first { $0.port == "host-a" && $0.direction == "to-vm" })
            }
            let before = try toVM()
            let start = Date()
            let blast = try b.run(
                ["iperf3", "-c", "\(Self.subnet).1", "-p", "5202", "-u", "-b", "2G", "-l", "1400", "-n", "4M"],
                timeout: .seconds(60))
            let elapsed = Date().timeIntervalSince(start)
            let after = try toVM()
            #expect(blast.status == 0, "\(blast.output)")
            let passed = Double(after.passedBytes - before.passedBytes)
            let dropped = Double(after.droppedBytes - before.droppedBytes)
            let frame = 1518.0
            #expect(dropped > 1_000_000, "the blast exceeded the bucket: passed \(passed), dropped \(dropped)")
            // The whole burst passed (less the frame that no longer fitted), and on top of it no more than the
            // rate over the blast (and a few frames of iperf3's control connection).
            #expect(passed >= burst - frame, "passed \(passed) B, burst \(burst) B")
            #expect(
                passed <= burst + bytesPerSecond * elapsed + 20 * frame,
                "passed \(passed) B in \(elapsed) s: more than the burst plus the rate")
            #expect(try hosts.daemon.stop() == 0)
        }

        @Test func aLimitChangedUnderTrafficTakesEffectAndTheNeighbourLosesNothing() throws {
            let hosts = try Hosts(qos: "{\(Self.limit("from-vm", megabits: 50))}")
            defer { hosts.remove() }
            let client = try hosts.daemon.client()
            // The neighbour pings b throughout (c's port is on the same PMD, never limited).
            let ping = Process()
            let pingOutput = Pipe()
            ping.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            ping.arguments = [
                "netns", "exec", hosts.names["c"]!.name, "ping", "-c", "60", "-i", "0.2", "-W", "5",
                "\(Self.subnet).2",
            ]
            ping.standardOutput = pingOutput
            ping.standardError = pingOutput
            try ping.run()
            defer { if ping.isRunning { ping.terminate() } }

            let group = DispatchGroup()
            let result = RateBox()
            DispatchQueue.global().async(group: group) { result.rate = try? hosts.iperf(seconds: 12, omit: 0) }
            // Wait until TCP runs, measure 2 s at 50 Mbit/s, lower the limit to 20 Mbit/s, give it 1 s, measure 2 s.
            try System.waitUntil("TCP to flow through host-a", timeout: .seconds(30)) {
                try hosts.fromVMBytes() > 2_000_000
            }
            Thread.sleep(forTimeInterval: 1.5)
            func measure() throws -> Double {
                let before = try hosts.fromVMBytes()
                let start = Date()
                Thread.sleep(forTimeInterval: 2)
                return Double(try hosts.fromVMBytes() - before) * 8 / Date().timeIntervalSince(start)
            }
            let fast = try measure()
            let change = try client.call(
                "port.set",
                params: PortSetParams(
                    name: "host-a",
                    settings: .object([
                        "qos": .object([
                            "from-vm": .object([
                                "bandwidth": .object([
                                    "bits-per-second": .number(20_000_000), "burst-bytes": .number(1_048_576),
                                ])
                            ])
                        ])
                    ])),
                as: ConfigApplyResult.self)
            #expect(change.applied && change.changes.allSatisfy(\.hitless))
            Thread.sleep(forTimeInterval: 1)
            let slow = try measure()
            group.wait()
            ping.waitUntilExit()
            let pings = String(data: pingOutput.fileHandleForReading.readDataToEndOfFile(), encoding: .utf8) ?? ""
            #expect((45 * Self.megabit...52 * Self.megabit).contains(fast), "before: \(fast / Self.megabit) Mbit/s")
            #expect((18 * Self.megabit...21 * Self.megabit).contains(slow), "after: \(slow / Self.megabit) Mbit/s")
            #expect(result.rate != nil, "iperf3 ran to the end")
            #expect(pings.contains(" 0% packet loss"), "the neighbour lost pings:\n\(pings)")
            #expect(try hosts.daemon.stop() == 0)
        }
    }
}
