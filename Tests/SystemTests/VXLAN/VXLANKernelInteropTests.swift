import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Interop with the Linux kernel's vxlan (issue 12): a VM namespace on a Sluice access port (VLAN 100 ↔
    /// VNI 1000), and a kernel host namespace on Sluice's uplink (192.0.2.2/24, Sluice's VTEP 192.0.2.1)
    /// whose vxlan device (VNI 1000, inner 10.99.0.2/24, MTU 1450) floods to Sluice. Namespaces: prefix `vx`.
    @Suite("vxlan kernel interop", .serialized)
    struct VXLANKernelInterop {
        /// Starts Sluice and the two namespaces (the VM's, 10.99.0.1/24 on tap `tapVM`; the kernel host's with
        /// vx0 and vx1), runs `body`, and removes everything again, also when `body` throws.
        static func withKernelTunnel(
            _ body: (_ vm: Namespace, _ kernel: Namespace, _ daemon: SluicedProcess, _ tapVM: String) throws -> Void
        ) throws {
            let tag = "vx\(getpid() % 100_000)"
            let tapVM = "\(tag)tv"
            let tapUp = "\(tag)tu"
            let vm = try Namespace.create("\(tag)vm")
            defer { vm.delete() }
            let kernel = try Namespace.create("\(tag)kh")
            defer { kernel.delete() }
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: vm
                        devargs: "net_tap_vxv,iface=\(tapVM)"
                        vlan: { mode: access, id: 100 }
                      - name: uplink
                        devargs: "net_tap_vxu,iface=\(tapUp)"
                    vxlan:
                      uplink: uplink
                      address: 192.0.2.1/24
                      vnis:
                        - {vni: 1000, vlan: 100, flood: [192.0.2.2]}
                    """, label: "vxlan-kernel")
            defer {
                _ = try? daemon.stop()
                daemon.removeDirectory()
            }
            try daemon.waitReady()
            try vm.adopt(interface: tapVM, address: "10.99.0.1/24")
            try vm.exec(["ip", "link", "set", tapVM, "mtu", "1450"])
            try kernel.adopt(interface: tapUp, address: "192.0.2.2/24")
            for command in [
                [
                    "ip", "link", "add", "vx0", "type", "vxlan", "id", "1000", "local", "192.0.2.2", "dstport", "4789",
                    "dev", tapUp,
                ],
                ["bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "192.0.2.1"],
                ["ip", "link", "set", "vx0", "mtu", "1450", "up"],
                ["ip", "addr", "add", "10.99.0.2/24", "dev", "vx0"],
                // A second VNI Sluice does not carry, flooding to it too.
                [
                    "ip", "link", "add", "vx1", "type", "vxlan", "id", "2000", "local", "192.0.2.2", "dstport", "4789",
                    "dev", tapUp,
                ],
                ["bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx1", "dst", "192.0.2.1"],
                ["ip", "link", "set", "vx1", "mtu", "1450", "up"],
                ["ip", "addr", "add", "10.98.0.2/24", "dev", "vx1"],
            ] {
                try kernel.exec(command)
            }
            try body(vm, kernel, daemon, tapVM)
        }

        @Test func pingsBothWays() throws {
            try Self.withKernelTunnel { vm, kernel, daemon, tapVM in
                try Self.checkPings(vm, kernel, daemon, tapVM)
            }
        }

        static func checkPings(_ vm: Namespace, _ kernel: Namespace, _ daemon: SluicedProcess, _ tapVM: String) throws {
            // The underlay: Sluice answers ping to its VTEP address (ARP first).
            let underlayPing = try kernel.run(["ping", "-c", "3", "-i", "0.2", "-W", "5", "192.0.2.1"])
            #expect(underlayPing.status == 0, "\(underlayPing.output)")
            // Both ways over the tunnel (the first packets wait for ARP on both sides).
            try System.waitUntil("the VM reaches the kernel host over VNI 1000", timeout: .seconds(60)) {
                try vm.run(["ping", "-c", "1", "-W", "2", "10.99.0.2"]).status == 0
            }
            let fromKernel = try kernel.run(["ping", "-c", "3", "-i", "0.2", "-W", "5", "10.99.0.1"])
            #expect(fromKernel.status == 0, "\(fromKernel.output)")
            // The kernel learned the VM's MAC behind Sluice's VTEP; Sluice the kernel's behind its VTEP.
            let vmMAC = try vm.exec(["cat", "/sys/class/net/\(tapVM)/address"]).trimmingCharacters(
                in: .whitespacesAndNewlines)
            let kernelMAC = try kernel.exec(["cat", "/sys/class/net/vx0/address"]).trimmingCharacters(
                in: .whitespacesAndNewlines)
            let fdb = try kernel.exec(["bridge", "fdb", "show", "dev", "vx0"])
            #expect(fdb.contains("\(vmMAC) dst 192.0.2.1"), "\(fdb)")
            let macs = try daemon.client().call(BridgeMethods.macList)
            #expect(macs.contains { $0.mac == kernelMAC && $0.vlan == 100 && $0.port == "vtep:192.0.2.2" }, "\(macs)")
            // Sluice's next-hop entry for the kernel's VTEP, after ARP; its per-VTEP counters both ways.
            let neighbours = try daemon.client().call(VXLANMethods.neighbours)
            #expect(
                neighbours.contains { $0.address == "192.0.2.2" && $0.state == "reachable" && $0.mac != nil },
                "\(neighbours)")
            let show = try daemon.client().call(VXLANMethods.show)
            let remote = try #require(show.remotes.first { $0.address == "192.0.2.2" }, "\(show)")
            #expect(remote.state == "resolved" && remote.nextHop == "192.0.2.2", "\(remote)")
            #expect(remote.rxPackets > 0 && remote.txPackets > 0 && remote.learnedMACs >= 1, "\(remote)")
            #expect(show.vnis == [VXLANVNIStatus(vni: 1000, vlan: 100, flood: ["192.0.2.2"])])
            #expect(show.address == "192.0.2.1/24" && show.uplink == "uplink")
            // The second VNI's traffic is dropped and counted (unknown-vni) before any bridge VLAN.
            _ = try kernel.run(["ping", "-c", "3", "-i", "0.2", "-W", "1", "10.98.0.1"])
            let stages = try daemon.stages()
            #expect(
                (stages["vxlan-decap"]?.drops["unknown-vni"] ?? 0) > 0, "\(String(describing: stages["vxlan-decap"]))")
            #expect(try daemon.client().call(VXLANMethods.show).remotes.first?.rxDrops ?? 0 > 0)
            #expect((stages["vxlan-decap"]?.events["punted"] ?? 0) > 0)
            #expect((stages["vxlan-encap"]?.events["encapsulated"] ?? 0) > 0)
        }

        /// A TCP transfer of 8 MB each way across the tunnel with the documented guest MTU (1450 on both ends):
        /// the receiver reads until EOF and reports the byte count and SHA-256, which must match the sender's.
        @Test func tcpTransferWithGuestMTU() throws {
            try Self.withKernelTunnel { vm, kernel, daemon, _ in
                try System.waitUntil("the VM reaches the kernel host over VNI 1000", timeout: .seconds(60)) {
                    try vm.run(["ping", "-c", "1", "-W", "2", "10.99.0.2"]).status == 0
                }
                // Kernel host → VM (Sluice decapsulates the data), then VM → kernel host (Sluice encapsulates
                // full-size 1450-byte packets into 1500-byte outer packets).
                for (receiver, sender, address, port) in [
                    (vm, kernel, "10.99.0.1", 5001), (kernel, vm, "10.99.0.2", 5002),
                ] {
                    let (count, digest) = try Self.transfer(
                        from: sender, to: receiver, address: address, port: port, bytes: 8 << 20)
                    #expect(count == "\(8 << 20)")
                    #expect(digest.count == 64)
                }
                let stages = try daemon.stages()
                #expect((stages["vxlan-encap"]?.drops["exceeds-underlay-mtu"] ?? 0) == 0)
                let remote = try #require(
                    try daemon.client().call(VXLANMethods.show).remotes.first { $0.address == "192.0.2.2" })
                #expect(remote.rxPackets > 5_000 && remote.txPackets > 5_000, "\(remote)")
            }
        }

        /// Sends `bytes` deterministic bytes over TCP from `sender` to `address:port` in `receiver` and checks that
        /// the receiver got all of them unchanged; the byte count and SHA-256 the receiver reported.
        static func transfer(
            from sender: Namespace, to receiver: Namespace, address: String, port: Int, bytes: Int
        ) throws -> (String, String) {
            let receive = """
                import hashlib, socket
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("\(address)", \(port)))
                s.listen(1)
                s.settimeout(120)
                c, _ = s.accept()
                c.settimeout(60)
                h, n = hashlib.sha256(), 0
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    h.update(b)
                    n += len(b)
                print("received", n, h.hexdigest(), flush=True)
                """
            let send = """
                import hashlib, random, socket
                data = random.Random(\(port)).randbytes(\(bytes))
                s = socket.create_connection(("\(address)", \(port)), timeout=60)
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                s.recv(1)
                s.close()
                print("sent", len(data), hashlib.sha256(data).hexdigest(), flush=True)
                """
            let listener = try BackgroundCommand(
                ["ip", "netns", "exec", receiver.name, "python3", "-c", receive], label: "vxlan-tcp-rx")
            defer { listener.stop() }
            try System.waitUntil("the receiver to listen on port \(port)", timeout: .seconds(30)) {
                try receiver.exec(["ss", "-ltnH"]).contains("\(address):\(port)")
            }
            let sent = try sender.exec(["python3", "-c", send], timeout: .seconds(180))
            try System.waitUntil("the receiver to report", timeout: .seconds(60)) {
                listener.output.contains("received ")
            }
            let received = try #require(listener.output.split(separator: "\n").first { $0.hasPrefix("received ") })
            let sentLine = try #require(sent.split(separator: "\n").first { $0.hasPrefix("sent ") })
            let fields = received.split(separator: " ").map(String.init)
            let sentFields = sentLine.split(separator: " ").map(String.init)
            #expect(
                fields.count == 3 && Array(fields.dropFirst()) == Array(sentFields.dropFirst()),
                "received \(received), sent \(sentLine)")
            print("vxlan tcp \(sender.name) -> \(receiver.name): \(received)")
            return (fields.count == 3 ? fields[1] : "", fields.count == 3 ? fields[2] : "")
        }
    }
}
