import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// On the host of 1000 vhost-user ports of `ThousandPorts` (plus two tap ports, one per VLAN, for Linux
    /// hosts in namespaces): guests answer pings from their own VLAN and never see one from the other.
    @Suite("1000 vhost-user ports: pings within and across VLANs")
    struct ThousandPortsVLANPing {
        static let subnet = "10.77.0"
        /// The guest in VLAN 20 (a vhost-user port among the 997 of VLAN 20).
        static let farGuestPort = 700

        @Test func pingsPassWithinAVLANAndNotAcross() throws {
            let tag = "pb\(getpid() % 100_000)"
            let taps = ["h10": "\(tag)t10", "h20": "\(tag)t20"]
            let sockets = try System.scratchDirectory("vhost-1000v")
            defer { try? FileManager.default.removeItem(at: sockets) }
            var namespaces: [String: Namespace] = [:]
            defer { for namespace in namespaces.values { namespace.delete() } }
            for host in ["h10", "h20"] { namespaces[host] = try Namespace.create("\(tag)n\(host.dropFirst())") }

            var config = ThousandPorts.config(sockets)
            for (host, vlan) in [("h10", 10), ("h20", 20)] {
                config += """
                      - name: \(host)
                        devargs: "net_tap_\(host),iface=\(taps[host]!)"
                        vlan: {mode: access, id: \(vlan)}

                    """
            }
            let daemon = try SluicedProcess(config: config, label: "vhost1000v")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            #expect(try daemon.ports().count == ThousandPorts.portCount + 2)
            for (index, host) in ["h10", "h20"].enumerated() {
                let namespace = namespaces[host]!
                // No IPv6: the hosts send nothing on their own, so every frame a guest gets is a ping's.
                try namespace.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
                try namespace.exec(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
                try namespace.adopt(interface: taps[host]!, address: "\(Self.subnet).\(index + 1)/24")
            }
            func ping(from host: String, _ address: String) throws -> System.CommandResult {
                try namespaces[host]!.run(
                    ["ping", "-c", "3", "-i", "0.3", "-W", "3", "\(Self.subnet).\(address)"], timeout: .seconds(60))
            }

            // testpmd in icmpecho mode answers every ARP request and echo request it receives, whatever the
            // address asked for: the guest in VLAN 20 answers whichever ping reaches it.
            let farPort = "vm\(Self.farGuestPort)"
            let far = try VirtioUserGuest(
                label: "far", socketPath: "\(sockets.path)/\(farPort).sock", server: false, directory: sockets)
            defer { far.kill() }
            try daemon.waitForGuest(farPort)
            far.send("set fwd icmpecho")
            far.send("start")

            // Across VLANs: h10 (VLAN 10, whose vhost-user members have no guest yet) pings the VLAN 20 guest.
            let across = try ping(from: "h10", "7")
            #expect(across.status != 0, "a ping crossed from VLAN 10 to VLAN 20:\n\(across.output)")
            let afterAcross = try daemon.ports()
            #expect(afterAcross[farPort]?.counters.txPackets == 0, "a frame of VLAN 10 reached the VLAN 20 guest")
            #expect((afterAcross["h10"]?.counters.rxPackets ?? 0) > 0, "h10's pings reached sluiced")
            #expect(try far.portStats().rx == 0)

            // Within VLAN 20: h20 pings the same guest.
            let within20 = try ping(from: "h20", "7")
            #expect(within20.status == 0, "ping within VLAN 20 failed:\n\(within20.output)\n\(daemon.log)")
            let farReceived = try far.portStats().rx
            #expect(farReceived > 0)

            // Within VLAN 10: a guest on port 3 answers h10.
            let nearPort = "vm\(ThousandPorts.guestPorts[0])"
            let near = try VirtioUserGuest(
                label: "near", socketPath: "\(sockets.path)/\(nearPort).sock", server: false, directory: sockets)
            defer { near.kill() }
            try daemon.waitForGuest(nearPort)
            near.send("set fwd icmpecho")
            near.send("start")
            let beforeWithin10 = try daemon.ports()
            let within10 = try ping(from: "h10", "3")
            #expect(within10.status == 0, "ping within VLAN 10 failed:\n\(within10.output)\n\(daemon.log)")
            // Nothing of VLAN 10's ping (its ARP broadcast included) reached VLAN 20.
            let afterWithin10 = try daemon.ports()
            #expect(afterWithin10["h20"]?.counters.txPackets == beforeWithin10["h20"]?.counters.txPackets)
            #expect(afterWithin10[farPort]?.counters.txPackets == beforeWithin10[farPort]?.counters.txPackets)
            #expect(try far.portStats().rx == farReceived)

            near.kill()
            far.kill()
            #expect(try daemon.stop() == 0)
        }
    }
}
