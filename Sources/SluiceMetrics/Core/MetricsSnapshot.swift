import ControlProtocol

/// Everything the exporter reads from sluiced for one scrape: the results of the status methods, taken one
/// after the other on one connection (each is consistent in itself; the set is as close in time as the
/// calls are).
public struct MetricsSnapshot: Sendable, Equatable {
    public var ports: [PortStatus]
    public var stages: [StageStatus]
    public var pmds: [PMDStatus]
    public var vlans: [VLANStatus]

    public init(ports: [PortStatus], stages: [StageStatus], pmds: [PMDStatus], vlans: [VLANStatus]) {
        self.ports = ports
        self.stages = stages
        self.pmds = pmds
        self.vlans = vlans
    }

    /// Reads a snapshot through `client`.
    public static func read(from client: ControlClient) throws(ControlClient.ClientError) -> MetricsSnapshot {
        MetricsSnapshot(
            ports: try client.call(PortMethods.list), stages: try client.call(StatusMethods.stageList),
            pmds: try client.call(StatusMethods.pmdList), vlans: try client.call(BridgeMethods.vlanList))
    }
}
