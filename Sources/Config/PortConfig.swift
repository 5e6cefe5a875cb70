/// One DPDK port as the operator describes it.
public struct PortConfig: Equatable, Sendable {
    /// The name used everywhere else (patches, counters, the control socket); DPDK's own names are unwieldy.
    public var name: String
    /// DPDK device arguments: a PCI address or a `net_*` virtual device, optionally followed by `,key=value`.
    public var devargs: String
    public var rxQueues: Int
    /// Nil means one per PMD thread, which is also the minimum: DPDK tx queues are not thread-safe, so every
    /// PMD thread needs a tx queue of its own on every port it may send to.
    public var txQueues: Int?
    public var rxDescriptors: Int
    public var txDescriptors: Int
    public var mtu: Int
    public var admin: AdminState
    /// The lcore polling each rx queue, by queue index; nil distributes queues round-robin over PMD threads.
    public var rxQueueAffinity: [Int]?

    public init(
        name: String,
        devargs: String,
        rxQueues: Int = 1,
        txQueues: Int? = nil,
        rxDescriptors: Int = 1024,
        txDescriptors: Int = 1024,
        mtu: Int = 1500,
        admin: AdminState = .up,
        rxQueueAffinity: [Int]? = nil
    ) {
        self.name = name
        self.devargs = devargs
        self.rxQueues = rxQueues
        self.txQueues = txQueues
        self.rxDescriptors = rxDescriptors
        self.txDescriptors = txDescriptors
        self.mtu = mtu
        self.admin = admin
        self.rxQueueAffinity = rxQueueAffinity
    }

    /// The devargs up to the first comma: what DPDK names the device.
    public var deviceName: String {
        Devargs.deviceName(of: devargs)
    }

    /// Whether the device is a PCI function (passed to EAL's allow-list) rather than a virtual device
    /// (hot-plugged by the dataplane).
    public var isPCI: Bool {
        Devargs.pciAddress(deviceName) != nil
    }

    public func effectiveTxQueues(pmdCount: Int) -> Int {
        txQueues ?? pmdCount
    }
}

public enum AdminState: String, Equatable, Sendable, CaseIterable {
    case up, down
}
