import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    @Suite("Hitless reconfiguration")
    struct Hitless {
        /// Traffic flows from host A to host B (both access ports on VLAN 10, in their own namespaces) while
        /// more than 100 configuration changes are applied: VLAN moves, port security, limits, static MACs and
        /// aging on the other ports and on the flow's own ports (in ways that keep the flow allowed), a port
        /// added and removed again, whole-document applies. Every packet A sent must arrive at B, and
        /// sluiced's counters must account for each: nothing dropped anywhere in the pipeline.
        @Test func noPacketLostWhileConfigChanges() throws {
            let names = ["a", "b"]
            let taps = Dictionary(uniqueKeysWithValues: names.map { ($0, uniqueName("h" + $0)) })
            var namespaces: [String: Namespace] = [:]
            defer { for namespace in namespaces.values { namespace.delete() } }
            for name in ["a", "b"] { namespaces[name] = try Namespace.create(uniqueName("m" + name)) }

            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: a
                        devargs: "net_tap_ha,iface=\(taps["a"]!)"
                        vlan: { mode: access, id: 10 }
                      - name: b
                        devargs: "net_tap_hb,iface=\(taps["b"]!)"
                        vlan: { mode: access, id: 10 }
                      # The other ports are null devices that never receive: no kernel chatter, so every
                      # counted frame is the flow's, and every drop would be a lost packet.
                      - name: o
                        devargs: "net_null_ho,no-rx=1"
                        vlan: { mode: access, id: 20 }
                    """, label: "hitless")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            for name in ["a", "b"] {
                let ns = namespaces[name]!
                let tap = taps[name]!
                try System.must(["ip", "link", "set", tap, "netns", ns.name])
                // No IPv6 and no addresses: the kernel sends nothing on its own, so every frame is the test's.
                try ns.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
                try ns.exec(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
                try ns.exec([
                    "ip", "link", "set", tap, "address", name == "a" ? "02:00:00:00:99:01" : "02:00:00:00:99:02",
                ])
                try ns.exec(["ip", "link", "set", tap, "up"])
            }
            let flow = System.repositoryFile("tools/udp-flow.py")
            let client = try daemon.client()
            let receiver = try BackgroundCommand(
                ["ip", "netns", "exec", namespaces["b"]!.name, flow, "receive", taps["b"]!], label: "flow-rx")
            defer { receiver.stop() }
            try System.waitUntil("the receiver to listen") { receiver.output.contains("ready") }
            // B announces itself once, so the flow is switched as unicast (it would be flooded otherwise).
            try namespaces["b"]!.exec([
                flow, "send", taps["b"]!, "--count", "1", "--src-mac", "02:00:00:00:99:02", "--dst-mac",
                "02:00:00:00:99:01",
            ])
            try System.waitUntil("sluiced to learn B's MAC") {
                try client.call(BridgeMethods.macList).contains { $0.mac == "02:00:00:00:99:02" && $0.port == "b" }
            }
            // Counters from here on are the flow's alone.
            let baseline = try daemon.ports()
            let baselineStages = try daemon.stages()
            func newDrops(_ stages: [String: StageStatus]) -> [String: UInt64] {
                var result: [String: UInt64] = [:]
                for (name, stage) in stages {
                    for (reason, count) in stage.drops where count > (baselineStages[name]?.drops[reason] ?? 0) {
                        result["\(name)/\(reason)"] = count - (baselineStages[name]?.drops[reason] ?? 0)
                    }
                }
                return result
            }
            let sender = try BackgroundCommand(
                ["ip", "netns", "exec", namespaces["a"]!.name, flow, "send", taps["a"]!, "--rate", "2000"],
                label: "flow-tx")
            defer { sender.stop() }
            try System.waitUntil("traffic to cross sluiced") {
                (try daemon.ports()["b"]?.counters.txPackets ?? 0) > (baseline["b"]?.counters.txPackets ?? 0) + 100
            }

            // The changes: each one a separate, complete publication.
            func set(_ port: String, _ settings: [String: JSONValue]) throws {
                let result = try client.call(
                    "port.set", params: PortSetParams(name: port, settings: .object(settings)),
                    as: ConfigApplyResult.self)
                #expect(result.applied && !result.changes.isEmpty, "port.set \(port) \(settings) changed nothing")
            }
            var applied = 0
            for round in 0..<12 {
                try set(
                    "o", ["vlan": .object(["mode": .string("trunk"), "allowed": .array([.number(10), .number(30)])])])
                try set("o", ["vlan": .object(["mode": .string("access"), "id": .number(Double(20 + round % 2))])])
                try set("o", ["port-security": .object(["mac": .string("02:00:00:00:0f:01")])])
                try set("o", ["port-security": .null])
                try set("b", ["max-macs": .number(Double(16 + round))])
                try set(
                    "a",
                    [
                        "static-macs": .array([
                            .object(["mac": .string("02:00:00:00:0a:\(String(format: "%02x", round))")])
                        ])
                    ])
                try set("a", ["static-macs": .null])
                // The flow's own ports: port security that allows the flow, removed again.
                try set(
                    "a",
                    [
                        "port-security": .object([
                            "mac": .string("02:00:00:00:99:01"), "ips": .array([.string("10.99.0.1")]),
                        ])
                    ])
                try set("a", ["port-security": .null])
                // A whole document: the aging time changes.
                let document = try client.call(ConfigMethods.get).yaml
                let aging = try #require(
                    document.range(of: "mac-aging-seconds: 300") ?? document.range(of: "mac-aging-seconds: 301"))
                let next = document.replacingCharacters(
                    in: aging, with: round % 2 == 0 ? "mac-aging-seconds: 301" : "mac-aging-seconds: 300")
                let result = try Self.applyDocument(client, next)
                #expect(result.changes.map(\.action) == ["update-l2"])
                applied += 10
                // Every third round, the heavier operations on a port the flow does not use.
                if round % 3 == 0 {
                    _ = try client.call(
                        "port.add",
                        params: PortAddParams(
                            port: .object([
                                "name": .string("x"), "devargs": .string("net_null_hx,no-rx=1"),
                                "vlan": .object(["mode": .string("access"), "id": .number(10)]),
                            ])), as: ConfigApplyResult.self)
                    _ = try client.call("port.del", params: PortDeleteParams(name: "x"), as: ConfigApplyResult.self)
                    applied += 2
                }
            }
            sender.stop()
            let sent = try Self.summary(sender.output, "sent")
            // Everything sent has left the namespace's tap; wait until sluiced has forwarded all of it.
            // Wait until sluiced has seen everything and sent or dropped all of it (the assertions below tell
            // which); a stall here is reported with the counters.
            var settled = ""
            do {
                try System.waitUntil("sluiced to account for every packet it received", timeout: .seconds(60)) {
                    let ports = try daemon.ports()
                    let stages = try daemon.stages()
                    let rx = ports["a"]!.counters.rxPackets - baseline["a"]!.counters.rxPackets
                    let tx = ports["b"]!.counters.txPackets - baseline["b"]!.counters.txPackets
                    let drops = newDrops(stages).values.reduce(0, +)
                    settled =
                        "sent \(sent), rx on a \(rx), tx on b \(tx), drops \(drops), driver a \(String(describing: ports["a"]!.driverStats))"
                    return rx >= UInt64(sent) && tx + drops >= rx
                }
            } catch { throw TestFailure("\(error): \(settled)") }
            print("hitless: settled with \(settled)")
            // The receiver drains its socket before it reports.
            receiver.stop()
            let received = try Self.summary(receiver.output, "received")
            let unique = try Self.summary(receiver.output, "unique")
            // Frames the receiving socket itself dropped (a starved test process) are not the dataplane's.
            let socketDrops = try Self.summary(receiver.output, "socket_drops")
            #expect(socketDrops == 0, "the receiver was too slow: \(socketDrops) frames dropped by its socket")

            let ports = try daemon.ports()
            let stages = try daemon.stages()
            let health = try client.call(StatusMethods.health)
            let rx = ports["a"]!.counters.rxPackets - baseline["a"]!.counters.rxPackets
            let tx = ports["b"]!.counters.txPackets - baseline["b"]!.counters.txPackets
            let drops = newDrops(stages).map { "\($0.key)=\($0.value)" }
            print(
                "hitless: \(applied) changes applied (revision \(health.revision)); sent \(sent), sluiced rx \(rx) on a, tx \(tx) on b, received \(received) (\(unique) distinct); drops: \(drops.isEmpty ? "none" : drops.joined(separator: " "))"
            )
            #expect(rx == UInt64(sent), "every packet sent reached sluiced")
            #expect(tx == UInt64(sent), "every packet sluiced received left on b")
            #expect(received == sent && unique == sent, "every packet arrived at B exactly once")
            #expect(drops.isEmpty, "no pipeline drops: \(drops)")
            #expect(ports["b"]!.counters.txDropped == baseline["b"]!.counters.txDropped)
            // The daemon counted every change as applied (each one a new revision), and there were over 100.
            #expect(
                health.revision >= applied && health.revision >= 100,
                "revision \(health.revision) after \(applied) changes")

            // Second phase: a change that does concern the flow. While b is administratively down its
            // packets are dropped — and counted: every packet sent is either received or in a drop counter.
            let receiver2 = try BackgroundCommand(
                ["ip", "netns", "exec", namespaces["b"]!.name, flow, "receive", taps["b"]!], label: "flow-rx2")
            defer { receiver2.stop() }
            try System.waitUntil("the receiver to listen") { receiver2.output.contains("ready") }
            let before = (ports: try daemon.ports(), stages: try daemon.stages())
            let sender2 = try BackgroundCommand(
                ["ip", "netns", "exec", namespaces["a"]!.name, flow, "send", taps["a"]!, "--rate", "2000"],
                label: "flow-tx2")
            defer { sender2.stop() }
            func transmitDrops() throws -> UInt64 {
                (try daemon.stages()["transmit"]?.drops.values.reduce(0, +) ?? 0)
                    - (before.stages["transmit"]?.drops.values.reduce(0, +) ?? 0)
            }
            try System.waitUntil("traffic to cross sluiced again") {
                (try daemon.ports()["b"]!.counters.txPackets) > before.ports["b"]!.counters.txPackets + 100
            }
            try set("b", ["admin": .string("down")])
            try System.waitUntil("packets for the down port to be dropped") { try transmitDrops() > 100 }
            try set("b", ["admin": .string("up")])
            let txWhenUp = try daemon.ports()["b"]!.counters.txPackets
            try System.waitUntil("traffic to reach b again") {
                try daemon.ports()["b"]!.counters.txPackets > txWhenUp + 100
            }
            sender2.stop()
            let sent2 = try Self.summary(sender2.output, "sent")
            try System.waitUntil("sluiced to account for every packet", timeout: .seconds(60)) {
                let rx = try daemon.ports()["a"]!.counters.rxPackets - before.ports["a"]!.counters.rxPackets
                let tx = try daemon.ports()["b"]!.counters.txPackets - before.ports["b"]!.counters.txPackets
                let drops = try transmitDrops()
                return rx >= UInt64(sent2) && tx + drops >= rx
            }
            receiver2.stop()
            let received2 = try Self.summary(receiver2.output, "received")
            let after = (ports: try daemon.ports(), stages: try daemon.stages())
            var dropped: [String: UInt64] = [:]
            for (name, stage) in after.stages {
                for (reason, count) in stage.drops where count > (before.stages[name]?.drops[reason] ?? 0) {
                    dropped["\(name)/\(reason)"] = count - (before.stages[name]?.drops[reason] ?? 0)
                }
            }
            let droppedTotal = dropped.values.reduce(0, +)
            print("hitless, admin down/up on b: sent \(sent2), received \(received2), dropped \(dropped)")
            #expect(UInt64(received2) + droppedTotal == UInt64(sent2), "every packet received or counted as dropped")
            #expect(droppedTotal > 0 && received2 > 0)
            // Down: known MAC → port-down; once b's MAC is flushed (admin down flushes it), floods with no
            // other member of VLAN 10 up → flood-no-ports. Nothing else.
            #expect(Set(dropped.keys).isSubset(of: ["transmit/port-down", "transmit/flood-no-ports"]), "\(dropped)")
            #expect(try daemon.stop() == 0)
        }

        static func applyDocument(_ client: ControlClient, _ document: String) throws -> ConfigApplyResult {
            try client.call("config.apply", params: ConfigApplyParams(document: document), as: ConfigApplyResult.self)
        }

        /// A field of the JSON summary line a udp-flow.py process printed when it stopped.
        static func summary(_ output: String, _ key: String) throws -> Int {
            guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let value = object[key] as? Int
            else { throw TestFailure("no \"\(key)\" in the summary of:\n\(output)") }
            return value
        }
    }
}
