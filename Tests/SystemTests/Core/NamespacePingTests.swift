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
            let start = try CounterSnapshot(daemon)

            let ping = try hosts.ping(count: 5)
            #expect(ping.status == 0, "ping failed:\n\(ping.output)\nsluiced log:\n\(daemon.log)")
            #expect(ping.output.contains(" 0% packet loss"))

            // Every packet received was transmitted to the other side, or counted as dropped: by the port (a
            // tap interface that is not up yet refuses packets) or by a stage under its reason. Kernel chatter
            // may still be crossing when ping ends (received, not yet transmitted), so the counters are read
            // once they agree, within a bound; the expectation below then reports any difference.
            func accounted(_ now: CounterSnapshot) throws -> (received: UInt64, handled: UInt64) {
                let a = try now.port("host-a").counters
                let b = try now.port("host-b").counters
                let stageDrops = now.newDrops(since: start).values.reduce(0, +)
                return (
                    a.rxPackets + b.rxPackets, a.txPackets + a.txDropped + b.txPackets + b.txDropped + stageDrops
                )
            }
            try? System.waitUntil("every packet received to be transmitted or dropped", timeout: .seconds(10)) {
                let (received, handled) = try accounted(try CounterSnapshot(daemon))
                return received == handled
            }
            let final = try CounterSnapshot(daemon)
            let a = try final.port("host-a")
            let b = try final.port("host-b")
            // At least the 5 echo requests and replies, plus ARP; other kernel chatter may add more.
            #expect(a.counters.rxPackets >= 6 && b.counters.rxPackets >= 6)
            let (received, handled) = try accounted(final)
            #expect(
                received == handled, "ports \(a.counters), \(b.counters); stage drops \(final.newDrops(since: start))")
            #expect(b.counters.txPackets >= 6 && a.counters.txPackets >= 6, "the echo requests and replies got through")
            #expect(try daemon.stop() == 0)
        }
    }
}
