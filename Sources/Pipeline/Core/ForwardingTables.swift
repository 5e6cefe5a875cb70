import DPDK
import Packet

/// An rx queue as a PMD sees it: the port (an ethdev or a vhost-user port, `PortIO`), the queue, the port's
/// slot in the port tables (the ingress of every packet received here) and this PMD's counters for the port.
@frozen
public struct RxQueueRef: Sendable {
    public var port: PortIO
    public var queue: UInt16
    public var portIndex: UInt16
    public var counters: PortCounters

    public init(port: PortIO, queue: UInt16, portIndex: UInt16, counters: PortCounters) {
        self.port = port
        self.queue = queue
        self.portIndex = portIndex
        self.counters = counters
    }

    /// An ethdev port's rx queue.
    public init(port: EthPort, queue: UInt16, portIndex: UInt16, counters: PortCounters) {
        self.init(port: PortIO(ethPort: port), queue: queue, portIndex: portIndex, counters: counters)
    }
}

/// Everything one PMD reads from the configuration, as of one published generation: what it polls, where
/// it may send, and the bridge's tables. Immutable once published. The control thread builds a complete new
/// set for every change, publishes it with one atomic pointer store per PMD and frees the old set only
/// after every PMD has passed a quiescent state (see `Dataplane.publish`), so the fast path reads it with
/// plain loads: no locks, no barriers, no reference counting.
///
/// Port tables are indexed by port slot (`0 ..< maxPorts`); slots without a port are disabled.
@frozen
public struct ForwardingTables: @unchecked Sendable {
    /// VLAN membership, tagging and port security of every slot.
    public var bridge: BridgeView
    /// Patch peer of each slot, or `PacketMeta.noEgress` (`maxPorts` entries).
    public var peers: UnsafeMutablePointer<UInt16>
    /// This PMD's tx queue on each slot (`maxPorts` entries).
    public var targets: UnsafeMutablePointer<TxTarget>
    /// The slots holding a port that is administratively up (may be sent to).
    public var enabled: PortSet
    /// The rx queues this PMD polls.
    public var rxQueues: UnsafeMutablePointer<RxQueueRef>
    public var rxQueueCount: Int
    /// Unique per generation, never reused (unlike addresses: a new generation's tables can land where a
    /// freed one's were, and a PMD that slept through a whole generation must still notice the change).
    public var generationID: UInt64
    /// The security groups' compiled rules and this PMD's hit counters (SecurityGroups/).
    public var securityGroups: SecurityGroupView
    /// QoS: the ports limited in each direction, their buckets and this PMD's QoS counters.
    public var qos: QoSTables
    /// The VXLAN tunnel endpoint (VXLAN/VXLANTables.swift): disabled without a `vxlan` section.
    public var vxlan: VXLANView
    /// The running packet captures and this PMD's capture ring (Capture/): the same memory in every generation.
    public var capture: CaptureTap
    /// The ports whose DHCP requests the responder answers (DHCP/DHCPStage.swift): none without `dhcp`.
    public var dhcp: DHCPView
    /// The metadata intercept (Metadata/MetadataTables.swift): `.off` without a `metadata` section.
    public var metadata: MetadataView

    /// The slots of every port table: `PortLimit.maxPorts`; port sets (VLAN membership, the enabled set) are
    /// `PortSet`s.
    @inlinable public static var maxPorts: Int { PortLimit.maxPorts }

    public init(
        bridge: BridgeView, peers: UnsafeMutablePointer<UInt16>, targets: UnsafeMutablePointer<TxTarget>,
        enabled: PortSet, rxQueues: UnsafeMutablePointer<RxQueueRef>, rxQueueCount: Int, generationID: UInt64,
        securityGroups: SecurityGroupView = SecurityGroupTables.unfilteredView, qos: QoSTables = .off,
        vxlan: VXLANView = VXLANTables.disabled.view, capture: CaptureTap = .off, dhcp: DHCPView = .disabled,
        metadata: MetadataView = .off
    ) {
        self.dhcp = dhcp
        self.metadata = metadata
        self.vxlan = vxlan
        self.capture = capture
        self.securityGroups = securityGroups
        self.generationID = generationID
        self.bridge = bridge
        self.peers = peers
        self.targets = targets
        self.enabled = enabled
        self.rxQueues = rxQueues
        self.rxQueueCount = rxQueueCount
        self.qos = qos
    }
}
