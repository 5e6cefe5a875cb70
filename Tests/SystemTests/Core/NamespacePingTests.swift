import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    @Suite("Linux hosts in namespaces talking through sluiced")
    struct NamespacePing {
        /// Two namespaces, each with one net_tap interface of sluiced, patched together: the kernels ping
        /// each other across the dataplane (ARP and ICMP both ways) and the counters show it.
        @Test func pingCrossesTheDataplane() throws {
            let tapA = uniqueName("ta")
            let tapB = uniqueName("tb")
            let nsA = try Namespace.create(uniqueName("na"))
            let nsB = try Namespace.create(uniqueName("nb"))
            defer {
                nsA.delete()
                nsB.delete()
            }
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: host-a
                        devargs: "net_tap_a,iface=\(tapA)"
                      - name: host-b
                        devargs: "net_tap_b,iface=\(tapB)"
                    patches:
                      - [host-a, host-b]
                    """, label: "ping")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            try nsA.adopt(interface: tapA, address: "10.199.0.1/24")
            try nsB.adopt(interface: tapB, address: "10.199.0.2/24")

            let ping = try nsA.run(["ping", "-c", "5", "-i", "0.2", "-W", "5", "10.199.0.2"], timeout: .seconds(120))
            #expect(ping.status == 0, "ping failed:\n\(ping.output)\nsluiced log:\n\(daemon.log)")
            #expect(ping.output.contains(" 0% packet loss"))

            let ports = try daemon.ports()
            let a = try #require(ports["host-a"])
            let b = try #require(ports["host-b"])
            // At least the 5 echo requests and replies, plus ARP; other kernel chatter may add more.
            #expect(a.counters.rxPackets >= 6 && b.counters.rxPackets >= 6)
            // Every packet one side sent was transmitted to the other or counted as dropped: a tap interface
            // that is not up yet (while it moves into its namespace) refuses packets.
            #expect(b.counters.txPackets + b.counters.txDropped == a.counters.rxPackets)
            #expect(a.counters.txPackets + a.counters.txDropped == b.counters.rxPackets)
            #expect(b.counters.txPackets >= 6 && a.counters.txPackets >= 6, "the echo requests and replies got through")
            #expect(try daemon.stop() == 0)
        }
    }
}
