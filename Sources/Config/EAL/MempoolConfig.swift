/// The single packet-buffer pool shared by all ports.
public struct MempoolConfig: Equatable, Sendable {
    /// Number of mbufs. DPDK pools are most memory-efficient at 2^n - 1, hence the odd default.
    public var mbufs: Int
    /// Per-lcore cache of free mbufs; avoids touching the shared ring on every burst.
    public var cacheSize: Int
    /// Packet data room per mbuf, excluding the headroom Sluice adds. Bounds the MTU, because Sluice does not
    /// use scatter-gather receive.
    public var mbufDataSize: Int

    public init(mbufs: Int = 16383, cacheSize: Int = 256, mbufDataSize: Int = 2048) {
        self.mbufs = mbufs
        self.cacheSize = cacheSize
        self.mbufDataSize = mbufDataSize
    }

    /// RTE_PKTMBUF_HEADROOM of Debian's DPDK build: reserved in front of packet data for prepending headers.
    public static let headroom = 128
}
