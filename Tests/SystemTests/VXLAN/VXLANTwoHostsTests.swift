import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Two sluiced processes as two hosts (issue 12). The underlay is a namespace with a Linux bridge joining
    /// both uplinks' taps; host A's VTEP is 192.0.2.1, host B's 192.0.2.2. One VM namespace on an access port
    /// (VLAN 100 ↔ VNI 1000) of each host: 10.99.0.1 behind A, 10.99.0.2 behind B, MTU 1450. Both hosts also
    /// carry VNI 2000 (VLAN 200, no local port) flooding to the other, so removing the other VTEP from VNI
    /// 1000's flood list keeps it a remote VTEP of the host, with the MACs learned behind it. Namespaces:
    /// prefix `vy`.
    @Suite("vxlan two hosts", .serialized)
    struct VXLANTwoHosts {
        static func config(tap: String, uplinkTap: String, mac: String, address: String, peer: String) -> String {
            """
            \(testEAL())
            ports:
              - name: vm
                devargs: "net_tap_vyv,iface=\(tap)"
                vlan: { mode: access, id: 100 }
              - name: uplink
                devargs: "net_tap_vyu,iface=\(uplinkTap),mac=\(mac)"
            vxlan:
              uplink: uplink
              address: \(address)/24
              vnis:
                - {vni: 1000, vlan: 100, flood: [\(peer)]}
                - {vni: 2000, vlan: 200, flood: [\(peer)]}
            """
        }

        @Test func floodListChangeKeepsUnicast() throws {
            let tag = "vy\(getpid() % 100_000)"
            let underlay = try Namespace.create("\(tag)u")
            defer { underlay.delete() }
            let vmA = try Namespace.create("\(tag)a")
            defer { vmA.delete() }
            let vmB = try Namespace.create("\(tag)b")
            defer { vmB.delete() }
            let hostA = try SluicedProcess(
                config: Self.config(
                    tap: "\(tag)va", uplinkTap: "\(tag)ua", mac: "02:00:00:00:0a:01", address: "192.0.2.1",
                    peer: "192.0.2.2"), label: "vxlan-host-a")
            defer {
                _ = try? hostA.stop()
                hostA.removeDirectory()
            }
            let hostB = try SluicedProcess(
                config: Self.config(
                    tap: "\(tag)vb", uplinkTap: "\(tag)ub", mac: "02:00:00:00:0b:01", address: "192.0.2.2",
                    peer: "192.0.2.1"), label: "vxlan-host-b")
            defer {
                _ = try? hostB.stop()
                hostB.removeDirectory()
            }
            try hostA.waitReady()
            try hostB.waitReady()
            // The underlay: both uplink taps on one Linux bridge.
            try underlay.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
            try underlay.exec(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
            try underlay.exec(["ip", "link", "add", "br0", "type", "bridge"])
            // net_tap gives the kernel side of a tap the port's MAC too: the bridge would take frames to that
            // MAC as its own. The kernel sides get other MACs, so the bridge forwards between the two hosts.
            for (tap, mac) in [("\(tag)ua", "02:00:00:00:fa:01"), ("\(tag)ub", "02:00:00:00:fb:01")] {
                try System.must(["ip", "link", "set", tap, "netns", underlay.name])
                try underlay.exec(["ip", "link", "set", tap, "address", mac])
                try underlay.exec(["ip", "link", "set", tap, "master", "br0", "up"])
            }
            try underlay.exec(["ip", "link", "set", "br0", "up"])
            for (vm, tap, address) in [(vmA, "\(tag)va", "10.99.0.1/24"), (vmB, "\(tag)vb", "10.99.0.2/24")] {
                try vm.adopt(interface: tap, address: address)
                try vm.exec(["ip", "link", "set", tap, "mtu", "1450"])
            }
            do {
                try System.waitUntil("VM A reaches VM B across the two hosts", timeout: .seconds(60)) {
                    try vmA.run(["ping", "-c", "1", "-W", "2", "10.99.0.2"]).status == 0
                }
            } catch {
                for host in [hostA, hostB] {
                    let show = try? host.client().call(VXLANMethods.show)
                    let stages = try? host.stages().filter { !$0.value.drops.isEmpty || !$0.value.events.isEmpty }
                    print("\(host.configPath): \(String(describing: show))\n\(String(describing: stages))")
                    print("ports: \(String(describing: try? host.ports()))")
                }
                print(try underlay.exec(["ip", "-s", "link"]))
                throw error
            }
            let fromB = try vmB.run(["ping", "-c", "3", "-i", "0.2", "-W", "5", "10.99.0.1"])
            #expect(fromB.status == 0, "\(fromB.output)")
            // Each host learned the other VM's MAC behind the other VTEP.
            let macA = try vmA.exec(["cat", "/sys/class/net/\(tag)va/address"]).trimmingCharacters(
                in: .whitespacesAndNewlines)
            let macB = try vmB.exec(["cat", "/sys/class/net/\(tag)vb/address"]).trimmingCharacters(
                in: .whitespacesAndNewlines)
            #expect(
                try hostA.client().call(BridgeMethods.macList).contains {
                    $0.mac == macB && $0.port == "vtep:192.0.2.2"
                })
            #expect(
                try hostB.client().call(BridgeMethods.macList).contains {
                    $0.mac == macA && $0.port == "vtep:192.0.2.1"
                })
            // From here on the VMs send no ARP (their neighbours are fixed) and no IPv6: every unicast frame
            // between them is the test's.
            for (vm, address, mac, tap) in [(vmA, "10.99.0.2", macB, "\(tag)va"), (vmB, "10.99.0.1", macA, "\(tag)vb")]
            {
                try vm.exec(["ip", "neigh", "replace", address, "lladdr", mac, "dev", tap, "nud", "permanent"])
                try vm.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
            }

            func remote(_ host: SluicedProcess, _ address: String) throws -> VXLANRemoteStatus {
                let ctl = try System.must([
                    System.binary("sluicectl"), "vxlan", "--socket", host.socketPath, "--json",
                ])
                let status = try JSONDecoder().decode(VXLANStatus.self, from: Data(ctl.utf8))
                return try #require(status.remotes.first { $0.address == address }, "\(status)")
            }
            func broadcastPing() throws {
                // Broadcast echo requests: flooded in VLAN 100 (nobody needs to answer).
                _ = try vmA.run(["ping", "-b", "-c", "3", "-i", "0.2", "-W", "1", "10.99.0.255"])
            }
            // Before the change, a broadcast from VM A goes to host B (positive control).
            let beforeFlood = try remote(hostA, "192.0.2.2").txPackets
            let beforeFloodAtB = try remote(hostB, "192.0.2.1").rxPackets
            try broadcastPing()
            try System.waitUntil("host B to receive VM A's broadcasts", timeout: .seconds(30)) {
                try remote(hostB, "192.0.2.1").rxPackets >= beforeFloodAtB + 3
            }
            #expect(try remote(hostA, "192.0.2.2").txPackets >= beforeFlood + 3)

            // A ping stream from VM A to VM B across the flood-list change on host A.
            let stream = try BackgroundCommand(
                ["ip", "netns", "exec", vmA.name, "ping", "-c", "200", "-i", "0.05", "-W", "2", "10.99.0.2"],
                label: "vxlan-two-hosts-ping")
            defer { stream.stop() }
            try System.waitUntil("the ping stream to flow", timeout: .seconds(30)) {
                stream.output.contains("icmp_seq=40 ")
            }
            let original = try String(contentsOfFile: hostA.configPath, encoding: .utf8)
            let changed = original.replacingOccurrences(
                of: "{vni: 1000, vlan: 100, flood: [192.0.2.2]}", with: "{vni: 1000, vlan: 100, flood: []}")
            #expect(changed != original)
            let document = hostA.directory.appendingPathComponent("changed.yaml").path
            try changed.write(toFile: document, atomically: true, encoding: .utf8)
            let plan = try System.must([
                System.binary("sluicectl"), "apply", "--socket", hostA.socketPath, "-f", document,
            ])
            #expect(plan.contains("update-vxlan"), "\(plan)")
            try System.waitUntil("the ping stream to end", timeout: .seconds(60)) { !stream.process.isRunning }
            print("vxlan two hosts, ping across the flood-list change: \(stream.output.suffix(200))")
            #expect(stream.process.terminationStatus == 0, "\(stream.output)")
            #expect(stream.output.contains("200 packets transmitted, 200 received, 0% packet loss"), "\(stream.output)")

            // Host A now shows VNI 1000 without a flood list, VTEP 192.0.2.2 still with VM B's MAC.
            let show = try hostA.client().call(VXLANMethods.show)
            #expect(show.vnis.first { $0.vni == 1000 }?.flood == [], "\(show.vnis)")
            #expect(try remote(hostA, "192.0.2.2").learnedMACs >= 1)
            // Broadcasts from VM A no longer reach host B, unicast still does: three broadcast echo requests,
            // then three unicast ones (answered, so the broadcasts before them went through host A's pipeline
            // too): host A's tx to B and host B's rx from A grow by exactly the three unicast requests.
            let afterTx = try remote(hostA, "192.0.2.2").txPackets
            let afterRxAtB = try remote(hostB, "192.0.2.1").rxPackets
            let vmRxBefore = try hostA.ports()["vm"]?.counters.rxPackets ?? 0
            try broadcastPing()
            let after = try vmA.run(["ping", "-c", "3", "-i", "0.2", "-W", "5", "10.99.0.2"])
            #expect(after.status == 0, "\(after.output)")
            #expect((try hostA.ports()["vm"]?.counters.rxPackets ?? 0) >= vmRxBefore + 6)
            #expect(try remote(hostA, "192.0.2.2").txPackets == afterTx + 3)
            #expect(try remote(hostB, "192.0.2.1").rxPackets == afterRxAtB + 3)
        }
    }
}
