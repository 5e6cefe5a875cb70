import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Linux hosts in namespaces on a VLAN-aware sluiced: the Linux kernel's ARP and ICMP on the access
    /// ports. The trunk's far end would be a kernel 802.1Q subinterface, but this machine's kernel is built
    /// without 802.1Q (CONFIG_VLAN_8021Q and bridge VLAN filtering are off), so tools/vlan-responder.py
    /// stands in: a raw-socket host that answers ARP and ping tagged, as a VLAN subinterface would.
    @Suite("L2 switching with VLANs between Linux hosts")
    struct VLANSwitching {
        /// Ports:                         VLAN      host address
        ///   a1  access                   10        10.10.0.1/24
        ///   a2  access, port security    10        10.10.0.2/24 (MAC 02:00:00:00:0a:02)
        ///   b1  access                   20        10.10.0.5/24 (same subnet, other VLAN: unreachable)
        ///   b2  access, max-macs 2       20        10.20.0.6/24
        ///   tr  trunk allowing 10 only   10 / 20   responder: 10.10.0.4 on VLAN 10, 10.20.0.4 on VLAN 20
        @Test func vlansTrunkPortSecurityAgingAndLimits() throws {
            let names = ["a1", "a2", "b1", "b2", "tr"]
            let taps = Dictionary(uniqueKeysWithValues: names.map { ($0, uniqueName("v" + $0)) })
            var namespaces: [String: Namespace] = [:]
            defer { for namespace in namespaces.values { namespace.delete() } }
            for name in names { namespaces[name] = try Namespace.create(uniqueName("n" + name)) }

            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    l2:
                      mac-aging-seconds: 10
                    ports:
                      - name: a1
                        devargs: "net_tap_va1,iface=\(taps["a1"]!)"
                        vlan: { mode: access, id: 10 }
                      - name: a2
                        devargs: "net_tap_va2,iface=\(taps["a2"]!)"
                        vlan: { mode: access, id: 10 }
                        port-security:
                          mac: "02:00:00:00:0a:02"
                          ips: ["10.10.0.2"]
                      - name: b1
                        devargs: "net_tap_vb1,iface=\(taps["b1"]!)"
                        vlan: { mode: access, id: 20 }
                      - name: b2
                        devargs: "net_tap_vb2,iface=\(taps["b2"]!)"
                        vlan: { mode: access, id: 20 }
                        max-macs: 2
                      - name: tr
                        devargs: "net_tap_vtr,iface=\(taps["tr"]!)"
                        vlan: { mode: trunk, allowed: [10] }
                    """, label: "vlan")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()

            func host(_ name: String, _ address: String, mac: String? = nil) throws {
                let ns = namespaces[name]!
                let tap = taps[name]!
                try System.must(["ip", "link", "set", tap, "netns", ns.name])
                if let mac { try ns.exec(["ip", "link", "set", tap, "address", mac]) }
                // No IPv6 chatter: these tests count IPv4 and ARP frames.
                try ns.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
                try ns.exec(["ip", "addr", "add", address, "dev", tap])
                try ns.exec(["ip", "link", "set", tap, "up"])
            }
            try host("a1", "10.10.0.1/24")
            try host("a2", "10.10.0.2/24", mac: "02:00:00:00:0a:02")
            try host("b1", "10.10.0.5/24")
            try host("b2", "10.20.0.6/24")
            // The trunk's far end: hosts on VLANs 10 and 20 behind one tagged interface. Its probe is an ARP
            // request tagged with VLAN 20, which the trunk does not carry.
            let trunk = namespaces["tr"]!
            let trunkTap = taps["tr"]!
            try System.must(["ip", "link", "set", trunkTap, "netns", trunk.name])
            try trunk.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
            try trunk.exec(["ip", "link", "set", trunkTap, "up"])
            let responder = try BackgroundCommand(
                [
                    "ip", "netns", "exec", trunk.name, System.repositoryFile("tools/vlan-responder.py"), trunkTap,
                    "--host", "10,10.10.0.4,02:00:00:00:0e:04", "--host", "20,10.20.0.4,02:00:00:00:0e:14",
                    "--probe", "20,10.20.0.4,10.20.0.6", "--seconds", "120",
                ], label: "responder")
            defer { responder.stop() }
            try System.waitUntil("the VLAN responder to listen") { responder.output.contains("ready") }

            func ping(_ from: String, _ to: String, source: String? = nil, count: Int = 3) throws -> Bool {
                var command = ["ping", "-c", "\(count)", "-i", "0.2", "-W", "2"]
                if let source { command += ["-I", source] }
                return try namespaces[from]!.run(command + [to], timeout: .seconds(60)).status == 0
            }

            // Same VLAN: access to access, and access to the kernel's VLAN 10 subinterface across the trunk.
            #expect(try ping("a1", "10.10.0.2"), "a1 → a2 on VLAN 10\n\(daemon.log)")
            #expect(try ping("a1", "10.10.0.4"), "a1 → the trunk's VLAN 10 host (802.1Q tagged on the wire)")
            // Other VLAN, same subnet: unreachable.
            #expect(try !ping("a1", "10.10.0.5", count: 2), "a1 (VLAN 10) must not reach b1 (VLAN 20)")
            // VLAN 20 is not allowed on the trunk.
            #expect(try !ping("b2", "10.20.0.4", count: 2), "VLAN 20 must not cross a trunk that allows only 10")

            // And the other way: the responder's VLAN 20 probe (tagged) was refused at the trunk.
            let stages = try daemon.stages()
            #expect((stages["vlan"]?.drops["vlan-not-allowed"] ?? 0) > 0, "tagged VLAN 20 from the trunk dropped")
            #expect((stages["transmit"]?.packetsOut ?? 0) > 0)

            // Port security: a2 pinging from an address it does not own is dropped, ARP and IP alike.
            try namespaces["a2"]!.exec(["ip", "addr", "add", "10.10.0.99/24", "dev", taps["a2"]!])
            #expect(try !ping("a2", "10.10.0.1", source: "10.10.0.99", count: 2))
            let security = try #require(try daemon.stages()["port-security"])
            #expect((security.drops["arp-sender-ip"] ?? 0) + (security.drops["source-ipv4"] ?? 0) > 0)
            // ... while its own address still works.
            #expect(try ping("a2", "10.10.0.1", source: "10.10.0.2"))

            // Learned MACs: a1's MAC is on port a1 in VLAN 10; a1 and a2 were learned with their VLAN.
            let macs = try daemon.client().call(BridgeMethods.macList)
            #expect(macs.contains { $0.port == "a2" && $0.vlan == 10 && $0.mac == "02:00:00:00:0a:02" })
            #expect(macs.contains { $0.port == "tr" && $0.vlan == 10 && $0.mac == "02:00:00:00:0e:04" })
            #expect(
                !macs.contains { $0.port == "tr" && $0.vlan == 20 },
                "nothing learned on a VLAN the trunk does not carry")

            // Per-port MAC limit: b2 sends from 20 random source MACs; it keeps 2, the rest are counted.
            let sender = """
                import random, socket, struct
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
                s.bind(("\(taps["b2"]!)", 0))
                rng = random.Random(7)
                for i in range(20):
                    src = bytes([0x02, 0x10, rng.randrange(256), rng.randrange(256), rng.randrange(256), i])
                    s.send(b"\\xff" * 6 + src + struct.pack("!H", 0x88b5) + bytes(46))
                """
            try namespaces["b2"]!.exec(["/usr/bin/python3", "-c", sender])
            try System.waitUntil("b2's learning to reach its limit") {
                (try daemon.ports()["b2"]?.macLearning?.limitReached ?? 0) >= 18
            }
            let b2 = try #require(try daemon.ports()["b2"]?.macLearning)
            #expect(b2.learned == 2 && b2.limit == 2)
            #expect((try daemon.stages()["l2"]?.events["learn-limit"] ?? 0) >= 18)

            // Aging: with no traffic, every learned entry is gone within aging time + a sweep.
            try System.waitUntil("learned MACs to age out", timeout: .seconds(60)) {
                try daemon.client().call(BridgeMethods.macList).allSatisfy(\.isStatic)
            }
            #expect(try daemon.ports()["a1"]?.macLearning?.learned == 0)
            #expect(try daemon.stop() == 0)
            responder.stop()
            // Everything the responder heard from the trunk was tagged: no untagged leaks onto a trunk with
            // no native VLAN, and nothing of VLAN 20.
            #expect(responder.output.contains("\"untagged\": 0"), "responder: \(responder.output)")
            #expect(!responder.output.contains("\"20\":"), "responder: \(responder.output)")
        }
    }
}
