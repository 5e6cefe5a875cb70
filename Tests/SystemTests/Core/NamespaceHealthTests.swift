import ControlProtocol
import Foundation
import Testing

extension SystemTests.NamespacePing {
    /// The demo's setup: two namespaces on two bridged net_tap ports. DPDK reads a tap's link by name in
    /// sluiced's namespace, where a moved interface no longer exists; health must read it where it lives:
    /// ok while the namespaces ping, and still "link down" for a tap that is really down in its namespace.
    @Test func healthIsOkWhileTapsInOtherNamespacesPing() throws {
        let hosts = try PingingHosts(label: "health", subnet: "10.198.0") { tapA, tapB in
            """
            ports:
              - name: host-a
                devargs: "net_tap_ha,iface=\(tapA)"
                vlan: { mode: access, id: 100 }
              - name: host-b
                devargs: "net_tap_hb,iface=\(tapB)"
                vlan: { mode: access, id: 100 }
            """
        }
        defer { hosts.remove() }
        let (daemon, nsB, tapB) = (hosts.daemon, hosts.b, hosts.tapB)

        let ping = try hosts.ping(count: 3)
        #expect(ping.status == 0, "ping failed:\n\(ping.output)\nsluiced log:\n\(daemon.log)")
        let client = try daemon.client()
        let health = try client.call(StatusMethods.health)
        #expect(health.status == "ok" && health.problems.isEmpty, "\(health)")
        #expect(health.portsLinkUp == 2)
        #expect(try daemon.ports().values.allSatisfy(\.linkUp))

        // Not hidden: a tap that is down in its namespace is reported, and recovers when it is up again.
        _ = try nsB.exec(["ip", "link", "set", tapB, "down"])
        try System.waitUntil("health to report host-b's link down") {
            let now = try client.call(StatusMethods.health)
            return now.status == "degraded" && now.problems == ["port host-b: link down"]
        }
        #expect(try daemon.ports()["host-b"]?.linkUp == false)
        _ = try nsB.exec(["ip", "link", "set", tapB, "up"])
        try System.waitUntil("health to be ok again") { try client.call(StatusMethods.health).status == "ok" }
        #expect(try daemon.stop() == 0)
    }
}
