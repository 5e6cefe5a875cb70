import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    @Suite("Starting and stopping sluiced")
    struct Lifecycle {
        /// SIGTERM stops PMDs, closes ports and exits 0, leaving no process, control socket, tap interface,
        /// hugepage file or DPDK runtime directory behind.
        @Test(arguments: ["huge-unlink", "in-memory", "no-huge"])
        func sigtermLeavesNothingBehind(memory: String) throws {
            let tag = ["huge-unlink": "hu", "in-memory": "im", "no-huge": "nh"][memory]!
            let tap = uniqueName("c" + tag)
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL(memory: memory))
                    ports:
                      - name: tap
                        devargs: "net_tap_c,iface=\(tap)"
                    """, label: "term-" + tag)
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            #expect(try System.run(["ip", "link", "show", tap]).status == 0, "the tap interface exists while running")
            #expect(FileManager.default.fileExists(atPath: daemon.socketPath))

            #expect(try daemon.stop(signal: SIGTERM) == 0, "exit status; log:\n\(daemon.log)")
            #expect(kill(daemon.pid, 0) != 0, "process is gone")
            #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "control socket removed")
            #expect(try System.run(["ip", "link", "show", tap]).status != 0, "tap interface removed")
            let hugepageFiles = (try? FileManager.default.contentsOfDirectory(atPath: "/dev/hugepages")) ?? []
            #expect(!hugepageFiles.contains { $0.hasPrefix(daemon.filePrefix) }, "no hugepage files: \(hugepageFiles)")
            let runtime = "/var/run/dpdk/\(daemon.filePrefix)"
            #expect(!FileManager.default.fileExists(atPath: runtime), "no DPDK runtime directory \(runtime)")
            #expect(daemon.log.contains("stopped"))
        }

        /// A config error is reported with its key and the daemon exits 2 without touching DPDK.
        @Test func invalidConfigExitsWithTheKeyAndValue() throws {
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: bad
                        devargs: "net_null_x"
                        mtu: 70000
                    """, label: "badcfg")
            defer { daemon.removeDirectory() }
            try System.waitUntil("sluiced to exit") { !daemon.process.isRunning }
            #expect(daemon.process.terminationStatus == 2)
            #expect(daemon.log.contains("ports[0].mtu"))
            #expect(daemon.log.contains("70000"))
        }

        /// A device EAL cannot create fails start-up with the port named, and nothing is left running.
        @Test func unknownDeviceFailsStartupCleanly() throws {
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: ghost
                        devargs: "net_nosuchdriver0"
                    """, label: "nodev")
            defer { daemon.removeDirectory() }
            try System.waitUntil("sluiced to exit") { !daemon.process.isRunning }
            #expect(daemon.process.terminationStatus == 1)
            #expect(daemon.log.contains("port 'ghost'"), "log:\n\(daemon.log)")
            #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        }

        /// The control socket answers malformed requests with JSON-RPC errors and keeps serving.
        @Test func controlSocketRejectsMalformedRequests() throws {
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: null0
                        devargs: "net_null_ctl,no-rx=1"
                    """, label: "ctl")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            let client = try daemon.client()
            try client.send(Array("this is not json\n".utf8))
            #expect(String(decoding: try client.receiveLine(), as: UTF8.self).contains("-32700"))
            try client.send(Array(#"{"jsonrpc":"2.0","id":7,"method":"no.such.method"}"#.utf8) + [10])
            let unknown = String(decoding: try client.receiveLine(), as: UTF8.self)
            #expect(unknown.contains("-32601") && unknown.contains("\"id\":7"))
            let version = try client.call(StatusMethods.version)
            #expect(version.pid == daemon.pid)
            #expect(version.dpdk.contains("22.11"))
            #expect(try daemon.stop() == 0)
        }
    }
}
