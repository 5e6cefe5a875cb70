/// What the pipeline's stages are built from: the tables shared by every generation (the MAC table), the PMD's
/// constants, and the configuration tables a stage uses until the first generation is bound (`bind` replaces
/// them; tests run stages on these alone). The caller keeps everything the pointers reach alive while the
/// pipeline exists. A stage that needs a new shared table (one that outlives generations, as the MAC table
/// does) adds one field here and sets it where the dataplane creates the table.
public struct PipelineResources {
    /// VLAN membership, tagging and port security until a generation is bound.
    public var bridge: BridgeView
    /// Patch peer of each port slot until a generation is bound (nil: not patched).
    public var peers: [UInt16?]
    /// This PMD's tx queue on each port slot until a generation is bound.
    public var targets: [TxTarget]
    /// The MAC table shared by every PMD.
    public var macTable: MACTableView
    /// The TSC rate: stages that keep time (MAC learning) count in TSC cycles.
    public var tscHz: UInt64
    /// Packets per burst: the most any stage must hold for one port.
    public var burstCapacity: Int
    /// The connection table shared by every PMD (SecurityGroups/).
    public var connTable: ConnTableView
    /// The security groups until a generation is bound.
    public var securityGroups: SecurityGroupView
    /// This PMD's punt path (PuntPath.swift): a stage that hands packets to a control-thread handler keeps a
    /// copy. Nil in tests that run stages without a dataplane.
    public var punt: PuntPath?
    /// The VXLAN tables until a generation is bound.
    public var vxlan: VXLANView
    /// The remote VTEPs' resolved next hops, shared by every PMD and written by the control thread.
    public var vxlanNextHops: VXLANNextHopsView
    /// This PMD's per remote VTEP counters (VXLAN/VXLANVTEPCounters.swift), read by `vxlan.show` (nil: the
    /// stages allocate their own, as in tests).
    public var vxlanCounters: VXLANVTEPCounters?
    /// The metadata intercept's tables until a generation is bound.
    public var metadata: MetadataView = .off

    public init(
        bridge: BridgeView, peers: [UInt16?] = [], targets: [TxTarget] = [], macTable: MACTableView, tscHz: UInt64,
        burstCapacity: Int, connTable: ConnTableView = ConnTable.placeholder.view,
        securityGroups: SecurityGroupView = SecurityGroupTables.unfilteredView, punt: PuntPath? = nil,
        vxlan: VXLANView = VXLANTables.disabled.view, vxlanNextHops: VXLANNextHopsView = VXLANNextHops.none.view,
        vxlanCounters: VXLANVTEPCounters? = nil
    ) {
        self.vxlanCounters = vxlanCounters
        self.vxlan = vxlan
        self.vxlanNextHops = vxlanNextHops
        self.connTable = connTable
        self.securityGroups = securityGroups
        self.punt = punt
        self.bridge = bridge
        self.peers = peers
        self.targets = targets
        self.macTable = macTable
        self.tscHz = tscHz
        self.burstCapacity = burstCapacity
    }
}
