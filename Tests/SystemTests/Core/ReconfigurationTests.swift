import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// The desired-state methods against a real sluiced: every method, every error, persistence across a
    /// kill -9, and configuration churn under continuous traffic.
    @Suite("Runtime reconfiguration")
    struct Reconfiguration {
        static func apply(_ client: ControlClient, _ document: String, dryRun: Bool = false) throws -> ConfigApplyResult
        {
            try client.call(
                "config.apply", params: ConfigApplyParams(document: document, dryRun: dryRun),
                as: ConfigApplyResult.self)
        }

        /// The server's error for a call that must fail.
        static func rejection<P: Codable & Sendable>(_ client: ControlClient, _ method: String, _ params: P)
            -> RPCErrorObject?
        {
            do {
                _ = try client.call(method, params: params, as: ConfigApplyResult.self)
                return nil
            } catch {
                if case .server(let error) = error { return error }
                return RPCErrorObject(code: 0, message: "not a server error: \(error)")
            }
        }

        static func twoTapConfig(_ a: String, _ b: String) -> String {
            """
            \(testEAL())
            ports:
              - name: a
                devargs: "net_tap_ra,iface=\(a)"
              - name: b
                devargs: "net_tap_rb,iface=\(b)"
                vlan: { mode: access, id: 10 }
            """
        }

        @Test func everyDesiredStateMethodAndError() throws {
            let (tapA, tapB, tapC) = (uniqueName("ra"), uniqueName("rb"), uniqueName("rc"))
            let daemon = try SluicedProcess(config: Self.twoTapConfig(tapA, tapB), label: "reconf")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            let client = try daemon.client()

            // health: PMD running; with every tap interface up, every port has link.
            for tap in [tapA, tapB] { try System.must(["ip", "link", "set", tap, "up"]) }
            try System.waitUntil("both ports to report link up") {
                try client.call(StatusMethods.health).portsLinkUp == 2
            }
            let health = try client.call(StatusMethods.health)
            #expect(health.status == "ok" && health.problems.isEmpty && health.pmdsRunning == 1 && health.pmds == 1)
            #expect(health.ports == 2 && health.revision == 0)

            // An unknown method lists every method sluiced registers, in registration order (the features'
            // register(into:) lines in Sluiced.swift): the list documented in docs/control-protocol.md.
            let refusal: RPCErrorObject? = {
                do {
                    _ = try client.call("port.frob", params: NoParams(), as: NoParams.self)
                    return nil
                } catch {
                    if case ControlClient.ClientError.server(let rpcError) = error { return rpcError }
                    return RPCErrorObject(code: 0, message: "\(error)")
                }
            }()
            #expect(refusal?.code == RPCErrorObject.methodNotFound)
            #expect(
                refusal?.message == "unknown method 'port.frob'; methods: version, health, pmd.list, stage.list, "
                    + "port.list, port.add, port.del, port.set, port.retry, mac.list, mac.flush, vlan.list, "
                    + "sg.list, conntrack.list, conntrack.stats, conntrack.flush, qos.show, vxlan.show, "
                    + "vxlan.neighbours, dhcp.show, trace.packet, metadata.clients, metadata.nat, capture.start, "
                    + "capture.read, capture.stop, capture.list, pmd.rebalance, pmd.rebalance-status, config.get, "
                    + "config.apply")

            // vlan.list: a on the default VLAN 1, b on 10.
            let vlans = try client.call(BridgeMethods.vlanList)
            #expect(vlans.map(\.vlan) == [1, 10])
            #expect(vlans.first { $0.vlan == 10 }?.untaggedPorts == ["b"])

            // config.get returns a document that applies as a no-op.
            let initial = try client.call(ConfigMethods.get)
            #expect(initial.revision == 0 && initial.stateFile == daemon.stateFile)
            #expect(initial.config["ports"] != nil && initial.yaml.contains("net_tap_rb"))
            let noop = try Self.apply(client, initial.yaml)
            #expect(noop.changes.isEmpty && noop.applied)

            // A dry run returns the plan and changes nothing.
            let moved = initial.yaml.replacingOccurrences(of: "id: 10", with: "id: 20")
            #expect(moved != initial.yaml, "the rendered document spells the access VLAN as `id: 10`")
            let dry = try Self.apply(client, moved, dryRun: true)
            #expect(!dry.applied && dry.dryRun && dry.revision == 0)
            #expect(dry.changes.map(\.action) == ["update-port"] && dry.changes.first?.target == "b")
            #expect(dry.changes.first?.hitless == true)
            #expect(try client.call(ConfigMethods.get).yaml == initial.yaml)

            // Applied for real: a new revision, persisted.
            let applied = try Self.apply(client, moved)
            #expect(applied.applied && applied.revision == 1 && applied.persisted)
            #expect(try client.call(BridgeMethods.vlanList).map(\.vlan) == [1, 20])
            #expect(FileManager.default.fileExists(atPath: daemon.stateFile))

            // Invalid documents: every problem, with its key path; nothing changes.
            let invalid = Self.rejection(
                client, "config.apply",
                ConfigApplyParams(
                    document:
                        moved
                        .replacingOccurrences(of: "id: 20", with: "id: 5000")))
            #expect(invalid?.code == RPCErrorObject.invalidConfig)
            #expect(
                invalid?.data?.problems?.contains { $0.hasPrefix("ports[1].vlan.id") } == true,
                "\(String(describing: invalid))")
            let garbage = Self.rejection(client, "config.apply", ConfigApplyParams(document: "ports: [unclosed"))
            #expect(garbage?.code == RPCErrorObject.invalidConfig)

            // Restart-only settings are refused, naming them.
            let restart = Self.rejection(
                client, "config.apply",
                ConfigApplyParams(
                    document:
                        moved
                        .replacingOccurrences(of: "mbufs: 8191", with: "mbufs: 4095")))
            #expect(restart?.code == RPCErrorObject.restartRequired)
            #expect(
                restart?.data?.needsRestart?.contains { $0.contains("mempool.mbufs") } == true,
                "\(String(describing: restart))")

            // port.add / port.set / port.del, and their errors.
            let portC: JSONValue = .object([
                "name": .string("c"), "devargs": .string("net_tap_rc,iface=\(tapC)"),
                "vlan": .object(["mode": .string("access"), "id": .number(20)]),
            ])
            let added = try client.call("port.add", params: PortAddParams(port: portC), as: ConfigApplyResult.self)
            #expect(added.changes.map(\.action) == ["add-port"] && added.revision == 2)
            #expect(try daemon.ports()["c"] != nil)
            #expect(try client.call(BridgeMethods.vlanList).first { $0.vlan == 20 }?.untaggedPorts == ["b", "c"])
            #expect(
                Self.rejection(client, "port.add", PortAddParams(port: portC))?.code == RPCErrorObject.invalidParams)
            #expect(
                Self.rejection(client, "port.add", PortAddParams(port: .string("c")))?.code
                    == RPCErrorObject.invalidParams)
            let badPort = Self.rejection(
                client, "port.add", PortAddParams(port: .object(["name": .string("d"), "mtu": .number(1500)])))
            #expect(badPort?.code == RPCErrorObject.invalidConfig, "a port without devargs")
            // A device that cannot attach: valid config, failed apply, nothing changed.
            let bogus = Self.rejection(
                client, "port.add",
                PortAddParams(
                    port: .object([
                        "name": .string("d"), "devargs": .string("net_nosuchdriver0"),
                    ])))
            #expect(bogus?.code == RPCErrorObject.applyFailed, "\(String(describing: bogus))")
            #expect(try daemon.ports().keys.sorted() == ["a", "b", "c"])
            #expect(try client.call(StatusMethods.health).revision == 2)
            // A device that attaches but cannot be set up (net_tap has at most 16 queues; it gets as many rx as
            // tx queues and a pool that fills them, or validation would refuse it before the device is touched)
            // is unplugged again: its interface disappears, and a corrected retry with the same device name gets
            // a fresh device with the new settings instead of adopting the half-made one.
            let (tapD, tapD2) = (uniqueName("rd"), uniqueName("re"))
            let tooMany = Self.rejection(
                client, "port.add",
                PortAddParams(
                    port: .object([
                        "name": .string("d"), "devargs": .string("net_tap_rd,iface=\(tapD)"), "rx-queues": .number(17),
                        "tx-queues": .number(17), "rx-descriptors": .number(64),
                    ])))
            #expect(tooMany?.code == RPCErrorObject.applyFailed, "\(String(describing: tooMany))")
            #expect(try System.run(["ip", "link", "show", tapD]).status != 0, "no half-made tap interface is left")
            _ = try client.call(
                "port.add",
                params: PortAddParams(
                    port: .object([
                        "name": .string("d"), "devargs": .string("net_tap_rd,iface=\(tapD2)"),
                    ])), as: ConfigApplyResult.self)
            #expect(try System.run(["ip", "link", "show", tapD2]).status == 0)
            _ = try client.call("port.del", params: PortDeleteParams(name: "d"), as: ConfigApplyResult.self)
            #expect(try client.call(StatusMethods.health).revision == 4)

            let trunk = try client.call(
                "port.set",
                params: PortSetParams(
                    name: "c",
                    settings: .object([
                        "vlan": .object(["mode": .string("trunk"), "allowed": .array([.number(20), .string("30-32")])])
                    ])), as: ConfigApplyResult.self)
            #expect(trunk.changes.map(\.action) == ["update-port"] && trunk.changes.first?.fields == ["vlan"])
            #expect(try client.call(BridgeMethods.vlanList).first { $0.vlan == 31 }?.taggedPorts == ["c"])
            let reset = try client.call(
                "port.set", params: PortSetParams(name: "c", settings: .object(["vlan": .null])),
                as: ConfigApplyResult.self)
            #expect(reset.changes.count == 1)
            #expect(try client.call(BridgeMethods.vlanList).first { $0.vlan == 1 }?.untaggedPorts == ["a", "c"])
            let down = try client.call(
                "port.set", params: PortSetParams(name: "c", settings: .object(["admin": .string("down")])),
                as: ConfigApplyResult.self)
            #expect(down.changes.first?.fields == ["admin"])
            #expect(try daemon.ports()["c"]?.admin == "down")
            #expect(
                Self.rejection(client, "port.set", PortSetParams(name: "c", settings: .object(["name": .string("e")])))?
                    .code == RPCErrorObject.invalidParams)
            #expect(
                Self.rejection(
                    client, "port.set", PortSetParams(name: "zz", settings: .object(["admin": .string("up")])))?.code
                    == RPCErrorObject.invalidParams)
            #expect(
                Self.rejection(
                    client, "port.set", PortSetParams(name: "c", settings: .object(["admin": .string("sideways")])))?
                    .code == RPCErrorObject.invalidConfig)
            #expect(
                Self.rejection(client, "port.set", PortSetParams(name: "c", settings: .object([:])))?.code
                    == RPCErrorObject.invalidParams)

            let deleted = try client.call("port.del", params: PortDeleteParams(name: "c"), as: ConfigApplyResult.self)
            #expect(deleted.changes.map(\.action) == ["remove-port"] && deleted.changes.first?.hitless == false)
            #expect(try daemon.ports().keys.sorted() == ["a", "b"])
            #expect(
                Self.rejection(client, "port.del", PortDeleteParams(name: "c"))?.code == RPCErrorObject.invalidParams)
            // The device is gone with the port: its tap interface disappears.
            #expect(try System.run(["ip", "link", "show", tapC]).status != 0)

            // Re-adding the same device name works (the device was unplugged, not only closed).
            _ = try client.call("port.add", params: PortAddParams(port: portC), as: ConfigApplyResult.self)
            #expect(try daemon.ports()["c"] != nil)

            // A vhost-user port through the control API: client mode, QEMU's socket not there yet — it waits.
            let vhostSocket = daemon.directory.appendingPathComponent("vm9.sock").path
            let vhost = try client.call(
                "port.add",
                params: PortAddParams(
                    port: .object([
                        "name": .string("vm9"), "type": .string("vhost-user"), "path": .string(vhostSocket),
                        "vlan": .object(["mode": .string("access"), "id": .number(20)]),
                    ])), as: ConfigApplyResult.self)
            #expect(vhost.changes.map(\.action) == ["add-port"])
            let vm9 = try #require(try daemon.ports()["vm9"])
            #expect(
                vm9.type == "vhost-user" && vm9.vhostUser?.state.rawValue == "waiting"
                    && vm9.vhostUser?.path == vhostSocket)
            let vhostDocument = try client.call(ConfigMethods.get).yaml
            #expect(vhostDocument.contains("type: \"vhost-user\"") && !vhostDocument.contains("net_vhost"))
            _ = try client.call("port.del", params: PortDeleteParams(name: "vm9"), as: ConfigApplyResult.self)

            // Missing params.
            #expect(Self.rejection(client, "port.del", NoParams())?.code == RPCErrorObject.invalidParams)
            #expect(try daemon.stop() == 0, "\(daemon.log)")
        }

        @Test func appliedStateSurvivesKillNine() throws {
            let (tapA, tapB, tapC) = (uniqueName("pa"), uniqueName("pb"), uniqueName("pc"))
            let config = Self.twoTapConfig(tapA, tapB)
            let first = try SluicedProcess(config: config, label: "persist")
            defer { first.removeDirectory() }
            try first.waitReady()
            let client = try first.client()
            _ = try client.call(
                "port.add",
                params: PortAddParams(
                    port: .object([
                        "name": .string("c"), "devargs": .string("net_tap_pc,iface=\(tapC)"), "max-macs": .number(7),
                        "port-security": .object([
                            "mac": .string("02:00:00:00:0c:01"), "ips": .array([.string("10.0.0.7")]),
                        ]),
                    ])), as: ConfigApplyResult.self)
            _ = try client.call(
                "port.set",
                params: PortSetParams(
                    name: "b",
                    settings: .object([
                        "vlan": .object([
                            "mode": .string("trunk"), "allowed": .array([.number(10), .number(11)]),
                            "native": .number(12),
                        ]),
                        "static-macs": .array([.object(["mac": .string("02:00:00:00:0b:01"), "vlan": .number(11)])]),
                    ])), as: ConfigApplyResult.self)
            let before = try client.call(ConfigMethods.get)
            #expect(before.revision == 2)

            try first.stop(signal: SIGKILL)
            let second = try SluicedProcess(config: config, label: "persist", reusing: first.directory)
            try second.waitReady()
            let after = try second.client().call(ConfigMethods.get)
            #expect(
                after.yaml == before.yaml, "restarted with:\n\(after.yaml)\nexpected:\n\(before.yaml)\n\(second.log)")
            #expect(after.config == before.config)
            #expect(try second.ports().keys.sorted() == ["a", "b", "c"])
            let macs = try second.client().call(BridgeMethods.macList)
            #expect(macs.contains { $0.mac == "02:00:00:00:0b:01" && $0.vlan == 11 && $0.port == "b" && $0.isStatic })
            // No temporary file is left next to the state file.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: first.directory.path).filter {
                $0.contains(".tmp")
            }
            #expect(leftovers.isEmpty)
            #expect(try second.stop() == 0, "\(second.log)")
        }
    }
}
