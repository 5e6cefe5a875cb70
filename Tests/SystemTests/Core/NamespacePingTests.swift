import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    @Suite("Linux hosts in namespaces talking through sluiced")
    struct NamespacePing {
        /// Two namespaces, each with one net_tap interface of sluiced, patched together: the kernels ping
        /// each other across the dataplane (ARP and ICMP both ways) and the counters show it.
        @Test func pingCrossesTheDataplane() throws {
            let hosts = try PingingHosts(label: "ping", subnet: "10.199.0") { tapA, tapB in
                """
                ports:
                  - name: host-a
                    devargs: "net_tap_a,iface=\(tapA)"
                  - name: host-b
                    devargs: "net_tap_b,iface=\(tapB)"
                patches:
                  - [host-a, host-b]
                """
            }
            defer { hosts.remove() }
            let daemon = hosts.daemon

            let ping = try hosts.ping(count: 5)
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
