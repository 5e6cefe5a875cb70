import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Two PMD threads on a machine with two CPUs: `eal.lcore-cpus` runs PMD lcores 1 and 2 both on CPU 1
    /// (the main lcore keeps CPU 0). They take turns on that CPU, so this is about correctness, not speed:
    /// per-PMD tx queues, rx queues placed on different PMDs, grace periods that wait for both, one MAC
    /// table written by one PMD and read by the other, counters summed over PMDs.
    @Suite("Several PMDs sharing one CPU")
    struct MultiPMD {
        static let macA = "02:00:00:00:77:01", macB = "02:00:00:00:77:02"
        /// The UDP ports of the flows A → B and B → A, and of the frames that announce the hosts' MACs.
        static let portAB = 9999, portBA = 9998, portAnnounce = 7

        /// Hosts A and B (namespaces, access ports on VLAN 10) send to each other at the same time. Port a's rx
        /// queues are polled by the PMD on lcore 1 and b's by the PMD on lcore 2, so each direction is
        /// received by one PMD and leaves on that PMD's tx queue of the other port. While both flows run,
        /// port o's settings change and a port is added and removed (hitless: both PMDs switch generations),
        /// and port c, polled by both PMDs, is replaced with its queues moved between them. Every packet must
        /// arrive exactly once, and every counter must be the sum of what each PMD did.
        @Test func bothDirectionsAcrossPMDsWhileConfigurationChanges() throws {
            let taps = ["a": uniqueName("xa"), "b": uniqueName("xb")]
            var namespaces: [String: Namespace] = [:]
            defer { for namespace in namespaces.values { namespace.delete() } }
            for name in ["a", "b"] { namespaces[name] = try Namespace.create(uniqueName("y" + name)) }

            let daemon = try SluicedProcess(
                config: """
                    \(testEAL(pmdCPUMask: "0x6", lcoreCPUs: "{0: 0, 1: 1, 2: 1}"))
                    ports:
                      # net_tap needs as many rx queues as tx queues, and it gets one tx queue per PMD.
                      - name: a
                        devargs: "net_tap_xa,iface=\(taps["a"]!)"
                        rx-queues: 2
                        pmd-rxq-affinity: [1, 1]
                        vlan: { mode: access, id: 10 }
                      - name: b
                        devargs: "net_tap_xb,iface=\(taps["b"]!)"
                        rx-queues: 2
                        pmd-rxq-affinity: [2, 2]
                        vlan: { mode: access, id: 10 }
                      # Null devices that never receive: no chatter, so every counted frame is the flows'.
                      - name: c
                        devargs: "net_null_xc,no-rx=1"
                        rx-queues: 2
                        pmd-rxq-affinity: [1, 2]
                        vlan: { mode: access, id: 20 }
                      - name: o
                        devargs: "net_null_xo,no-rx=1"
                        pmd-rxq-affinity: [2]
                        vlan: { mode: access, id: 20 }
                    """, label: "multipmd")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            let client = try daemon.client()

            // EAL ran both PMD threads on CPU 1 and the control thread on CPU 0, as eal.lcore-cpus asked.
            #expect(try LcoreThreads.workerCPUs(pid: daemon.pid) == [1: "1", 2: "1"], "\(daemon.log)")
            #expect(try LcoreThreads.mainThreadCPUs(pid: daemon.pid) == "0")
            // Both PMDs run and poll exactly the queues placed on them (sluicectl shows the same as the API).
            let ctl = System.binary("sluicectl")
            let pmdsJSON = try System.must([ctl, "pmds", "--json", "--socket", daemon.socketPath])
            let listed = try JSONDecoder().decode([PMDStatus].self, from: Data(pmdsJSON.utf8))
            #expect(listed.map(\.lcore) == [1, 2])
            #expect(listed.map(\.rxQueues) == [["a/0", "a/1", "c/0"], ["b/0", "b/1", "c/1", "o/0"]])
            let health = try client.call(StatusMethods.health)
            #expect(health.pmds == 2 && health.pmdsRunning == 2)
            #expect(try daemon.ports()["a"]?.txQueues == 2, "one tx queue per PMD")
            // The running document shows the placement; moving an lcore to another CPU needs a restart.
            let document = try client.call(ConfigMethods.get).yaml
            #expect(document.contains("  lcore-cpus:\n    \"0\": 0\n    \"1\": 1\n    \"2\": 1\n"), "\(document)")
            let moved = document.replacingOccurrences(of: "\"2\": 1", with: "\"2\": 0")
            let refused = Reconfiguration.rejection(client, "config.apply", ConfigApplyParams(document: moved))
            #expect(refused?.code == RPCErrorObject.restartRequired, "\(String(describing: refused))")
            #expect(refused?.data?.needsRestart == ["eal.lcore-cpus.2: 1 → 0"], "\(String(describing: refused))")

            try namespaces["a"]!.adoptSilent(interface: taps["a"]!, mac: Self.macA)
            try namespaces["b"]!.adoptSilent(interface: taps["b"]!, mac: Self.macB)
            let flows = TwoHostFlows(
                namespaces: namespaces, taps: taps, macA: Self.macA, macB: Self.macB, portAB: Self.portAB,
                portBA: Self.portBA, announcePort: Self.portAnnounce, label: "multipmd")
            // Each host announces itself once, so both flows are switched as unicast. PMD 1 learns A's MAC
            // and PMD 2 learns B's; each then forwards to the MAC the other one learned.
            try flows.announce(through: client)
            try System.waitUntil("both announcements to leave sluiced") {
                let now = try CounterSnapshot(daemon)
                return try now.port("a").counters.txPackets >= 1 && now.port("b").counters.txPackets >= 1
            }

            try flows.startReceivers()
            // From here on every counted frame belongs to the two flows.
            let baseline = try CounterSnapshot(daemon)
            try flows.startSenders()
            func waitForBothDirections(_ what: String) throws {
                let start = try CounterSnapshot(daemon)
                try System.waitUntil(what) {
                    let now = try CounterSnapshot(daemon)
                    return try now.portGrowth("a", since: start, \.txPackets) > 100
                        && now.portGrowth("b", since: start, \.txPackets) > 100
                }
            }
            try waitForBothDirections("traffic to cross sluiced both ways")

            // Hitless changes on a port neither flow uses: each one a new generation both PMDs switch to.
            func set(_ port: String, _ settings: [String: JSONValue]) throws -> ConfigApplyResult {
                let params = PortSetParams(name: port, settings: .object(settings))
                let result = try client.call(PortMethods.set, params)
                #expect(result.applied && !result.changes.isEmpty, "port.set \(port) \(settings) changed nothing")
                return result
            }
            for round in 0..<3 {
                let trunk = JSONValue.object(["mode": .string("trunk"), "allowed": .array([.number(10), .number(30)])])
                _ = try set("o", ["vlan": trunk])
                _ = try set("o", ["vlan": .object(["mode": .string("access"), "id": .number(Double(20 + round))])])
                _ = try set("o", ["port-security": .object(["mac": .string("02:00:00:00:0f:01")])])
                let cleared = try set("o", ["port-security": .null])
                #expect(cleared.changes.allSatisfy { $0.hitless })
                // A port added on the second PMD and removed again: both PMDs' tables change twice.
                let added = try client.call(
                    PortMethods.add,
                    PortAddParams(
                        port: .object([
                            "name": .string("x"), "devargs": .string("net_null_xx,no-rx=1"),
                            "pmd-rxq-affinity": .array([.number(2)]),
                            "vlan": .object(["mode": .string("access"), "id": .number(20)]),
                        ])))
                #expect(added.changes.map(\.action) == ["add-port"])
                #expect(try client.call(StatusMethods.pmdList).last?.rxQueues.contains("x/0") == true)
                _ = try client.call(PortMethods.delete, PortDeleteParams(name: "x"))
            }

            // Port c replaced while both flows run: its device is reopened with three rx queues, placed
            // anew across the two PMDs (queue 0 moves from lcore 1 to lcore 2).
            let replaced = try set(
                "c", ["rx-queues": .number(3), "pmd-rxq-affinity": .array([.number(2), .number(1), .number(2)])])
            #expect(replaced.changes.map(\.action) == ["replace-port"] && replaced.changes.first?.hitless == false)
            #expect(try daemon.ports()["c"]?.rxQueues == 3)
            let placed = try client.call(StatusMethods.pmdList)
            #expect(placed.map(\.rxQueues) == [["a/0", "a/1", "c/1"], ["b/0", "b/1", "c/0", "c/2", "o/0"]])
            try waitForBothDirections("traffic to keep crossing sluiced both ways after the changes")

            let sent = try flows.stopSenders()
            let (sentAB, sentBA) = sent
            // Wait until sluiced has received everything sent and transmitted or dropped all of it (the
            // assertions below tell which); a stall is reported with the counters.
            var settled = ""
            do {
                try System.waitUntil("sluiced to account for every packet", timeout: .seconds(60)) {
                    let now = try CounterSnapshot(daemon)
                    func growth(_ port: String, _ counter: KeyPath<PortCounterValues, UInt64>) throws -> UInt64 {
                        try now.portGrowth(port, since: baseline, counter)
                    }
                    let rx = (a: try growth("a", \.rxPackets), b: try growth("b", \.rxPackets))
                    let tx = (a: try growth("a", \.txPackets), b: try growth("b", \.txPackets))
                    let drops = now.newDrops(since: baseline).values.reduce(0, +)
                    settled =
                        "sent \(sentAB) A→B, \(sentBA) B→A; rx a \(rx.a), b \(rx.b); tx a \(tx.a), b \(tx.b); "
                        + "drops \(drops)"
                    return rx.a >= sentAB && rx.b >= sentBA && tx.a + tx.b + drops >= rx.a + rx.b
                }
            } catch {
                throw TestFailure("\(error): \(settled)")
            }
            try flows.expectEveryPacketOnce(sent: sent)
            let final = try CounterSnapshot(daemon)
            print("multi-PMD: \(settled)")

            // (a) Every packet of both flows arrived, once (above), and sluiced counted it in and out.
            #expect(sentAB > 200 && sentBA > 200)
            #expect(try final.portGrowth("a", since: baseline, \.rxPackets) == sentAB)
            #expect(try final.portGrowth("b", since: baseline, \.rxPackets) == sentBA)
            #expect(try final.portGrowth("b", since: baseline, \.txPackets) == sentAB)
            #expect(try final.portGrowth("a", since: baseline, \.txPackets) == sentBA)
            #expect(final.newDrops(since: baseline).isEmpty, "no drops: \(final.newDrops(since: baseline))")
            #expect(try final.portGrowth("a", since: baseline, \.txDropped) == 0)
            #expect(try final.portGrowth("b", since: baseline, \.txDropped) == 0)
            for name in ["c", "o"] {
                let counters = try final.port(name).counters
                #expect(counters.rxPackets == 0 && counters.txPackets == 0, "\(name) carried nothing: \(counters)")
            }

            // (d) Counters summed over PMDs. Each PMD received exactly its port's flow...
            #expect(try final.pmdRxGrowth(lcore: 1, since: baseline) == sentAB, "lcore 1 polls a")
            #expect(try final.pmdRxGrowth(lcore: 2, since: baseline) == sentBA, "lcore 2 polls b")
            // ... and sent it on its own tx queue of the other port (PMD i uses tx queue i): port a's counters
            // add lcore 1's rx to lcore 2's tx, port b's the other way round.
            #expect(try final.txQueueGrowth("b", since: baseline) == [sentAB, 0], "A→B leaves b on lcore 1's queue")
            #expect(try final.txQueueGrowth("a", since: baseline) == [0, sentBA], "B→A leaves a on lcore 2's queue")
            // Stage counters are the sums over both PMDs.
            let received = sentAB + sentBA
            #expect(try final.stageGrowth("parse", since: baseline, \.packetsIn) == received)
            #expect(try final.stageGrowth("l2", since: baseline, \.packetsOut) == received)
            #expect(try final.stageGrowth("transmit", since: baseline, \.packetsOut) == received)
            let floods = (try final.stage("l2").events["flooded"], try baseline.stage("l2").events["flooded"])
            #expect(floods.0 != nil && floods.0 == floods.1, "both flows were switched as unicast")

            #expect(try client.call(StatusMethods.health).pmdsRunning == 2)
            #expect(try daemon.stop() == 0, "\(daemon.log)")
        }
    }
}
