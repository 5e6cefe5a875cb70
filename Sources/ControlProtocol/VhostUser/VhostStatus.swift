/// The vhost-user side of a port's status (`port.list`, field `vhostUser`).
public struct VhostUserStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// No guest attached: the socket may not exist yet (client mode), or nobody connected (server mode).
        case waiting
        /// A guest negotiated its features and its rings are ready; traffic flows.
        case connected
    }

    public var path: String
    /// `client` (QEMU owns the socket) or `server` (Sluice owns it).
    public var mode: String
    public var state: State
    /// The virtio feature bits negotiated with the guest, as hex ("0x0" while waiting).
    public var negotiatedFeatures: String
    /// Queue pairs configured on the port.
    public var queuePairs: Int
    /// Virtqueues the guest set up (two per queue pair it uses).
    public var vrings: Int
    /// Queue indices whose guest transmit ring (Sluice receives from it) the guest enabled.
    public var guestTxQueuesEnabled: [Int]
    /// Queue indices whose guest receive ring (Sluice transmits to it) the guest enabled.
    public var guestRxQueuesEnabled: [Int]
    /// Guest attachments and detachments since sluiced started.
    public var connects: UInt64
    public var disconnects: UInt64

    public init(
        path: String, mode: String, state: State, negotiatedFeatures: UInt64, queuePairs: Int, vrings: Int,
        guestTxQueuesEnabled: [Int], guestRxQueuesEnabled: [Int], connects: UInt64, disconnects: UInt64
    ) {
        self.path = path
        self.mode = mode
        self.state = state
        self.negotiatedFeatures = "0x" + String(negotiatedFeatures, radix: 16)
        self.queuePairs = queuePairs
        self.vrings = vrings
        self.guestTxQueuesEnabled = guestTxQueuesEnabled
        self.guestRxQueuesEnabled = guestRxQueuesEnabled
        self.connects = connects
        self.disconnects = disconnects
    }

    /// The negotiated features as a number (nil if the text is not hex).
    public var negotiatedFeatureBits: UInt64? {
        UInt64(
            negotiatedFeatures.hasPrefix("0x") ? String(negotiatedFeatures.dropFirst(2)) : negotiatedFeatures, radix: 16
        )
    }
}

/// The driver's counters of one queue index (rx queue and tx queue with that index).
public struct QueueCounterValues: Codable, Sendable, Equatable {
    public var queue: Int
    public var rxPackets: UInt64
    public var rxBytes: UInt64
    public var txPackets: UInt64
    public var txBytes: UInt64

    public init(queue: Int, rxPackets: UInt64, rxBytes: UInt64, txPackets: UInt64, txBytes: UInt64) {
        self.queue = queue
        self.rxPackets = rxPackets
        self.rxBytes = rxBytes
        self.txPackets = txPackets
        self.txBytes = txBytes
    }
}
