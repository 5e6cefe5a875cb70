import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Each hitless bridge change, applied while a flow runs, changes where the flow's frames go: asserted on
    /// the counters of the traffic that follows the change, not on what the API answered.
    @Suite("Bridge changes take effect under traffic")
    struct BridgeChanges {
        static let flowSource = "02:00:00:00:51:01"
        static let flowDestination = "02:00:00:00:5d:04"  // the 4th of h2's stations below
        static let h2Stations = "02:00:00:00:5d:01"

        /// h1 sends a steady flow to one MAC. The sinks n1 and n2 are net_null ports that count what they are
        /// sent; h2 is a second host, also the flow's destination once its station is learned.
        static func config(_ hosts: SilentHosts) -> String {
            """
            \(testEAL())
            ports:
              - name: h1
                devargs: "\(hosts.devargs("h1"))"
                vlan: { mode: access, id: 10 }
              - name: h2
                devargs: "\(hosts.devargs("h2"))"
                vlan: { mode: access, id: 10 }
              - name: n1
                devargs: "net_null_bcn1,no-rx=1"
                vlan: { mode: access, id: 10 }
              - name: n2
                devargs: "net_null_bcn2,no-rx=1"
                vlan: { mode: access, id: 10 }
            """
        }

        @Test func staticMACsVLANsPortSecurityAndLimitsRedirectTheFlow() throws {
            let hosts = try SilentHosts(ports: ["h1", "h2"], tag: "bc")
            let daemon = try SluicedProcess(config: Self.config(hosts), label: "bridgechg")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            try hosts.adopt(macs: ["h1": Self.flowSource, "h2": "02:00:00:00:52:01"])
            let client = try daemon.client()
            func set(_ port: String, _ settings: [String: JSONValue]) throws {
                let result = try client.call(
                    "port.set", params: PortSetParams(name: port, settings: .object(settings)),
                    as: ConfigApplyResult.self)
                #expect(result.applied && !result.changes.isEmpty, "port.set \(port) \(settings) changed nothing")
            }
            /// Where the flow's frames go now: the growth of every port's tx over 200 frames.
            func window() throws -> CounterWindow { try CounterWindow(daemon, whileReceiving: 200, on: "h1") }
            func flooded(_ window: CounterWindow, to ports: [String], not others: [String]) throws {
                let received = try window.rx("h1")
                for port in ports {
                    #expect(try window.tx(port) >= received / 2, "\(port) gets the flow: \(window.after.ports)")
                }
                for port in others { #expect(try window.tx(port) == 0, "\(port) gets none of the flow") }
            }

            let flow = try hosts.startFlow(from: "h1", source: Self.flowSource, to: Self.flowDestination)
            defer { flow.stop() }
            // The destination is unknown: flooded to VLAN 10.
            try flooded(try window(), to: ["h2", "n1", "n2"], not: [])

            // Static MACs: the destination pinned on n2 takes the flow there alone; removed, it floods again.
            try set("n2", ["static-macs": .array([.object(["mac": .string(Self.flowDestination)])])])
            #expect(try client.call(BridgeMethods.macList).contains { $0.mac == Self.flowDestination && $0.isStatic })
            try flooded(try window(), to: ["n2"], not: ["h2", "n1"])
            try set("n2", ["static-macs": .null])
            #expect(try !client.call(BridgeMethods.macList).contains { $0.mac == Self.flowDestination })
            try flooded(try window(), to: ["h2", "n1", "n2"], not: [])

            // Egress tagging follows the port's mode: h2 as a trunk gets the flow tagged with VLAN 10, as the
            // trunk's native VLAN untagged, and as an access port again untagged.
            func tagsOnH2() throws -> [String] {
                let receiver = try hosts.startReceiver(on: "h2")
                defer { receiver.stop() }
                _ = try window()
                return try SilentHosts.framesByVLAN(receiver).filter { $0.value > 0 }.keys.sorted()
            }
            try set("h2", ["vlan": .object(["mode": .string("trunk"), "allowed": .array([.number(10)])])])
            #expect(try tagsOnH2() == ["10"])
            try set(
                "h2",
                ["vlan": .object(["mode": .string("trunk"), "allowed": .array([.number(20)]), "native": .number(10)])])
            #expect(try tagsOnH2() == ["untagged"])
            try set("h2", ["vlan": .object(["mode": .string("access"), "id": .number(10)])])
            #expect(try tagsOnH2() == ["untagged"])

            // Access VLAN: n1 leaves VLAN 10 and gets nothing.
            try set("n1", ["vlan": .object(["mode": .string("access"), "id": .number(20)])])
            try flooded(try window(), to: ["h2", "n2"], not: ["n1"])
            // Trunks: n1 gets the flow while VLAN 10 is allowed, not when it is not, and again as native.
            try set("n1", ["vlan": .object(["mode": .string("trunk"), "allowed": .array([.number(10)])])])
            try flooded(try window(), to: ["h2", "n1", "n2"], not: [])
            try set(
                "n1", ["vlan": .object(["mode": .string("trunk"), "allowed": .array([.number(20), .number(30)])])])
            try flooded(try window(), to: ["h2", "n2"], not: ["n1"])
            try set(
                "n1",
                ["vlan": .object(["mode": .string("trunk"), "allowed": .array([.number(20)]), "native": .number(10)])])
            try flooded(try window(), to: ["h2", "n1", "n2"], not: [])
            // The ingress port's native VLAN decides where the untagged flow goes: VLAN 20 has only n1.
            try set(
                "h1",
                ["vlan": .object(["mode": .string("trunk"), "allowed": .array([.number(30)]), "native": .number(20)])])
            try flooded(try window(), to: ["n1"], not: ["h2", "n2"])
            // A trunk without a native VLAN refuses the untagged flow: every frame dropped, and counted.
            try set("h1", ["vlan": .object(["mode": .string("trunk"), "allowed": .array([.number(10)])])])
            let refused = try window()
            try flooded(refused, to: [], not: ["h2", "n1", "n2"])
            #expect(refused.drops.keys.sorted() == ["vlan/untagged-on-trunk"], "\(refused.drops)")
            #expect((refused.drops["vlan/untagged-on-trunk"] ?? 0) >= 200)
            // ... and takes tagged frames of an allowed VLAN: 50 of them, flooded to VLAN 10's ports (the
            // untagged flow beside them is still refused, so these 50 are all that leave).
            let beforeTagged = try CounterSnapshot(daemon)
            try hosts.send(
                50, from: "h1", source: Self.flowSource, to: Self.flowDestination, vlan: 10, through: daemon)
            let afterTagged = try CounterSnapshot(daemon)
            for port in ["h2", "n1", "n2"] {
                #expect(try afterTagged.portGrowth(port, since: beforeTagged, \.txPackets) == 50, "tagged to \(port)")
            }
            try set("h1", ["vlan": .object(["mode": .string("access"), "id": .number(10)])])
            try flooded(try window(), to: ["h2", "n1", "n2"], not: [])

            // Port security: allowing the flow's MAC keeps it; another MAC, or an address list without the
            // flow's source address, stops it (counted as port-security drops); removed, it flows again.
            try set("h1", ["port-security": .object(["mac": .string(Self.flowSource)])])
            try flooded(try window(), to: ["h2", "n1", "n2"], not: [])
            try set("h1", ["port-security": .object(["mac": .string("02:00:00:00:51:99")])])
            // A port-security change flushes what the port learned; the flow's MAC is not learned again.
            #expect(try !client.call(BridgeMethods.macList).contains { $0.mac == Self.flowSource })
            let wrongMAC = try window()
            try flooded(wrongMAC, to: [], not: ["h2", "n1", "n2"])
            #expect(wrongMAC.drops.keys.sorted() == ["port-security/source-mac"], "\(wrongMAC.drops)")
            try set(
                "h1",
                [
                    "port-security": .object([
                        "mac": .string(Self.flowSource), "ips": .array([.string("10.99.0.7")]),
                    ])
                ])
            let wrongIP = try window()
            try flooded(wrongIP, to: [], not: ["h2", "n1", "n2"])
            #expect(wrongIP.drops.keys.sorted() == ["port-security/source-ipv4"], "\(wrongIP.drops)")
            try set(
                "h1",
                [
                    "port-security": .object([
                        "mac": .string(Self.flowSource), "ips": .array([.string("10.99.0.1")]),
                    ])
                ])
            try flooded(try window(), to: ["h2", "n1", "n2"], not: [])
            try set("h1", ["port-security": .null])
            try flooded(try window(), to: ["h2", "n1", "n2"], not: [])

            // MAC limits. h2 sends from 8 stations in order; the flow's destination is the 4th. With max-macs 2
            // it is not learned and the flow keeps flooding; with 6 it is, and the flow goes to h2 alone.
            func h2Speaks() throws {
                try hosts.send(
                    8, from: "h2", source: Self.h2Stations, to: "02:00:00:00:51:01", stations: 8, through: daemon)
            }
            try set("h2", ["max-macs": .number(2)])
            try h2Speaks()
            #expect(try daemon.ports()["h2"]?.macLearning?.learned == 2)
            try flooded(try window(), to: ["h2", "n1", "n2"], not: [])
            try set("h2", ["max-macs": .number(6)])
            try h2Speaks()
            #expect(try daemon.ports()["h2"]?.macLearning?.learned == 6)
            try flooded(try window(), to: ["h2"], not: ["n1", "n2"])
            // Lowered below what the port has learned: its entries stay (the flow stays on h2), nothing more
            // is learned.
            try set("h2", ["max-macs": .number(4)])
            try h2Speaks()
            #expect(try daemon.ports()["h2"]?.macLearning?.learned == 6)
            #expect(try daemon.ports()["h2"]?.macLearning?.limit == 4)
            try flooded(try window(), to: ["h2"], not: ["n1", "n2"])
            // The bridge-wide default applies to a port without its own max-macs.
            _ = try client.call(BridgeMethods.macFlush, MACFlushParams(port: "h2"))
            try set("h2", ["max-macs": .null])
            let document = try client.call(ConfigMethods.get).yaml
            let limitKey = try #require(document.range(of: "max-macs-per-port: 4096"), "\(document)")
            let applied = try client.call(
                "config.apply",
                params: ConfigApplyParams(
                    document: document.replacingCharacters(in: limitKey, with: "max-macs-per-port: 3")),
                as: ConfigApplyResult.self)
            #expect(applied.changes.map(\.action) == ["update-l2"])
            try h2Speaks()
            #expect(try daemon.ports()["h2"]?.macLearning?.learned == 3)
            #expect(try daemon.ports()["h2"]?.macLearning?.limit == 3)
            try flooded(try window(), to: ["h2", "n1", "n2"], not: [])

            flow.stop()
            #expect(try daemon.stop() == 0, "\(daemon.log)")
        }
    }
}
