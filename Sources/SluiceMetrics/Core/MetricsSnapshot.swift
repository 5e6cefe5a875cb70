import ControlProtocol

/// Everything the exporter reads from sluiced for one scrape: the results of the status methods, taken one
/// after the other on one connection (each is consistent in itself; the set is as close in time as the
/// calls are).
public struct MetricsSnapshot: Sendable, Equatable {
    public var ports: [PortStatus]
    public var stages: [StageStatus]
    public var pmds: [PMDStatus]
    public var vlans: [VLANStatus]
    // Feature sections (one per feature that exports more than its stage counters).
    public var qos: [QoSDirectionStatus]
    public var securityGroups: [SecurityGroupStatus]
    public var conntrack: ConntrackStats?
    public var vxlan: VXLANStatus?
    public var vxlanNeighbours: [UnderlayNeighbourStatus]
    public var dhcp: DHCPStatus?
    public var metadataClients: [MetadataClient]
    public var metadataNAT: [MetadataNATEntry]

    public init(
        ports: [PortStatus], stages: [StageStatus], pmds: [PMDStatus], vlans: [VLANStatus],
        qos: [QoSDirectionStatus] = [], securityGroups: [SecurityGroupStatus] = [], conntrack: ConntrackStats? = nil,
        vxlan: VXLANStatus? = nil, vxlanNeighbours: [UnderlayNeighbourStatus] = [], dhcp: DHCPStatus? = nil,
        metadataClients: [MetadataClient] = [], metadataNAT: [MetadataNATEntry] = []
    ) {
        self.ports = ports
        self.stages = stages
        self.pmds = pmds
        self.vlans = vlans
        self.qos = qos
        self.securityGroups = securityGroups
        self.conntrack = conntrack
        self.vxlan = vxlan
        self.vxlanNeighbours = vxlanNeighbours
        self.dhcp = dhcp
        self.metadataClients = metadataClients
        self.metadataNAT = metadataNAT
    }

    /// Reads a snapshot through `client`.
    public static func read(from client: ControlClient) throws(ControlClient.ClientError) -> MetricsSnapshot {
        MetricsSnapshot(
            ports: try client.call(PortMethods.list), stages: try client.call(StatusMethods.stageList),
            pmds: try client.call(StatusMethods.pmdList), vlans: try client.call(BridgeMethods.vlanList),
            qos: try client.call(QoSMethods.show), securityGroups: try client.call(SecurityGroupsMethods.sgList),
            conntrack: try client.call(SecurityGroupsMethods.conntrackStats), vxlan: try client.call(VXLANMethods.show),
            vxlanNeighbours: try client.call(VXLANMethods.neighbours), dhcp: try client.call(DHCPMethods.show),
            metadataClients: try client.call(MetadataMethods.clients), metadataNAT: try client.call(MetadataMethods.nat)
        )
    }
}
