import Config
import ControlProtocol

/// A port of the desired state whose device could not be brought up when sluiced started from its persisted
/// state (a vhost-user socket directory gone, a NIC removed, a tap name taken, a pcap file missing).
///
/// It stays in the desired state (`config.get` shows it, the state file keeps it) and keeps a slot, so it
/// takes part in the tables like an admin-down port: its static MACs and its patch stay, and packets to it
/// are dropped as `port-down` rather than flooded or switched into the bridge. Nothing polls or sends to it.
/// `Dataplane.retry(port:)` brings it up again; removing or reopening it (`port.del`, a changed `devargs`)
/// works as for any port.
public struct FailedPort: Sendable, Equatable {
    /// The slot it keeps in the port tables.
    public let slot: Int
    /// Why its bring-up failed (the latest attempt).
    public var error: String
}

/// What `Dataplane.init` does when a port's device cannot be brought up.
public enum PortFailurePolicy: Sendable {
    /// Tear everything down and throw: a configuration given on the command line runs as written or not at all.
    case failFast
    /// Bring up the other ports and keep this one as a `FailedPort`: a restored state must not make the
    /// daemon exit (its supervisor would restart it into the same failure, and no port would switch).
    case keepFailed
}

/// Why `Dataplane.retry(port:)` did not bring a port up.
public enum RetryError: Error, CustomStringConvertible {
    case unknownPort(String)
    /// The bring-up failed again; the port stays failed with this error.
    case failed(String)

    public var description: String {
        switch self {
        case .unknownPort(let name): "no port named '\(name)'"
        case .failed(let message): message
        }
    }
}

extension Dataplane {
    /// Attaches a failed port's device again, in the slot it kept, and publishes a generation that polls it.
    /// A port that runs is left alone (retrying is idempotent). Its static MACs and MAC limit are already in
    /// the table; its rx queues go where the current assignment placed them.
    public func retry(port name: String) throws(RetryError) {
        guard let portConfig = config.ports.first(where: { $0.name == name }) else { throw .unknownPort(name) }
        guard let failed = failedPorts[name] else { return }
        // As for any change: refused while a PMD is stalled (it may never take the new generation).
        do {
            try requireResponsivePMDs()
        } catch {
            throw .failed("\(error); nothing was changed")
        }
        var assignment = generation.rxAssignment
        if assignment[name]?.count != portConfig.rxQueues {
            assignment = RxQueueScheduler.assign(
                ports: config.ports, pmdLcores: config.pmdLcores, keeping: assignment.filter { $0.key != name })
        }
        let live: Port
        do {
            live = try bringUp(portConfig, rxAssignment: assignment, into: failed.slot)
        } catch {
            failedPorts[name]?.error = "\(error)"
            throw .failed("\(error)")
        }
        slots[failed.slot] = live
        failedPorts[name] = nil
        // A PMD that stalls now keeps the previous generation alive (publish retains it) and takes this one
        // when it resumes; the port is up for the others, and health reports the stall.
        try? publish(
            Generation(
                config: config, slots: slots, reserved: reservedSlots, pmdLcores: config.pmdLcores.map(UInt32.init),
                rxAssignment: assignment, vxlanSlots: vxlanSlots))
        // A retried uplink has a MAC now: the VTEP answers and asks with it.
        syncVXLAN(freed: [], before: Self.remoteStaticMACs(config, slots: vxlanSlots))
    }

    /// The status `port.list` shows for a failed port: its settings, no device, zero counters, the error.
    func failedPortStatus(_ port: PortConfig, _ failed: FailedPort) -> PortStatus {
        PortStatus(
            name: port.name, index: failed.slot, dpdkPortID: -1, devargs: port.resolvedDevargs, driver: "",
            admin: port.admin.rawValue, linkUp: false, linkSpeedMbps: 0, mtu: port.mtu, macAddress: "",
            rxQueues: port.rxQueues, txQueues: 0, counters: PortCounterValues(), driverStats: nil,
            macLearning: macLearning(port: failed.slot), type: port.type.rawValue, error: failed.error)
    }

    /// Health problems of failed ports, one per port in configuration order, with the error.
    func failedPortProblems() -> [String] {
        config.ports.compactMap { port in
            failedPorts[port.name].map { "port \(port.name): not running: \($0.error)" }
        }
    }
}
