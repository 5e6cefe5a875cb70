import DPDK
import Packet
import Pipeline

/// A `SwitchPipeline` over the loopback ports with VXLAN tables bound (slots 0...2 enabled, the rest of the 64
/// disabled), and the memory its tables point at: the punt path, peers, tx targets and rx queue list. The
/// fixture keeps the tables it was given alive and frees the rest (punted packets included) with itself.
final class VXLANPipelineFixture {
    let punt = PuntPath.allocate()
    private let peers = UnsafeMutablePointer<UInt16>.allocate(capacity: ForwardingTables.maxPorts)
    /// Ports 0-2 up.
    private let enabled = PortSet.allocate(0..<3)
    private let targetMemory = UnsafeMutablePointer<TxTarget>.allocate(capacity: ForwardingTables.maxPorts)
    private let queues = UnsafeMutablePointer<RxQueueRef>.allocate(capacity: 1)
    private let tables: (BridgeTables, MACTable, VXLANTables, VXLANNextHops)
    var pipeline: SwitchPipeline

    init(
        _ env: TestDPDK.Environment, bridge: BridgeTables, table: MACTable, vxlan: VXLANTables, hops: VXLANNextHops
    ) {
        tables = (bridge, table, vxlan, hops)
        let targets = env.targets()
        peers.initialize(repeating: PacketMeta.noEgress, count: ForwardingTables.maxPorts)
        for slot in 0..<ForwardingTables.maxPorts {
            (targetMemory + slot).initialize(
                to: slot < targets.count
                    ? targets[slot] : TxTarget(port: EthPort(id: .max), queue: 0, counters: .allocate(), enabled: false)
            )
        }
        pipeline = SwitchPipeline(
            PipelineResources(
                bridge: bridge.view, targets: targets, macTable: table.view, tscHz: EAL.tscHz, burstCapacity: 32,
                punt: punt, vxlan: vxlan.view, vxlanNextHops: hops.view))
        pipeline.bind(
            ForwardingTables(
                bridge: bridge.view, peers: peers, targets: targetMemory, enabled: enabled, rxQueues: queues,
                rxQueueCount: 0, generationID: 1, vxlan: vxlan.view))
    }

    deinit {
        while let entry = punt.nextPunted() { Mbuf(entry.mbuf).free() }
        punt.deallocate()
        peers.deallocate()
        enabled.deallocate()
        targetMemory.deallocate()
        queues.deallocate()
    }
}
