import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// What a restart takes from the state file and what from the configuration file, with different values
    /// on the two sides for every section, and the options that bypass the state file.
    @Suite("Persisted state across restarts")
    struct StateFile {
        /// The configuration file: three plain ports, l2 settings of its own.
        static func file(mbufs: Int, aging: Int) -> String {
            testEAL().replacingOccurrences(of: "mbufs: 8191", with: "mbufs: \(mbufs)") + """

                l2:
                  mac-aging-seconds: \(aging)
                  max-macs-per-port: 50
                ports:
                  - name: a
                    devargs: "net_null_sfa,no-rx=1"
                  - name: b
                    devargs: "net_null_sfb,no-rx=1"
                  - name: c
                    devargs: "net_null_sfc,no-rx=1"
                """
        }

        /// What is applied at run time: every runtime section differs from the file.
        static let applied = """
            l2:
              mac-aging-seconds: 77
              max-macs-per-port: 33
            ports:
              - name: a
                devargs: "net_null_sfa,no-rx=1"
                vlan: { mode: trunk, allowed: [5, 6], native: 7 }
                max-macs: 9
                port-security: { mac: "02:00:00:00:81:01", ips: ["10.8.0.1"] }
                static-macs: [{ mac: "02:00:00:00:81:02", vlan: 6 }]
              - name: b
                devargs: "net_null_sfb,no-rx=1"
                admin: down
                vlan: { mode: access, id: 20 }
              - name: d
                devargs: "net_null_sfd,no-rx=1"
              - name: e
                devargs: "net_null_sfe,no-rx=1"
              - name: f
                devargs: "net_null_sff,no-rx=1"
            patches:
              - [e, f]
            """

        static func fill(_ text: String, _ daemon: SluicedProcess) -> String {
            text.replacingOccurrences(of: "@SOCKET@", with: daemon.socketPath)
                .replacingOccurrences(of: "@PREFIX@", with: daemon.filePrefix)
        }

        @Test func restartRestoresEverySectionAndOptionsBypassTheState() throws {
            let first = try SluicedProcess(config: Self.file(mbufs: 8191, aging: 100), label: "state")
            defer { first.removeDirectory() }
            try first.waitReady()
            let document = Self.fill(testEAL() + "\n" + Self.applied, first)
            let result = try first.client().call(
                "config.apply", params: ConfigApplyParams(document: document), as: ConfigApplyResult.self)
            #expect(result.applied && result.persisted)
            let before = try first.client().call(ConfigMethods.get)
            #expect(try first.stop() == 0)
            let persisted = try String(contentsOfFile: first.stateFile, encoding: .utf8)

            // Restart with a configuration file whose restart-only setting (mempool.mbufs) and l2 values
            // changed: the runtime sections come from the state, mempool from the file.
            let second = try SluicedProcess(
                config: Self.file(mbufs: 4095, aging: 120), label: "state", reusing: first.directory)
            try second.waitReady()
            let client = try second.client()
            let after = try client.call(ConfigMethods.get)
            let expected = before.yaml.replacingOccurrences(of: "mbufs: 8191", with: "mbufs: 4095")
            #expect(expected != before.yaml, "the rendered document spells mempool.mbufs as `mbufs: 8191`")
            #expect(after.yaml == expected, "restored:\n\(after.yaml)\nexpected:\n\(expected)")
            // ... and in effect, not only in the document.
            let ports = try second.ports()
            #expect(ports.keys.sorted() == ["a", "b", "d", "e", "f"])
            #expect(ports["a"]?.macLearning?.limit == 9, "a's own max-macs")
            #expect(ports["d"]?.macLearning?.limit == 33, "the state's max-macs-per-port, not the file's 50")
            #expect(ports["b"]?.admin == "down" && ports["a"]?.admin == "up")
            #expect(ports["e"]?.macLearning == nil && ports["f"]?.macLearning == nil, "e and f are patched")
            let vlans = Dictionary(uniqueKeysWithValues: try client.call(BridgeMethods.vlanList).map { ($0.vlan, $0) })
            #expect(vlans[5]?.taggedPorts == ["a"] && vlans[6]?.taggedPorts == ["a"])
            #expect(vlans[7]?.untaggedPorts == ["a"] && vlans[20]?.untaggedPorts == ["b"])
            let macs = try client.call(BridgeMethods.macList)
            #expect(macs.contains { $0.mac == "02:00:00:00:81:02" && $0.vlan == 6 && $0.port == "a" && $0.isStatic })
            #expect(try second.stop() == 0)

            // --discard-state: the file alone; the state file is left as it was until the next change, which
            // overwrites it with the file's ports plus the change.
            let discarding = try SluicedProcess(
                config: Self.file(mbufs: 4095, aging: 120), label: "state", reusing: first.directory,
                options: ["--discard-state"])
            try discarding.waitReady()
            let fresh = try discarding.client().call(ConfigMethods.get)
            #expect(fresh.yaml.contains("mac-aging-seconds: 120") && fresh.yaml.contains("max-macs-per-port: 50"))
            #expect(try discarding.ports().keys.sorted() == ["a", "b", "c"])
            #expect(try String(contentsOfFile: first.stateFile, encoding: .utf8) == persisted)
            let changed = try discarding.client().call(
                "port.set", params: PortSetParams(name: "c", settings: .object(["max-macs": .number(5)])),
                as: ConfigApplyResult.self)
            #expect(changed.persisted)
            let overwritten = try String(contentsOfFile: first.stateFile, encoding: .utf8)
            #expect(overwritten.contains("net_null_sfc") && overwritten.contains("max-macs: 5"))
            #expect(!overwritten.contains("net_null_sfd") && overwritten.contains("mac-aging-seconds: 120"))
            #expect(try discarding.stop() == 0)

            // --state-file '': no persistence; nothing read, nothing written.
            let volatile = try SluicedProcess(
                config: Self.file(mbufs: 4095, aging: 120), label: "state", reusing: first.directory,
                stateFileOption: "")
            try volatile.waitReady()
            let unpersisted = try volatile.client().call(ConfigMethods.get)
            #expect(unpersisted.stateFile == nil)
            #expect(!unpersisted.yaml.contains("max-macs: 5"), "the state file was not read")
            let notWritten = try volatile.client().call(
                "port.set", params: PortSetParams(name: "b", settings: .object(["max-macs": .number(6)])),
                as: ConfigApplyResult.self)
            #expect(notWritten.applied && !notWritten.persisted)
            #expect(try String(contentsOfFile: first.stateFile, encoding: .utf8) == overwritten)
            #expect(try volatile.stop() == 0)
        }

        /// A state file that does not fit the configuration file, or is not a configuration at all, stops
        /// sluiced with exit status 2 and the problem, before anything starts.
        @Test func incompatibleStateFileExitsWithStatus2() throws {
            // Written for one PMD on lcore 1; the configuration file now runs its PMD on lcore 2.
            let fitting = """
                \(testEAL())
                ports:
                  - name: a
                    devargs: "net_null_bsa,no-rx=1"
                    pmd-rxq-affinity: [1]
                """
            let config = """
                \(testEAL(pmdCPUMask: "0x4", lcoreCPUs: "{2: 1}"))
                ports:
                  - name: a
                    devargs: "net_null_bsa,no-rx=1"
                """
            for (label, text, problem) in [
                ("misfit", fitting, "ports[0].pmd-rxq-affinity"), ("garbage", "ports: [unclosed", "state.yaml"),
            ] {
                let directory = try System.scratchDirectory("badstate\(label)")
                defer { try? FileManager.default.removeItem(at: directory) }
                let state = directory.appendingPathComponent("state.yaml").path
                // The state's own restart settings do not matter (the file's win); any valid values do.
                let stateText = text.replacingOccurrences(of: "@SOCKET@", with: "/run/sluice-stale.sock")
                    .replacingOccurrences(of: "@PREFIX@", with: "stale")
                try stateText.write(toFile: state, atomically: true, encoding: .utf8)
                let daemon = try SluicedProcess(config: config, label: "bad\(label)", reusing: directory)
                let status = try daemon.waitExit()
                #expect(status == 2, "\(label): exit \(status)\n\(daemon.log)")
                #expect(daemon.log.contains("persisted state \(state)"), "\(label): \(daemon.log)")
                #expect(daemon.log.contains(problem), "\(label): names \(problem): \(daemon.log)")
                #expect(!daemon.log.contains("EAL"), "\(label): refused before DPDK starts: \(daemon.log)")
            }
        }
    }
}
