import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// The metadata intercept end to end: `sluice-metadata` in a namespace behind a net_tap service port, two
    /// VMs (namespaces on net_tap access ports of VLAN 100) fetching their identity with curl through the
    /// intercept (IMDSv2: PUT a token, GET with it). Namespaces and interfaces are named `md<pid><x>` and
    /// deleted by the test, even when it fails.
    @Suite("Metadata: IMDSv2 through the intercept")
    struct MetadataSystem {
        static let serviceAddress = "169.254.100.1"
        static let serviceMAC = "02:00:00:00:a9:01"
        static let vmAddresses = ["a": "10.0.100.11", "b": "10.0.100.12"]
        static let vmMACs = ["a": "02:00:00:00:00:aa", "b": "02:00:00:00:00:bb"]
        static let instances = ["a": "i-00000000000000aaa", "b": "i-00000000000000bbb"]

        final class Rig: @unchecked Sendable {
            let prefix = "md\(getpid() % 100_000)"
            var namespaces: [String: Namespace] = [:]
            var taps: [String: String] = [:]
            let daemon: SluicedProcess
            let root: URL
            var service: Process?

            init() throws {
                for host in ["s", "a", "b"] { taps[host] = prefix + "t" + host }
                root = try System.scratchDirectory("md-root")
                let config = """
                    metadata:
                      service-address: \(MetadataSystem.serviceAddress)
                      service-port: svc
                      service-mac: "\(MetadataSystem.serviceMAC)"
                      pool: 169.254.100.0/24
                      vlans: [100]
                      rate-limit: {requests-per-second: 5, burst: 10}
                    ports:
                      - name: svc
                        devargs: "net_tap_mds,iface=\(taps["s"]!)"
                      - name: vm-a
                        devargs: "net_tap_mda,iface=\(taps["a"]!)"
                        vlan: {mode: access, id: 100}
                        metadata: {instance-id: \(MetadataSystem.instances["a"]!)}
                      - name: vm-b
                        devargs: "net_tap_mdb,iface=\(taps["b"]!)"
                        vlan: {mode: access, id: 100}
                        metadata: {instance-id: \(MetadataSystem.instances["b"]!)}

                    """
                daemon = try SluicedProcess(config: testEAL() + "\n" + config, label: "metadata")
                do {
                    try daemon.waitReady()
                    for host in ["s", "a", "b"] { namespaces[host] = try Namespace.create(prefix + host) }
                    let s = namespaces["s"]!
                    try System.must(["ip", "link", "set", taps["s"]!, "netns", s.name])
                    try s.exec(["ip", "link", "set", taps["s"]!, "address", MetadataSystem.serviceMAC])
                    try s.exec(["ip", "addr", "add", "\(MetadataSystem.serviceAddress)/24", "dev", taps["s"]!])
                    try s.exec(["ip", "link", "set", taps["s"]!, "up"])
                    for host in ["a", "b"] {
                        let vm = namespaces[host]!
                        try System.must(["ip", "link", "set", taps[host]!, "netns", vm.name])
                        try vm.exec(["ip", "link", "set", taps[host]!, "address", MetadataSystem.vmMACs[host]!])
                        try vm.exec([
                            "ip", "addr", "add", "\(MetadataSystem.vmAddresses[host]!)/24", "dev", taps[host]!,
                        ])
                        try vm.exec(["ip", "link", "set", taps[host]!, "up"])
                        // As a cloud image does: the metadata address on-link (the switch answers its ARP).
                        try vm.exec(["ip", "route", "add", "169.254.169.254/32", "dev", taps[host]!])
                    }
                    try startService()
                } catch {
                    remove()
                    throw error
                }
            }

            /// Starts sluice-metadata in the service namespace and waits until it listens on port 80.
            func startService() throws {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
                process.arguments = [
                    "netns", "exec", namespaces["s"]!.name, System.binary("sluice-metadata"), "--address",
                    MetadataSystem.serviceAddress, "--port", "80", "--root", root.path, "--socket", daemon.socketPath,
                    "--min-refresh-interval", "100",
                ]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                service = process
                try System.waitUntil("sluice-metadata to listen", timeout: .seconds(60)) {
                    try namespaces["s"]!.run(["ss", "-ltn", "sport = :80"]).output.contains(
                        MetadataSystem.serviceAddress)
                }
            }

            func stopService() throws {
                guard let service, service.isRunning else { return }
                service.terminate()
                try System.waitUntil("sluice-metadata to exit", timeout: .seconds(30)) { !service.isRunning }
            }

            /// curl in `host`'s namespace: the HTTP status (000 when there was none) and the body.
            func curl(_ host: String, _ arguments: [String], timeout: Int = 5) throws -> (
                status: String, body: String, exit: Int32
            ) {
                let marker = "\n@@STATUS@@"
                let result = try namespaces[host]!.run(
                    ["curl", "-s", "-m", "\(timeout)", "-w", "\(marker)%{http_code}"] + arguments,
                    timeout: .seconds(Int64(timeout + 30)))
                let parts = result.output.components(separatedBy: marker)
                return (parts.last ?? "", parts.dropLast().joined(separator: marker), result.status)
            }

            func token(_ host: String) throws -> String {
                let reply = try curl(
                    host,
                    [
                        "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60",
                        "http://169.254.169.254/latest/api/token",
                    ])
                guard reply.status == "200", reply.body.count == 64 else {
                    throw TestFailure("token for \(host): \(reply)\nsluiced log:\n\(daemon.log)")
                }
                return reply.body
            }

            func instanceID(_ host: String, token: String) throws -> (status: String, body: String) {
                let reply = try curl(
                    host,
                    [
                        "-H", "X-aws-ec2-metadata-token: \(token)",
                        "http://169.254.169.254/latest/meta-data/instance-id",
                    ])
                return (reply.status, reply.body)
            }

            func stage() throws -> StageStatus {
                guard let stage = try daemon.stages()["metadata"] else { throw TestFailure("no metadata stage") }
                return stage
            }

            /// Ends a helper process: SIGTERM, then SIGKILL if it is still there after 10 s.
            static func end(_ process: Process) {
                guard process.isRunning else { return }
                process.terminate()
                if (try? System.waitUntil("process \(process.processIdentifier) to exit", timeout: .seconds(10)) {
                    !process.isRunning
                }) == nil {
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                }
            }

            func remove() {
                if let service { Rig.end(service) }
                for namespace in namespaces.values { namespace.delete() }
                daemon.removeDirectory()
                try? FileManager.default.removeItem(at: root)
            }
        }

        @Test func eachVMGetsItsOwnIdentityWhateverItClaims() throws {
            let rig = try Rig()
            defer { rig.remove() }
            // metadata.clients: the identity map, pool address -> port -> instance.
            let clients = try rig.daemon.client().call(MetadataMethods.clients)
            #expect(
                clients.map { "\($0.address) \($0.port) \($0.instanceID) \($0.vlan ?? 0)" } == [
                    "169.254.100.2 vm-a \(MetadataSystem.instances["a"]!) 100",
                    "169.254.100.3 vm-b \(MetadataSystem.instances["b"]!) 100",
                ])
            // The assigned addresses are in the running document, and persisted with the next change.
            let running = try rig.daemon.client().call(ConfigMethods.get).yaml
            #expect(running.contains("address: \"169.254.100.2\"") && running.contains("address: \"169.254.100.3\""))
            let changed = running.replacingOccurrences(of: "nat-idle-seconds: 300", with: "nat-idle-seconds: 301")
            let applied = try rig.daemon.client().call(ConfigMethods.apply, ConfigApplyParams(document: changed))
            #expect(applied.changes.map(\.action) == ["update-metadata"])
            let state = try String(contentsOfFile: rig.daemon.stateFile, encoding: .utf8)
            #expect(
                state.contains("address: \"169.254.100.2\"") && state.contains("address: \"169.254.100.3\""), "\(state)"
            )

            // The token response reaches the guest with TTL 1: captured in A's namespace.
            let pcap = rig.root.appendingPathComponent("a.pcap").path
            let capture = Process()
            capture.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            capture.arguments = [
                "netns", "exec", rig.namespaces["a"]!.name, "tcpdump", "-Z", "root", "-n", "-U", "-i", rig.taps["a"]!,
                "-w", pcap,
                "tcp and src host 169.254.169.254",
            ]
            let captureLog = rig.root.appendingPathComponent("tcpdump.log")
            FileManager.default.createFile(atPath: captureLog.path, contents: nil)
            capture.standardOutput = FileHandle.nullDevice
            capture.standardError = try FileHandle(forWritingTo: captureLog)
            try capture.run()
            defer { Rig.end(capture) }
            try System.waitUntil("tcpdump to listen", timeout: .seconds(30)) {
                ((try? String(contentsOf: captureLog, encoding: .utf8)) ?? "").contains("listening on")
            }

            let tokenA = try rig.token("a")
            let a = try rig.instanceID("a", token: tokenA)
            #expect(a == ("200", MetadataSystem.instances["a"]!))
            let tokenB = try rig.token("b")
            let b = try rig.instanceID("b", token: tokenB)
            #expect(b == ("200", MetadataSystem.instances["b"]!))
            // A's token is refused for B.
            #expect(try rig.instanceID("b", token: tokenA).status == "401")

            Rig.end(capture)
            let packets = try System.must(["tcpdump", "-n", "-v", "-r", pcap])
            let ttls = packets.split(separator: "\n").filter { $0.contains("ttl ") }
            #expect(!ttls.isEmpty, "no reply captured:\n\(packets)")
            #expect(ttls.allSatisfy { $0.contains("ttl 1,") }, "\(packets)")

            // B spoofs A's IP and MAC: still B's identity, still refused A's token.
            let vmB = rig.namespaces["b"]!
            let tapB = rig.taps["b"]!
            try vmB.exec(["ip", "link", "set", tapB, "address", MetadataSystem.vmMACs["a"]!])
            try vmB.exec(["ip", "addr", "flush", "dev", tapB])
            try vmB.exec(["ip", "addr", "add", "\(MetadataSystem.vmAddresses["a"]!)/24", "dev", tapB])
            try vmB.exec(["ip", "route", "add", "169.254.169.254/32", "dev", tapB])
            let spoofed = try rig.instanceID("b", token: try rig.token("b"))
            #expect(spoofed == ("200", MetadataSystem.instances["b"]!))
            #expect(try rig.instanceID("b", token: tokenA).status == "401")

            // Every rewrite was counted; NAT entries are listed with the address the guest used.
            let stage = try rig.stage()
            #expect((stage.events["intercepted"] ?? 0) > 0 && (stage.events["translated"] ?? 0) > 0)
            #expect((stage.events["arp-answered"] ?? 0) >= 2)
            let nat = try rig.daemon.client().call(MetadataMethods.nat)
            #expect(nat.contains { $0.port == "vm-b" && $0.guestAddress == MetadataSystem.vmAddresses["a"]! })
            #expect(!nat.contains { $0.port == "vm-a" && $0.guestMAC == MetadataSystem.vmMACs["b"]! })
            #expect(try rig.daemon.stop() == 0)
        }

        @Test func aFloodIsLimitedAndAStoppedServiceFailsCleanly() throws {
            let rig = try Rig()
            defer { rig.remove() }
            let a = rig.namespaces["a"]!
            // The VMs reach each other (MACs learned) before anything else.
            try a.exec(["ping", "-c", "2", "-i", "0.2", "-W", "2", MetadataSystem.vmAddresses["b"]!])

            // 60 parallel connections from A against a bucket of 10 at 5/s.
            let before = try rig.stage().drops["rate-limited"] ?? 0
            _ = try a.run(
                [
                    "sh", "-c",
                    "seq 60 | xargs -P 60 -I{} curl -s -m 3 -o /dev/null http://169.254.169.254/latest/meta-data/",
                ], timeout: .seconds(60))
            let limited = (try rig.stage().drops["rate-limited"] ?? 0) - before
            #expect(limited >= 40, "rate-limited grew by \(limited)")
            // B is not limited by A's flood.
            #expect(try rig.instanceID("b", token: try rig.token("b")) == ("200", MetadataSystem.instances["b"]!))

            // The service stops: requests fail at once (the host refuses the connection), without hanging.
            try rig.stopService()
            let started = ContinuousClock.now
            let refused = try rig.curl(
                "b",
                [
                    "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60",
                    "http://169.254.169.254/latest/api/token",
                ],
                timeout: 5)
            #expect(refused.exit != 0 && refused.status == "000", "\(refused)")
            #expect(ContinuousClock.now - started < .seconds(10))
            // Forwarding between the VMs is unaffected.
            try a.exec(["ping", "-c", "2", "-i", "0.2", "-W", "2", MetadataSystem.vmAddresses["b"]!])

            // Back again: both VMs get their identity (A once its bucket has refilled).
            try rig.startService()
            #expect(try rig.instanceID("b", token: try rig.token("b")) == ("200", MetadataSystem.instances["b"]!))
            try System.waitUntil("A's requests to pass again", timeout: .seconds(30)) {
                guard let token = try? rig.token("a") else { return false }
                return try rig.instanceID("a", token: token) == ("200", MetadataSystem.instances["a"]!)
            }
            #expect(try rig.daemon.stop() == 0)
        }
    }
}
