/// Two Linux hosts in their own namespaces, each on one net_tap port of a running sluiced (`host-a` and
/// `host-b`) with an address in `subnet`.0/24 (.1 and .2): the set-up of the namespace ping and health tests.
/// `ports` writes the `ports:` (and any `patches:`) section from the two tap interface names.
struct PingingHosts {
    let tapA: String
    let tapB: String
    let a: Namespace
    let b: Namespace
    let daemon: SluicedProcess
    let subnet: String

    init(label: String, subnet: String, ports: (_ tapA: String, _ tapB: String) -> String) throws {
        self.subnet = subnet
        tapA = uniqueName("t" + label.prefix(1) + "a")
        tapB = uniqueName("t" + label.prefix(1) + "b")
        a = try Namespace.create(uniqueName("n" + label.prefix(1) + "a"))
        do {
            b = try Namespace.create(uniqueName("n" + label.prefix(1) + "b"))
        } catch {
            a.delete()
            throw error
        }
        do {
            daemon = try SluicedProcess(config: "\(testEAL())\n" + ports(tapA, tapB), label: label)
            try daemon.waitReady()
            try a.adopt(interface: tapA, address: "\(subnet).1/24")
            try b.adopt(interface: tapB, address: "\(subnet).2/24")
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

    /// The two hosts on two bridged ports (access VLAN 1, nothing else configured): what the exporter and
    /// trace tests observe.
    static func bridged(label: String, subnet: String) throws -> PingingHosts {
        try PingingHosts(label: label, subnet: subnet) { tapA, tapB in
            """
            ports:
              - name: host-a
                devargs: "net_tap_a,iface=\(tapA)"
              - name: host-b
                devargs: "net_tap_b,iface=\(tapB)"
            """
        }
    }

    /// The MAC address of host a's (`onA`) or host b's interface.
    func mac(onA: Bool) throws -> String {
        let (namespace, interface) = onA ? (a, tapA) : (b, tapB)
        return try namespace.exec(["cat", "/sys/class/net/\(interface)/address"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    /// Deletes both namespaces (their tap interfaces go back to sluiced's namespace and vanish with it) and
    /// the daemon's directory.
    func remove() {
        a.delete()
        b.delete()
        daemon.removeDirectory()
    }
}
