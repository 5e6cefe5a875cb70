import Config
import DPDK
import Glibc
import Pipeline

/// A configured, started port and the counters every PMD keeps for it.
public final class Port: @unchecked Sendable {
    // @unchecked: immutable after setup except through DPDK calls, which DPDK makes safe for the control
    // thread while PMDs poll (stats, link state).
    /// The port's slot in the port tables.
    public let index: Int
    /// As configured now; the control thread updates what changes without reopening the device.
    public internal(set) var config: PortConfig
    /// The DPDK ethdev; nil for a vhost-user port, which is driven through rte_vhost (`vhostSocket`).
    public let ethPort: EthPort?
    public let info: EthPort.Info
    public let txQueues: Int
    /// How the PMDs receive from and send to it.
    public let io: PortIO
    /// Counters per PMD lcore.
    public let countersByLcore: [UInt32: PortCounters]
    /// The vhost-user socket and its guest, for a vhost-user port (VhostPort.swift).
    public let vhostSocket: VhostUserSocket?

    init(
        index: Int, config: PortConfig, ethPort: EthPort?, info: EthPort.Info, txQueues: Int, pmdLcores: [UInt32],
        io: PortIO, vhostSocket: VhostUserSocket? = nil
    ) {
        self.index = index
        self.vhostSocket = vhostSocket
        self.config = config
        self.ethPort = ethPort
        self.info = info
        self.txQueues = txQueues
        self.io = io
        countersByLcore = Dictionary(uniqueKeysWithValues: pmdLcores.map { ($0, PortCounters.allocate()) })
    }

    deinit {
        // Every generation referencing this port (and so every PMD that could count on it) is gone.
        for counters in countersByLcore.values { counters.block.deallocate() }
    }

    public var name: String { config.name }
    public var isUp: Bool { config.admin == .up }
}

/// A failure to bring up the dataplane, with the port or setting it concerns.
public struct DataplaneError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Port {
    /// Attaches and starts a port: probe the device, check it can serve the requested queues, configure,
    /// set up queues, MTU and promiscuous mode, start it. A vhost-user port registers its socket with
    /// rte_vhost instead (VhostPort.swift).
    static func bringUp(
        index: Int, config: PortConfig, pmdLcores: [UInt32], rxQueueSockets: [Int32], pool: PacketPool
    ) throws -> Port {
        if config.vhostUser != nil {
            return try bringUpVhostUser(index: index, config: config, pmdLcores: pmdLcores, pool: pool)
        }
        let context = "port '\(config.name)' (\(config.resolvedDevargs))"
        let ethPort: EthPort
        do {
            ethPort = try EthPort.attach(devargs: config.resolvedDevargs, deviceName: config.deviceName)
        } catch {
            throw DataplaneError("\(context): cannot attach the device: \(error)")
        }
        do {
            return try configureAndStart(
                ethPort, index: index, config: config, pmdLcores: pmdLcores, rxQueueSockets: rxQueueSockets, pool: pool)
        } catch {
            // Leave nothing behind: a device left probed would be adopted, with its old settings, by the next
            // attach of the same name.
            try? ethPort.stop()
            try? ethPort.close()
            try? EthPort.detach(deviceName: config.deviceName, bus: config.isPCI ? "pci" : "vdev")
            throw error
        }
    }

    private static func configureAndStart(
        _ ethPort: EthPort, index: Int, config: PortConfig, pmdLcores: [UInt32], rxQueueSockets: [Int32],
        pool: PacketPool
    ) throws -> Port {
        let context = "port '\(config.name)' (\(config.resolvedDevargs))"
        let info = try wrap(context) { () throws(DPDKError) in try ethPort.info() }
        let txQueues = config.effectiveTxQueues(pmdCount: pmdLcores.count)
        guard config.rxQueues <= info.maxRxQueues else {
            throw DataplaneError(
                "\(context): rx-queues is \(config.rxQueues) but driver \(info.driverName) supports at most \(info.maxRxQueues)"
            )
        }
        guard txQueues <= info.maxTxQueues else {
            throw DataplaneError(
                "\(context): needs \(txQueues) tx queues (one per PMD thread) but driver \(info.driverName) supports at most \(info.maxTxQueues)"
            )
        }
        try wrap(context) { () throws(DPDKError) in
            try ethPort.configure(rxQueues: config.rxQueues, txQueues: txQueues)
            for queue in 0..<config.rxQueues {
                try ethPort.setupRxQueue(
                    queue, descriptors: config.rxDescriptors, socket: rxQueueSockets[queue], pool: pool)
            }
            for queue in 0..<txQueues {
                try ethPort.setupTxQueue(queue, descriptors: config.txDescriptors, socket: info.socket)
            }
        }
        do {
            try ethPort.setMTU(config.mtu)
        } catch let error where error.code == ENOTSUP {
            // Devices without a settable MTU (pcap, null, ring) are fine when theirs already matches.
            if ethPort.mtu != config.mtu {
                throw DataplaneError(
                    "\(context): mtu \(config.mtu) requested but driver \(info.driverName) cannot set an MTU")
            }
        } catch {
            throw DataplaneError("\(context): \(error)")
        }
        try wrap(context) { () throws(DPDKError) in
            try ethPort.enablePromiscuous()
            try ethPort.start()
            if config.admin == .down { try ethPort.setLink(up: false) }
        }
        return Port(
            index: index, config: config, ethPort: ethPort, info: info, txQueues: txQueues, pmdLcores: pmdLcores,
            io: PortIO(ethPort: ethPort))
    }

    /// Stops and closes the port (a hot-plugged virtual device disappears with it, e.g. its tap interface).
    /// With `detach`, the device is also unplugged from its bus so that the same device can be attached
    /// again later (a port removed or reconfigured at run time).
    /// A vhost-user port's socket is unregistered (its guest detached; in server mode the socket file goes).
    func shutDown(detach: Bool = false) {
        vhostSocket?.unregister()
        guard let ethPort else { return }
        try? ethPort.stop()
        try? ethPort.close()
        if detach { try? EthPort.detach(deviceName: config.deviceName, bus: config.isPCI ? "pci" : "vdev") }
    }
}

func wrap<T>(_ context: String, _ body: () throws(DPDKError) -> T) throws -> T {
    do { return try body() } catch { throw DataplaneError("\(context): \(error)") }
}
