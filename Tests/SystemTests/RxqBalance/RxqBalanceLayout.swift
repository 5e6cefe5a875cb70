import ControlProtocol
import Foundation
import Glibc

/// The layout of both rebalancing tests: two PMDs sharing CPU 1; port z (idle, four queues pinned to lcore 2)
/// makes the start-up assignment put every queue of the tap ports a and b (VLAN 10, two queues each) on
/// lcore 1, unpinned; hosts A and B in namespaces behind a and b, silent, their MACs set, with `flows`
/// between them. Everything it created goes when the value does.
final class RxqBalanceLayout {
    let namespaces: [String: Namespace]
    let taps: [String: String]
    let daemon: SluicedProcess
    let flows: TwoHostFlows

    /// `prefix`: the test's namespace and device prefix (two letters); ports: the flows' UDP ports.
    init(prefix: String, label: String, macA: String, macB: String, portAB: Int, portBA: Int) throws {
        let tag = "\(prefix)\(getpid() % 100_000)"
        let taps = ["a": "\(tag)ta", "b": "\(tag)tb"]
        var namespaces: [String: Namespace] = [:]
        do {
            for name in ["a", "b"] { namespaces[name] = try Namespace.create("\(tag)n\(name)") }
        } catch {
            for namespace in namespaces.values { namespace.delete() }
            throw error
        }
        self.namespaces = namespaces
        self.taps = taps
        do {
            daemon = try SluicedProcess(
                config: """
                    \(testEAL(pmdCPUMask: "0x6", lcoreCPUs: "{0: 0, 1: 1, 2: 1}"))
                    ports:
                      - name: z
                        devargs: "net_null_\(prefix)z,no-rx=1"
                        rx-queues: 4
                        pmd-rxq-affinity: [2, 2, 2, 2]
                        vlan: { mode: access, id: 20 }
                      - name: a
                        devargs: "net_tap_\(prefix)a,iface=\(taps["a"]!)"
                        rx-queues: 2
                        vlan: { mode: access, id: 10 }
                      - name: b
                        devargs: "net_tap_\(prefix)b,iface=\(taps["b"]!)"
                        rx-queues: 2
                        vlan: { mode: access, id: 10 }
                    """, label: label)
        } catch {
            for namespace in namespaces.values { namespace.delete() }
            throw error
        }
        flows = TwoHostFlows(
            namespaces: namespaces, taps: taps, macA: macA, macB: macB, portAB: portAB, portBA: portBA,
            announcePort: 7, label: prefix)
    }

    deinit {
        flows.stopAll()
        daemon.removeDirectory()
        for namespace in namespaces.values { namespace.delete() }
    }

    /// Waits for sluiced, then moves each tap into its host's namespace (silent, with its MAC).
    func start() throws {
        try daemon.waitReady()
        try namespaces["a"]!.adoptSilent(interface: taps["a"]!, mac: flows.macs["a"]!)
        try namespaces["b"]!.adoptSilent(interface: taps["b"]!, mac: flows.macs["b"]!)
    }

    /// `sluicectl pmds --json`.
    func pmds() throws -> [PMDStatus] {
        let json = try System.must([System.binary("sluicectl"), "pmds", "--json", "--socket", daemon.socketPath])
        return try JSONDecoder().decode([PMDStatus].self, from: Data(json.utf8))
    }
}
