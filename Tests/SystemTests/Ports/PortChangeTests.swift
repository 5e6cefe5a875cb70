import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    @Suite("Port changes take effect under traffic")
    struct PortChanges {
        static let (macH1, macH2) = ("02:00:00:00:71:01", "02:00:00:00:72:01")

        static func config(_ hosts: SilentHosts) -> String {
            """
            \(testEAL())
            ports:
              - name: h1
                devargs: "\(hosts.devargs("h1"))"
              - name: h2
                devargs: "\(hosts.devargs("h2"))"
              - name: n1
                devargs: "net_null_pcn1,no-rx=1"
            """
        }

        static func set(_ client: ControlClient, _ port: String, _ settings: [String: JSONValue]) throws
            -> ConfigApplyResult
        {
            try client.call(
                "port.set", params: PortSetParams(name: port, settings: .object(settings)), as: ConfigApplyResult.self)
        }

        /// A flow from h1 to h2's MAC. Admin down on h2: its learned MAC is flushed (as documented) and the
        /// flow is flooded to n1 and dropped toward h2; up again, the flow floods (h2 included) until h2 is
        /// heard from, then goes to h2 alone.
        @Test func adminDownFlushesAndUpRestores() throws {
            let hosts = try SilentHosts(ports: ["h1", "h2"], tag: "pa")
            let daemon = try SluicedProcess(config: Self.config(hosts), label: "portadm")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            try hosts.adopt(macs: ["h1": Self.macH1, "h2": Self.macH2])
            let client = try daemon.client()
            func h2Speaks() throws {
                try hosts.send(1, from: "h2", source: Self.macH2, to: Self.macH1, through: daemon)
            }
            func h2Known() throws -> Bool {
                try client.call(BridgeMethods.macList).contains { $0.mac == Self.macH2 && $0.port == "h2" }
            }
            func window() throws -> CounterWindow { try CounterWindow(daemon, whileReceiving: 200, on: "h1") }

            try h2Speaks()
            let flow = try hosts.startFlow(from: "h1", source: Self.macH1, to: Self.macH2)
            defer { flow.stop() }
            let known = try window()
            #expect(try known.tx("h2") >= known.rx("h1") / 2 && known.tx("n1") == 0, "unicast to h2")

            #expect(try Self.set(client, "h2", ["admin": .string("down")]).changes.first?.fields == ["admin"])
            #expect(try !h2Known(), "admin down flushes the MACs learned on the port")
            #expect(try daemon.ports()["h2"]?.admin == "down")
            let down = try window()
            #expect(try down.tx("h2") == 0 && down.tx("n1") >= down.rx("h1") / 2, "flooded, h2 left out")

            _ = try Self.set(client, "h2", ["admin": .string("up")])
            #expect(try !h2Known())
            let up = try window()
            #expect(try up.tx("h2") >= up.rx("h1") / 2 && up.tx("n1") >= up.rx("h1") / 2, "flooded, h2 included")
            try h2Speaks()
            #expect(try h2Known())
            let relearned = try window()
            #expect(try relearned.tx("h2") >= relearned.rx("h1") / 2 && relearned.tx("n1") == 0, "unicast again")
            flow.stop()
            #expect(try daemon.stop() == 0, "\(daemon.log)")
        }

        /// A counted flow h1 → h2 while n1 is replaced twice (new devargs, then new descriptors): every
        /// frame arrives, nothing is dropped, and the new n1 (a new device) gets the floods afterwards.
        @Test func portReplacedWhileAnotherCarriesTraffic() throws {
            let hosts = try SilentHosts(ports: ["h1", "h2"], tag: "pr")
            let daemon = try SluicedProcess(config: Self.config(hosts), label: "portrepl")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            try hosts.adopt(macs: ["h1": Self.macH1, "h2": Self.macH2])
            let client = try daemon.client()
            try hosts.send(1, from: "h2", source: Self.macH2, to: Self.macH1, through: daemon)
            let before = try CounterSnapshot(daemon)
            let flow = try hosts.startFlow(from: "h1", source: Self.macH1, to: Self.macH2, rate: 1000, count: 3000)
            defer { flow.stop() }
            try daemon.waitUntilSwitched(port: "h1", received: try before.port("h1").counters.rxPackets + 100)
            let replaced = try Self.set(client, "n1", ["devargs": .string("net_null_pcn9,no-rx=1")])
            #expect(replaced.changes.map(\.action) == ["replace-port"], "\(replaced.changes)")
            let reopened = try Self.set(client, "n1", ["rx-descriptors": .number(512)])
            #expect(reopened.changes.map(\.action) == ["replace-port"], "\(reopened.changes)")
            try System.waitUntil("the flow to finish", timeout: .seconds(60)) { !flow.process.isRunning }
            let sent = try SystemTests.Hitless.summary(flow.output, "sent")
            #expect(sent == 3000)
            try daemon.waitUntilSwitched(port: "h1", received: try before.port("h1").counters.rxPackets + 3000)
            let after = try CounterSnapshot(daemon)
            #expect(try after.portGrowth("h1", since: before, \.rxPackets) == 3000)
            #expect(try after.portGrowth("h2", since: before, \.txPackets) == 3000, "every frame reached h2")
            #expect(after.newDrops(since: before).isEmpty, "\(after.newDrops(since: before))")
            // h2's MAC stayed learned throughout: the flow was never flooded.
            let floods =
                (try after.stage("l2").events["flooded"] ?? 0) &- (try before.stage("l2").events["flooded"] ?? 0)
            #expect(floods == 0, "the flow was flooded \(floods) times: the replacement touched h2's MAC entry")
            let n1 = try after.port("n1")
            #expect(n1.devargs == "net_null_pcn9,no-rx=1", "n1 runs on its new device")

            // The new device is in the bridge: a frame to an unknown MAC reaches it.
            let flooded = try CounterSnapshot(daemon)
            try hosts.send(10, from: "h1", source: Self.macH1, to: "02:00:00:00:7f:01", through: daemon)
            #expect(try CounterSnapshot(daemon).portGrowth("n1", since: flooded, \.txPackets) == 10)
            #expect(try daemon.stop() == 0, "\(daemon.log)")
        }
    }
}
