/// The dataplane's state as the control API reports it: versions, health, PMD threads and stages (ports and
/// the bridge have theirs in their folders). These are the API's data types: the dataplane fills them, the
/// socket carries them as JSON, `sluicectl` renders them.

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
    /// The PMD's punt path (packets to and from the control thread's handlers): punted, punt-ring-full,
    /// handled, unhandled, injected, inject-ring-full, inject-sent, inject-port-down. Nil from daemons that
    /// have none.
    public var punt: [String: UInt64]?
    /// Busy cycles this PMD spent on each rx queue it polls, in `rxQueues` order (RxqBalance/). Nil from
    /// daemons that do not measure them.
    public var rxQueueLoads: [RxQueueLoad]?

    public init(
        lcore: Int, numaSocket: Int, rxQueues: [String], iterations: UInt64, busyCycles: UInt64, idleCycles: UInt64,
        rxPackets: UInt64, punt: [String: UInt64]? = nil, rxQueueLoads: [RxQueueLoad]? = nil
    ) {
        self.punt = punt
        self.rxQueueLoads = rxQueueLoads
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

/// `health`: whether the dataplane does its job.
public struct HealthStatus: Codable, Sendable, Equatable {
    /// "ok", or "degraded" with the reasons in `problems`.
    public var status: String
    public var problems: [String]
    public var pmdsRunning: Int
    public var pmds: Int
    public var ports: Int
    /// Ports administratively up whose link is up.
    public var portsLinkUp: Int
    public var revision: Int
    public var uptimeSeconds: Double

    public init(
        status: String, problems: [String], pmdsRunning: Int, pmds: Int, ports: Int, portsLinkUp: Int, revision: Int,
        uptimeSeconds: Double
    ) {
        self.status = status
        self.problems = problems
        self.pmdsRunning = pmdsRunning
        self.pmds = pmds
        self.ports = ports
        self.portsLinkUp = portsLinkUp
        self.revision = revision
        self.uptimeSeconds = uptimeSeconds
    }
}
