/// QoS as `qos.show` reports it: one row per limited port and direction.

/// One token bucket's settings and its tokens now.
public struct QoSBucketStatus: Codable, Sendable, Equatable {
    /// `bandwidth` (tokens are bytes) or `packets`.
    public var kind: String
    /// Bits per second for bandwidth, packets per second for packets.
    public var rate: Double
    /// The bucket's size: bytes or packets.
    public var burst: UInt64
    /// Tokens in the bucket now (not counting the one-time burst), never above `burst`.
    public var tokens: UInt64
    /// What is left of the one-time burst.
    public var oneTimeBurstLeft: UInt64

    public init(kind: String, rate: Double, burst: UInt64, tokens: UInt64, oneTimeBurstLeft: UInt64) {
        self.kind = kind
        self.rate = rate
        self.burst = burst
        self.tokens = tokens
        self.oneTimeBurstLeft = oneTimeBurstLeft
    }
}

/// One direction of one port.
public struct QoSDirectionStatus: Codable, Sendable, Equatable {
    public var port: String
    /// `from-vm` or `to-vm`.
    public var direction: String
    public var buckets: [QoSBucketStatus]
    /// Packets and bytes that passed, summed over PMDs.
    public var passedPackets: UInt64
    public var passedBytes: UInt64
    /// from-vm: polls of the port's rx queues that dequeued nothing because the buckets were empty (the
    /// packets waited in the guest's ring). 0 for to-vm.
    public var heldPolls: UInt64
    /// from-vm: how long the port was held back (its buckets empty, its rx queues left alone), in seconds,
    /// summed over the PMDs that poll it. 0 for to-vm.
    public var heldSeconds: Double
    /// to-vm: packets and bytes dropped for lack of tokens (`qos-to-vm`). 0 for from-vm.
    public var droppedPackets: UInt64
    public var droppedBytes: UInt64

    public init(
        port: String, direction: String, buckets: [QoSBucketStatus], passedPackets: UInt64, passedBytes: UInt64,
        heldPolls: UInt64, heldSeconds: Double, droppedPackets: UInt64, droppedBytes: UInt64
    ) {
        self.port = port
        self.direction = direction
        self.buckets = buckets
        self.passedPackets = passedPackets
        self.passedBytes = passedBytes
        self.heldPolls = heldPolls
        self.heldSeconds = heldSeconds
        self.droppedPackets = droppedPackets
        self.droppedBytes = droppedBytes
    }
}
