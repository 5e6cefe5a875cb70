/// The dataplane's state as the control API reports it. These are the API's data types: the dataplane fills
/// them, the socket carries them as JSON, `sluicectl` renders them.

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

    public init(
        name: String, index: Int, dpdkPortID: Int, devargs: String, driver: String, admin: String, linkUp: Bool,
        linkSpeedMbps: Int, mtu: Int, macAddress: String, rxQueues: Int, txQueues: Int,
        counters: PortCounterValues, driverStats: DriverStats?, macLearning: PortMACLearning? = nil,
        type: String? = nil, vhostUser: VhostUserStatus? = nil, queueCounters: [QueueCounterValues]? = nil
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
    }
}

/// A port's share of the MAC table.
public struct PortMACLearning: Codable, Sendable, Equatable {
    /// MACs currently learned on the port (static entries not included).
    public var learned: Int
    /// The most it may learn (`max-macs`).
    public var limit: Int
    /// Source MACs not learned because the port was at its limit.
    public var limitReached: UInt64
    /// Source MACs not learned because the table had no room near their slot.
    public var tableFull: UInt64

    public init(learned: Int, limit: Int, limitReached: UInt64, tableFull: UInt64) {
        self.learned = learned
        self.limit = limit
        self.limitReached = limitReached
        self.tableFull = tableFull
    }
}

/// One entry of the MAC table.
public struct MACEntry: Codable, Sendable, Equatable {
    public var vlan: Int
    public var mac: String
    public var port: String
    /// Seconds since a frame from this MAC was last seen (0 for static entries).
    public var ageSeconds: Int
    public var isStatic: Bool

    public init(vlan: Int, mac: String, port: String, ageSeconds: Int, isStatic: Bool) {
        self.vlan = vlan
        self.mac = mac
        self.port = port
        self.ageSeconds = ageSeconds
        self.isStatic = isStatic
    }
}

/// Parameters of `mac.flush` (both absent: every learned entry).
public struct MACFlushParams: Codable, Sendable, Equatable {
    public var port: String?
    public var vlan: Int?

    public init(port: String? = nil, vlan: Int? = nil) {
        self.port = port
        self.vlan = vlan
    }
}

public struct MACFlushResult: Codable, Sendable, Equatable {
    public var flushed: Int
    public init(flushed: Int) { self.flushed = flushed }
}

public struct PortCounterValues: Codable, Sendable, Equatable {
    public var rxPackets: UInt64
    public var rxBytes: UInt64
    public var txPackets: UInt64
    public var txBytes: UInt64
    /// Packets the port's tx queue did not accept after the bounded retries.
    public var txDropped: UInt64

    public init(rxPackets: UInt64 = 0, rxBytes: UInt64 = 0, txPackets: UInt64 = 0, txBytes: UInt64 = 0, txDropped: UInt64 = 0) {
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

    public init(rxPackets: UInt64, txPackets: UInt64, rxMissed: UInt64, rxErrors: UInt64, txErrors: UInt64, rxNoMbuf: UInt64) {
        self.rxPackets = rxPackets
        self.txPackets = txPackets
        self.rxMissed = rxMissed
        self.rxErrors = rxErrors
        self.txErrors = txErrors
        self.rxNoMbuf = rxNoMbuf
    }
}

public struct PMDStatus: Codable, Sendable, Equatable {
    public var lcore: Int
    public var numaSocket: Int
    /// "port/queue" for every rx queue this PMD polls.
    public var rxQueues: [String]
    public var iterations: UInt64
    public var busyCycles: UInt64
    public var idleCycles: UInt64
    public var rxPackets: UInt64
    /// Share of cycles spent in iterations that received packets, 0...100.
    public var busyPercent: Double
    /// Busy cycles per received packet (0 when nothing was received).
    public var cyclesPerPacket: Double

    public init(
        lcore: Int, numaSocket: Int, rxQueues: [String], iterations: UInt64, busyCycles: UInt64, idleCycles: UInt64,
        rxPackets: UInt64
    ) {
        self.lcore = lcore
        self.numaSocket = numaSocket
        self.rxQueues = rxQueues
        self.iterations = iterations
        self.busyCycles = busyCycles
        self.idleCycles = idleCycles
        self.rxPackets = rxPackets
        let total = busyCycles + idleCycles
        busyPercent = total == 0 ? 0 : Double(busyCycles) * 100 / Double(total)
        cyclesPerPacket = rxPackets == 0 ? 0 : Double(busyCycles) / Double(rxPackets)
    }
}

/// One pipeline stage's counters, summed over PMD threads (VPP's `show runtime`, per stage).
public struct StageStatus: Codable, Sendable, Equatable {
    public var name: String
    public var calls: UInt64
    public var packetsIn: UInt64
    public var packetsOut: UInt64
    public var cycles: UInt64
    public var cyclesPerPacket: Double
    /// Drops by reason; every reason is listed, including those at zero.
    public var drops: [String: UInt64]
    /// What the stage counts besides drops (e.g. MACs learned, floods); every event is listed.
    public var events: [String: UInt64]

    public init(
        name: String, calls: UInt64, packetsIn: UInt64, packetsOut: UInt64, cycles: UInt64, drops: [String: UInt64],
        events: [String: UInt64] = [:]
    ) {
        self.name = name
        self.calls = calls
        self.packetsIn = packetsIn
        self.packetsOut = packetsOut
        self.cycles = cycles
        cyclesPerPacket = packetsIn == 0 ? 0 : Double(cycles) / Double(packetsIn)
        self.drops = drops
        self.events = events
    }
}

public struct VersionInfo: Codable, Sendable, Equatable {
    public var sluice: String
    public var dpdk: String
    public var pid: Int32
    public var uptimeSeconds: Double

    public init(sluice: String, dpdk: String, pid: Int32, uptimeSeconds: Double) {
        self.sluice = sluice
        self.dpdk = dpdk
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
    }
}

public enum SluiceVersion {
    public static let current = "0.1.0"
}
