/// A port's status as `port.list` reports it (its bridge and vhost-user parts are in those features' folders).

public struct PortStatus: Codable, Sendable, Equatable {
    public var name: String
    public var index: Int
    public var dpdkPortID: Int
    public var devargs: String
    public var driver: String
    public var admin: String
    public var linkUp: Bool
    public var linkSpeedMbps: Int
    public var mtu: Int
    public var macAddress: String
    public var rxQueues: Int
    public var txQueues: Int
    /// Sluice's own counters, summed over PMD threads.
    public var counters: PortCounterValues
    /// The driver's counters (what the device saw, including what never reached Sluice).
    public var driverStats: DriverStats?
    /// MAC learning on this port (nil for ports outside the bridge).
    public var macLearning: PortMACLearning?
    /// `dpdk` or `vhost-user` (absent from older servers: read as `dpdk`).
    public var type: String?
    /// The guest's side of a vhost-user port (nil for other ports).
    public var vhostUser: VhostUserStatus?
    /// The driver's counters per queue index (DPDK keeps them for the first 16 queues).
    public var queueCounters: [QueueCounterValues]?
    /// Only for a port of the desired state whose device could not be brought up (absent for ports that
    /// run): the error of the latest attempt. Such a port has no device (`dpdkPortID` -1, empty `driver` and
    /// `macAddress`, zero counters) until `port.retry` brings it up.
    public var error: String?

    public init(
        name: String, index: Int, dpdkPortID: Int, devargs: String, driver: String, admin: String, linkUp: Bool,
        linkSpeedMbps: Int, mtu: Int, macAddress: String, rxQueues: Int, txQueues: Int,
        counters: PortCounterValues, driverStats: DriverStats?, macLearning: PortMACLearning? = nil,
        type: String? = nil, vhostUser: VhostUserStatus? = nil, queueCounters: [QueueCounterValues]? = nil,
        error: String? = nil
    ) {
        self.name = name
        self.index = index
        self.dpdkPortID = dpdkPortID
        self.devargs = devargs
        self.driver = driver
        self.admin = admin
        self.linkUp = linkUp
        self.linkSpeedMbps = linkSpeedMbps
        self.mtu = mtu
        self.macAddress = macAddress
        self.rxQueues = rxQueues
        self.txQueues = txQueues
        self.counters = counters
        self.driverStats = driverStats
        self.macLearning = macLearning
        self.type = type
        self.vhostUser = vhostUser
        self.queueCounters = queueCounters
        self.error = error
    }
}

public struct PortCounterValues: Codable, Sendable, Equatable {
    public var rxPackets: UInt64
    public var rxBytes: UInt64
    public var txPackets: UInt64
    public var txBytes: UInt64
    /// Packets the port's tx queue did not accept after the bounded retries.
    public var txDropped: UInt64

    public init(
        rxPackets: UInt64 = 0, rxBytes: UInt64 = 0, txPackets: UInt64 = 0, txBytes: UInt64 = 0, txDropped: UInt64 = 0
    ) {
        self.rxPackets = rxPackets
        self.rxBytes = rxBytes
        self.txPackets = txPackets
        self.txBytes = txBytes
        self.txDropped = txDropped
    }
}

public struct DriverStats: Codable, Sendable, Equatable {
    public var rxPackets: UInt64
    public var txPackets: UInt64
    public var rxMissed: UInt64
    public var rxErrors: UInt64
    public var txErrors: UInt64
    public var rxNoMbuf: UInt64

    public init(
        rxPackets: UInt64, txPackets: UInt64, rxMissed: UInt64, rxErrors: UInt64, txErrors: UInt64, rxNoMbuf: UInt64
    ) {
        self.rxPackets = rxPackets
        self.txPackets = txPackets
        self.rxMissed = rxMissed
        self.rxErrors = rxErrors
        self.txErrors = txErrors
        self.rxNoMbuf = rxNoMbuf
    }
}
