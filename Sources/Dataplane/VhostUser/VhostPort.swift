import Config
import ControlProtocol
import DPDK
import Glibc

/// What the dataplane does for `type: vhost-user` ports beyond any other port: the socket's file in
/// server mode, and the status of the guest on the other side.
enum VhostSocket {
    /// In server mode Sluice creates the socket, and the vhost library refuses to bind over an existing
    /// file. A socket left by a Sluice that was killed is removed; one that someone still listens on, or a
    /// file that is not a socket, is an error. The socket's directory is created if missing. In client mode
    /// QEMU owns the socket and nothing is touched.
    static func prepare(_ vhost: VhostUserConfig) throws(DataplaneError) {
        guard vhost.mode == .server else { return }
        try makeDirectories(parentOf: vhost.path)
        var info = stat()
        guard lstat(vhost.path, &info) == 0 else { return }  // nothing there
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw DataplaneError("\(vhost.path) exists and is not a socket; remove it or choose another path")
        }
        // Only a socket nobody listens on (ECONNREFUSED) is stale; one we cannot probe is not ours to remove.
        switch UnixSocketAddress(path: vhost.path)?.probe() ?? ENAMETOOLONG {
        case 0, EAGAIN:
            throw DataplaneError("\(vhost.path) is in use: another process is listening on it (a second sluiced?)")
        case ECONNREFUSED, ENOENT:
            break
        case let error:
            throw DataplaneError("cannot tell whether \(vhost.path) is in use: \(String(cString: strerror(error)))")
        }
        guard unlink(vhost.path) == 0 || errno == ENOENT else {
            throw DataplaneError("cannot remove the stale socket \(vhost.path): \(String(cString: strerror(errno)))")
        }
    }

    private static func makeDirectories(parentOf path: String) throws(DataplaneError) {
        var directory = ""
        let components = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        for component in components {
            directory += "/" + component
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw DataplaneError(
                    "cannot create the socket directory \(directory): \(String(cString: strerror(errno)))")
            }
        }
    }
}

extension Port {
    /// Brings up a vhost-user port: its socket prepared (server mode), registered with rte_vhost and opened.
    /// No ethdev: the PMDs call rte_vhost on the guest's virtqueues (`PortIO`), and count per queue.
    static func bringUpVhostUser(index: Int, config: PortConfig, pmdLcores: [UInt32], pool: PacketPool) throws -> Port {
        guard let vhost = config.vhostUser else { preconditionFailure("not a vhost-user port") }
        let context = "port '\(config.name)' (vhost-user \(vhost.path))"
        do { try VhostSocket.prepare(vhost) } catch { throw DataplaneError("\(context): \(error)") }
        let socket = try wrap(context) { () throws(DPDKError) in
            try VhostUserSocket.register(path: vhost.path, client: vhost.mode == .client, queuePairs: vhost.queues)
        }
        do {
            try wrap(context) { () throws(DPDKError) in try socket.start() }
        } catch {
            socket.unregister()
            throw error
        }
        return Port(
            index: index, config: config, ethPort: nil, info: socket.info, txQueues: vhost.queues, pmdLcores: pmdLcores,
            io: PortIO(vhost: socket, pool: pool), vhostSocket: socket)
    }

    /// The vhost-user part of the port's status; nil for other ports.
    func vhostUserStatus() -> VhostUserStatus? {
        guard let vhost = config.vhostUser, let socket = vhostSocket else { return nil }
        let state = socket.state
        func queues(_ mask: UInt64) -> [Int] { (0..<64).filter { mask & (UInt64(1) << UInt64($0)) != 0 } }
        return VhostUserStatus(
            path: vhost.path, mode: vhost.mode.rawValue, state: state.connected ? .connected : .waiting,
            negotiatedFeatures: state.negotiatedFeatures, queuePairs: vhost.queues, vrings: state.vrings,
            guestTxQueuesEnabled: queues(state.guestTxQueueMask), guestRxQueuesEnabled: queues(state.guestRxQueueMask),
            connects: state.connects, disconnects: state.disconnects)
    }

    /// The counters per rx and tx queue: the driver's (those DPDK keeps: the first 16 of each), or for a
    /// vhost-user port the PMDs' own per queue pair.
    func queueCounters() -> [QueueCounterValues]? {
        if let socket = vhostSocket {
            return (0..<socket.queuePairs).map { q in
                let c = socket.counts(queue: q)
                return QueueCounterValues(
                    queue: q, rxPackets: c.rxPackets, rxBytes: c.rxBytes, txPackets: c.txPackets, txBytes: c.txBytes)
            }
        }
        guard let ethPort, let stats = ethPort.queueStats(rxQueues: config.rxQueues, txQueues: txQueues) else {
            return nil
        }
        let count = max(stats.rxPackets.count, stats.txPackets.count)
        return (0..<count).map { q in
            QueueCounterValues(
                queue: q, rxPackets: q < stats.rxPackets.count ? stats.rxPackets[q] : 0,
                rxBytes: q < stats.rxBytes.count ? stats.rxBytes[q] : 0,
                txPackets: q < stats.txPackets.count ? stats.txPackets[q] : 0,
                txBytes: q < stats.txBytes.count ? stats.txBytes[q] : 0)
        }
    }
}
