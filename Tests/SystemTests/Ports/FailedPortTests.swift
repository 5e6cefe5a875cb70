import ControlProtocol
import Foundation
import PcapFile
import Testing

extension SystemTests {
    /// A port of the persisted state whose device is gone when sluiced restarts: the other ports come up and
    /// switch, the port is reported failed with its error, and it can be retried and removed through the
    /// control socket; the same port given with --config alone stops sluiced.
    @Suite("Failed ports")
    struct FailedPorts {
        /// A static MAC on port c: while c is failed, frames to it are dropped as port-down, never flooded.
        static let staticMAC: [UInt8] = [0x02, 0xaa, 0, 0, 0, 0x01]

        /// Five net_pcap ports reading `in-NAME.pcap` and writing `out-NAME.pcap` in `directory`.
        static func pcapPort(_ name: String, _ directory: URL, extra: String = "") -> String {
            """
              - name: \(name)
                devargs: "net_pcap_\(name),rx_pcap=\(directory.path)/in-\(name).pcap,tx_pcap=\(directory.path)/out-\(name).pcap"\(extra)
            """
        }

        /// The names of the ports in the running desired state (`config.get`).
        static func desiredPorts(_ client: ControlClient) throws -> [String] {
            guard case .array(let ports)? = try client.call(ConfigMethods.get).config["ports"] else { return [] }
            return ports.compactMap { if case .string(let name)? = $0["name"] { name } else { nil } }
        }

        static func rejection(_ call: () throws -> Void) -> RPCErrorObject? {
            do {
                try call()
                return nil
            } catch {
                if case ControlClient.ClientError.server(let rpcError) = error { return rpcError }
                return RPCErrorObject(code: 0, message: "not a server error: \(error)")
            }
        }

        @Test func restoredStateKeepsAFailedPortThatCanBeRetriedAndRemoved() throws {
            let directory = try System.scratchDirectory("failedport")
            defer { try? FileManager.default.removeItem(at: directory) }
            let framesA = testFrames(count: 12, seed: 0xa)
            var toStatic = testFrames(count: 1, seed: 0x5)[0]
            toStatic[0...5] = Self.staticMAC[0...5]
            let framesB = testFrames(count: 7, seed: 0xb)
            let framesC = testFrames(count: 5, seed: 0xc)
            let framesD = testFrames(count: 3, seed: 0xd)
            func write(_ name: String, _ frames: [[UInt8]]) throws {
                try PcapFile(frames: frames).write(path: directory.appendingPathComponent("in-\(name).pcap").path)
            }
            try write("a", framesA + [toStatic])
            try write("b", framesB)
            try write("c", framesC)
            try write("d", framesD)
            try write("e", [])

            // Started with a, b and d from --config; c (bridged, with a static MAC) and e (patched to d)
            // arrive through the control socket, which persists the state with all five.
            let baseConfig = """
                \(testEAL())
                ports:
                \(Self.pcapPort("a", directory))
                \(Self.pcapPort("b", directory))
                \(Self.pcapPort("d", directory))
                """
            let first = try SluicedProcess(config: baseConfig, label: "failedport")
            defer { first.removeDirectory() }
            try first.waitReady()
            let document = """
                \(testEAL())
                ports:
                \(Self.pcapPort("a", directory))
                \(Self.pcapPort("b", directory))
                \(Self.pcapPort("d", directory))
                \(Self.pcapPort("c", directory, extra: "\n    static-macs: [{ mac: \"02:aa:00:00:00:01\" }]"))
                \(Self.pcapPort("e", directory))
                patches:
                  - [d, e]
                """.replacingOccurrences(of: "@SOCKET@", with: first.socketPath)
                .replacingOccurrences(of: "@PREFIX@", with: first.filePrefix)
            let added = try first.client().call(ConfigMethods.apply, ConfigApplyParams(document: document))
            #expect(added.applied && added.persisted, "\(added)")
            #expect(try first.stop() == 0)

            // c's and e's devices fail at the next start: their rx files are gone.
            for name in ["c", "e"] {
                try FileManager.default.removeItem(at: directory.appendingPathComponent("in-\(name).pcap"))
            }
            let daemon = try SluicedProcess(config: baseConfig, label: "failedport", reusing: first.directory)
            try daemon.waitReady()
            let client = try daemon.client()

            // The good ports switch: a's and b's frames flood to each other; the frame to c's static MAC and
            // d's frames (its patch peer e is failed) are dropped as port-down, not switched to a or b.
            try System.waitUntil("a's and b's frames to be switched, the others dropped") {
                let ports = try daemon.ports()
                let portDown = try daemon.stages()["transmit"]?.drops["port-down"] ?? 0
                return ports["b"]?.counters.txPackets == UInt64(framesA.count)
                    && ports["a"]?.counters.txPackets == UInt64(framesB.count)
                    && portDown == UInt64(1 + framesD.count)
            }
            var ports = try daemon.ports()
            #expect(ports["d"]?.counters.rxPackets == UInt64(framesD.count))
            #expect(ports["d"]?.counters.txPackets == 0)
            #expect(ports["a"]?.error == nil && ports["b"]?.error == nil && ports["d"]?.error == nil)

            // The failed ports are listed, in configuration order, with the error their bring-up failed with.
            #expect(try client.call(PortMethods.list).map(\.name) == ["a", "b", "d", "c", "e"])
            let errorC = try #require(ports["c"]?.error)
            let errorE = try #require(ports["e"]?.error)
            #expect(errorC.contains("port 'c'") && errorC.contains("in-c.pcap") && errorC.contains("attach"))
            #expect(errorE.contains("port 'e'"))
            #expect(ports["c"]?.dpdkPortID == -1 && ports["c"]?.linkUp == false)
            let health = try client.call(StatusMethods.health)
            #expect(health.status == "degraded")
            #expect(health.problems.contains("port c: not running: \(errorC)"), "\(health.problems)")
            #expect(health.problems.contains("port e: not running: \(errorE)"), "\(health.problems)")
            #expect(daemon.log.contains("port c of the persisted state is not running"))

            // sluicectl shows them too.
            let table = try System.run([System.binary("sluicectl"), "ports", "--socket", daemon.socketPath])
            #expect(table.output.contains("port c is not running: \(errorC)"), "\(table.output)")
            let healthCommand = try System.run([System.binary("sluicectl"), "health", "--socket", daemon.socketPath])
            #expect(healthCommand.status == 1 && healthCommand.output.contains("problem: port c: not running"))

            // They stay in the desired state, with the static MAC in the table on c.
            #expect(try Self.desiredPorts(client) == ["a", "b", "d", "c", "e"])
            let statics = try client.call(BridgeMethods.macList).filter(\.isStatic)
            #expect(statics.map(\.port) == ["c"] && statics.map(\.mac) == ["02:aa:00:00:00:01"])

            // Retrying before the cause is fixed fails with the error again; the port stays failed.
            let refused = Self.rejection { _ = try client.call(PortMethods.retry, PortRetryParams(name: "c")) }
            #expect(refused?.code == RPCErrorObject.applyFailed)
            #expect(refused?.message.contains("in-c.pcap") == true, "\(String(describing: refused))")
            #expect(try daemon.ports()["c"]?.error != nil)
            let unknown = Self.rejection { _ = try client.call(PortMethods.retry, PortRetryParams(name: "zz")) }
            #expect(unknown?.code == RPCErrorObject.invalidParams)

            // A failed port's settings change without a device; it stays failed.
            let limited = try client.call(
                PortMethods.set, PortSetParams(name: "c", settings: .object(["max-macs": .number(10)])))
            #expect(limited.applied && limited.changes.map(\.action) == ["update-port"])
            #expect(try daemon.ports()["c"]?.macLearning?.limit == 10)
            #expect(try daemon.ports()["c"]?.error == errorC)
            // Reopening it on a device that fails too is refused as a whole: it stays failed, as it was.
            let missing = directory.appendingPathComponent("in-e2.pcap").path
            let reopen = Self.rejection {
                _ = try client.call(
                    PortMethods.set,
                    PortSetParams(
                        name: "e",
                        settings: .object(["devargs": .string("net_pcap_e2,rx_pcap=\(missing),tx_pcap=/dev/null")])))
            }
            #expect(reopen?.code == RPCErrorObject.applyFailed, "\(String(describing: reopen))")
            #expect(try daemon.ports()["e"]?.error == errorE)
            #expect(try daemon.ports()["e"]?.devargs.contains("net_pcap_e,") == true)

            // Fixed and retried: c comes up in the bridge and its frames flood to a and b.
            try write("c", framesC)
            let retried = try client.call(PortMethods.retry, PortRetryParams(name: "c"))
            #expect(retried.error == nil && retried.driver == "net_pcap" && retried.linkUp)
            try System.waitUntil("c's frames to be flooded to a and b") {
                let ports = try daemon.ports()
                return ports["c"]?.counters.rxPackets == UInt64(framesC.count)
                    && ports["a"]?.counters.txPackets == UInt64(framesB.count + framesC.count)
                    && ports["b"]?.counters.txPackets == UInt64(framesA.count + framesC.count)
            }
            #expect(try client.call(PortMethods.retry, PortRetryParams(name: "c")).error == nil, "idempotent")
            #expect(try client.call(StatusMethods.health).problems.allSatisfy { !$0.contains("port c") })

            // e is removed although it never came up; its patch goes with it.
            let removed = try client.call(PortMethods.delete, PortDeleteParams(name: "e"))
            #expect(removed.applied && removed.persisted)
            ports = try daemon.ports()
            #expect(ports.keys.sorted() == ["a", "b", "c", "d"])
            #expect(ports.values.allSatisfy { $0.error == nil })
            let afterHealth = try client.call(StatusMethods.health)
            #expect(afterHealth.status == "ok", "\(afterHealth.problems)")
            let state = try String(contentsOfFile: daemon.stateFile, encoding: .utf8)
            #expect(state.contains("name: \"c\"") && !state.contains("name: \"e\""), "\(state)")
            #expect(try Self.desiredPorts(client) == ["a", "b", "d", "c"])
            let patches = try client.call(ConfigMethods.get).config["patches"]
            #expect(patches == nil || patches == .array([]), "\(String(describing: patches))")
            #expect(try daemon.stop() == 0)
        }

        /// The same bad port in the configuration file, without a state file: sluiced exits non-zero naming
        /// the port, before serving anything.
        @Test func aFailingPortOfTheConfigFileStopsSluiced() throws {
            let directory = try System.scratchDirectory("badport")
            defer { try? FileManager.default.removeItem(at: directory) }
            try PcapFile(frames: []).write(path: directory.appendingPathComponent("in-a.pcap").path)
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                    \(Self.pcapPort("a", directory))
                    \(Self.pcapPort("c", directory))
                    """, label: "badport")
            defer { daemon.removeDirectory() }
            try System.waitUntil("sluiced to exit", timeout: .seconds(120)) { !daemon.process.isRunning }
            #expect(daemon.process.terminationStatus != 0)
            #expect(daemon.log.contains("port 'c'") && daemon.log.contains("in-c.pcap"), "\(daemon.log)")
            #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        }
    }
}
