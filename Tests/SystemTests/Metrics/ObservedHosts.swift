import Foundation

/// Two hosts in namespaces of this suite's own (prefix `ob`), on two bridged net_tap ports of a running
/// sluiced (`host-a`, `host-b`, access VLAN 1), with 10.198.`subnet`.1 and .2: what the exporter and trace
/// system tests observe. `remove()` deletes the namespaces and the daemon's directory; call it in a defer
/// right after a successful init (a failed init cleans up itself).
struct ObservedHosts {
    let tapA: String
    let tapB: String
    let a: Namespace
    let b: Namespace
    let daemon: SluicedProcess
    let subnet: String

    init(label: String, subnet: Int) throws {
        self.subnet = "10.198.\(subnet)"
        let tag = "ob\(getpid() % 100_000)\(label.prefix(2))"
        tapA = tag + "ta"
        tapB = tag + "tb"
        a = try Namespace.create(tag + "a")
        do {
            b = try Namespace.create(tag + "b")
        } catch {
            a.delete()
            throw error
        }
        do {
            daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: host-a
                        devargs: "net_tap_a,iface=\(tapA)"
                      - name: host-b
                        devargs: "net_tap_b,iface=\(tapB)"
                    """, label: label)
            try daemon.waitReady()
            try a.adopt(interface: tapA, address: "\(self.subnet).1/24")
            try b.adopt(interface: tapB, address: "\(self.subnet).2/24")
        } catch {
            a.delete()
            b.delete()
            throw error
        }
    }

    /// Host a pings host b `count` times.
    func ping(count: Int) throws -> System.CommandResult {
        try a.run(["ping", "-c", "\(count)", "-i", "0.2", "-W", "5", "\(subnet).2"], timeout: .seconds(120))
    }

    /// The MAC address of a host's interface.
    func mac(of namespace: Namespace, interface: String) throws -> String {
        try namespace.exec(["cat", "/sys/class/net/\(interface)/address"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    func remove() {
        a.delete()
        b.delete()
        daemon.removeDirectory()
    }
}
