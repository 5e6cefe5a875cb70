import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// A PMD that stops reaching quiescent states (wedged with the `SLUICE_TEST_STALL_PMD` hook) must not
    /// hang the daemon: a change fails naming it and changes nothing, health reports it, and SIGTERM exits
    /// within a bounded time saying which PMD did not stop.
    @Suite("A stalled PMD")
    struct StalledPMD {
        @Test func changesFailHealthReportsItAndSIGTERMExits() throws {
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                      pmd-stall-timeout-seconds: 2
                    ports:
                      - name: a
                        devargs: "net_null_stall_a"
                      - name: b
                        devargs: "net_null_stall_b"
                    """, label: "stall", environment: ["SLUICE_TEST_STALL_PMD": "1"])
            defer {
                daemon.removeDirectory()
                // The daemon could not release EAL under its wedged PMD; the process exit released the memory.
                try? FileManager.default.removeItem(atPath: "/var/run/dpdk/\(daemon.filePrefix)")
            }
            try daemon.waitReady()
            let client = try daemon.client()
            // Before the stall: a change goes through.
            let before = try client.call(
                "port.set", params: PortSetParams(name: "a", settings: .object(["max-macs": .number(100)])),
                as: ConfigApplyResult.self)
            #expect(before.applied)
            #expect(try client.call(StatusMethods.health).problems.allSatisfy { !$0.contains("stalled") })

            kill(daemon.pid, SIGUSR1)  // the hook wedges the PMD on lcore 1

            // A change waits at most the timeout (2 s) for the PMD, then fails naming it, changing nothing.
            let started = ContinuousClock.now
            let refused = Reconfiguration.rejection(
                client, "port.set", PortSetParams(name: "a", settings: .object(["admin": .string("down")])))
            let waited = ContinuousClock.now - started
            #expect(refused?.message.contains("PMD on lcore 1") == true, "\(String(describing: refused))")
            #expect(refused?.message.contains("stalled") == true, "\(String(describing: refused))")
            #expect(refused?.message.contains("nothing was changed") == true, "\(String(describing: refused))")
            #expect(waited < .seconds(30), "the change returned after \(waited)")
            #expect(try daemon.ports()["a"]?.admin == "up")
            let running = try client.call(ConfigMethods.get)
            #expect(running.revision == 1, "only the change before the stall was applied")
            #expect(
                running.yaml.contains("max-macs: 100") && !running.yaml.contains("admin: \"down\""), "\(running.yaml)")

            // Health names the stalled PMD.
            var health = try client.call(StatusMethods.health)
            try System.waitUntil("health to report the stalled PMD") {
                health = try client.call(StatusMethods.health)
                return health.status == "degraded" && health.problems.contains { $0.contains("lcore 1") }
            }
            #expect(health.problems.contains { $0.contains("PMD on lcore 1") && $0.contains("stalled") }, "\(health)")
            // The control socket keeps answering quickly: other calls do not wait for the PMD.
            #expect(try client.call(StatusMethods.version).pid == daemon.pid)

            // SIGTERM: the daemon waits the timeout for the PMD to stop, then exits 1 saying which did not.
            let status = try daemon.stop(signal: SIGTERM, timeout: .seconds(60))
            #expect(status == 1, "exit status; log:\n\(daemon.log)")
            #expect(daemon.log.contains("lcore 1") && daemon.log.contains("did not stop"), "\(daemon.log)")
            #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "control socket removed")
        }
    }
}
