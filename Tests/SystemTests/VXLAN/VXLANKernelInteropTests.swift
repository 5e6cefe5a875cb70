import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Interop with the Linux kernel's vxlan (issue 12): a VM namespace on a Sluice access port (VLAN 100 ↔
    /// VNI 1000), and a kernel host namespace on Sluice's uplink (192.0.2.2/24, Sluice's VTEP 192.0.2.1)
    /// whose vxlan device (VNI 1000, inner 10.99.0.2/24, MTU 1450) floods to Sluice. Namespaces: prefix `vx`.
    @Suite("vxlan kernel interop", .serialized)
    struct VXLANKernelInterop {
        @Test func pingsBothWays() throws {
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
    }
}
