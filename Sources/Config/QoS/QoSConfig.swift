/// A port's QoS: token buckets on what it receives (`from-vm`, held back) and on what the switch sends out
/// of it (`to-vm`, policed). Nil directions and buckets are unlimited. See docs/qos.md.
public struct QoSConfig: Equatable, Sendable {
    public var fromVM: QoSDirectionConfig?
    public var toVM: QoSDirectionConfig?

    public init(fromVM: QoSDirectionConfig? = nil, toVM: QoSDirectionConfig? = nil) {
        self.fromVM = fromVM
        self.toVM = toVM
    }
}

/// One direction's buckets: bandwidth (bytes of whole frames; the rate is given in bits per second) and
/// packets. A packet passes when every configured bucket has tokens for it.
public struct QoSDirectionConfig: Equatable, Sendable {
    public var bandwidth: QoSBucketConfig?
    public var packets: QoSBucketConfig?

    public init(bandwidth: QoSBucketConfig? = nil, packets: QoSBucketConfig? = nil) {
        self.bandwidth = bandwidth
        self.packets = packets
    }
}

/// One token bucket: `rate` tokens per second (for bandwidth: bits per second, tokens are bytes), at most
/// `burst` tokens (bytes or packets), and `oneTimeBurst` extra tokens available once, spent first.
public struct QoSBucketConfig: Equatable, Sendable {
    public var rate: Int
    public var burst: Int
    public var oneTimeBurst: Int

    public init(rate: Int, burst: Int, oneTimeBurst: Int = 0) {
        self.rate = rate
        self.burst = burst
        self.oneTimeBurst = oneTimeBurst
    }
}

extension PortConfig {
    /// The largest frame the port carries: its MTU, the Ethernet header and one 802.1Q tag. A bandwidth
    /// bucket's burst must hold one, or a full frame could never pass.
    public var maxFrameBytes: Int { mtu + 18 }
}
