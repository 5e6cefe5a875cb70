import Config
import DPDK
import Packet
import Pipeline

/// One immutable generation of everything the PMDs read from the configuration: the bridge tables, the
/// patch peers and, per PMD, its rx queues and tx targets. Built completely by the control thread, then
/// published (see `Dataplane.publish`); freed when the next generation has been published and a grace
/// period has passed. It keeps its ports alive, so their counters outlive every PMD that may still count.
final class Generation {
    let config: SluiceConfig
    let bridge: BridgeTables
    let securityGroups: SecurityGroupTables
    /// Port slot -> port, as of this generation.
    let slots: [Port?]
    /// Rx queue -> lcore per port name.
    let rxAssignment: [String: [Int]]
    /// Each port's QoS limits (QoS/QoSGeneration.swift).
    let qos: QoSGeneration
    /// The VXLAN tunnel endpoint's tables (VXLAN/VXLANGeneration.swift).
    let vxlan: VXLANTables
    /// The DHCP stage's ports and servers (DHCP/DHCPGeneration.swift).
    let dhcp: DHCPTables
    /// The metadata intercept's tables, nil while it is off (Metadata/MetadataGeneration.swift).
    let metadata: MetadataTables?
    private let peers: UnsafeMutablePointer<UInt16>
    /// The slots of the ports that are up (may be sent to).
    private let enabled: PortSet
    private let targets: [UnsafeMutablePointer<TxTarget>]
    private let rxQueues: [UnsafeMutablePointer<RxQueueRef>]
    /// One per PMD, in PMD order.
    let tables: UnsafeMutablePointer<ForwardingTables>
    let pmdCount: Int
    /// Never reused, so a PMD can tell any two generations apart (see `ForwardingTables.generationID`).
    let id: UInt64
    /// Generations are built on the control thread only.
    nonisolated(unsafe) private static var lastID: UInt64 = 0

    /// - Parameters:
    ///   - config: the configuration to build for; every port in it must be in `slots` or `reserved`.
    ///   - slots: the ports by slot.
    ///   - reserved: the slots of failed ports (no device): they are in the bridge like an admin-down port
    ///     (their patch peer's packets and traffic to their static MACs are dropped as port-down, never
    ///     switched elsewhere) and nothing polls or sends to them.
    ///   - pmdLcores: the PMD lcores, in PMD order (PMD i uses tx queue i on every port).
    ///   - rxAssignment: which lcore polls each rx queue of each port.
    ///   - vxlanSlots: the remote VTEPs' owner slots; every remote VTEP of `config` has one.
    init(
        config: SluiceConfig, slots: [Port?], reserved: [String: Int], pmdLcores: [UInt32],
        rxAssignment: [String: [Int]], vxlanSlots: RemoteVTEPSlots
    ) {
        Self.lastID += 1
        id = Self.lastID
        self.config = config
        self.slots = slots
        self.rxAssignment = rxAssignment
        let maxPorts = ForwardingTables.maxPorts
        var slotOf: [String: Int] = [:]
        for (slot, port) in slots.enumerated() { if let port { slotOf[port.name] = slot } }
        for (name, slot) in reserved where slotOf[name] == nil { slotOf[name] = slot }

        var specs = [BridgePortSpec](repeating: BridgePortSpec(bridged: false), count: maxPorts)
        let patched = Set(config.patches.flatMap { [$0.a, $0.b] })
        let enabled = PortSet.allocate()
        for port in config.ports {
            guard let slot = slotOf[port.name] else { preconditionFailure("port \(port.name) has no slot") }
            specs[slot] = BridgePortSpec(
                port: DHCPGeneration.secured(port, in: config), bridged: !patched.contains(port.name))
            if port.admin == .up && slots[slot] != nil { enabled.insert(slot) }
        }
        self.enabled = enabled
        bridge = BridgeTables(ports: specs)
        securityGroups = SecurityGroupCompiler.tables(config, slotOf: slotOf, conntrack: ConntrackState.current)
        qos = QoSGeneration(config: config, slots: slots, slotOf: slotOf, tscHz: EAL.tscHz)
        vxlan = VXLANGeneration.tables(config: config, slots: slots, slotOf: slotOf, remotes: vxlanSlots)
        dhcp = DHCPGeneration.tables(config: config, slots: slots, slotOf: slotOf, tscHz: EAL.tscHz)
        metadata = MetadataGeneration.tables(config: config, slots: slots, slotOf: slotOf, tscHz: EAL.tscHz)

        peers = .allocate(capacity: maxPorts)
        peers.initialize(repeating: PacketMeta.noEgress, count: maxPorts)
        for pair in config.patches {
            if let a = slotOf[pair.a], let b = slotOf[pair.b] {
                peers[a] = UInt16(b)
                peers[b] = UInt16(a)
            }
        }

        pmdCount = pmdLcores.count
        tables = .allocate(capacity: max(pmdLcores.count, 1))
        var allTargets: [UnsafeMutablePointer<TxTarget>] = []
        var allQueues: [UnsafeMutablePointer<RxQueueRef>] = []
        for (pmdIndex, lcore) in pmdLcores.enumerated() {
            let targets = UnsafeMutablePointer<TxTarget>.allocate(capacity: maxPorts)
            for slot in 0..<maxPorts {
                if let port = slots[slot], let counters = port.countersByLcore[lcore] {
                    targets.advanced(by: slot).initialize(
                        to: TxTarget(
                            port: port.io, queue: UInt16(pmdIndex), counters: counters,
                            enabled: enabled.contains(slot)))
                } else {
                    targets.advanced(by: slot).initialize(
                        to: TxTarget(
                            port: PortIO.none, queue: 0, counters: unusedSlotCounters, enabled: false))
                }
            }
            var queues: [RxQueueRef] = []
            for port in config.ports where port.admin == .up {
                guard let slot = slotOf[port.name], let live = slots[slot] else { continue }
                for (queue, owner) in (rxAssignment[port.name] ?? []).enumerated() where owner == Int(lcore) {
                    queues.append(
                        RxQueueRef(
                            port: live.io, queue: UInt16(queue), portIndex: UInt16(slot),
                            counters: live.countersByLcore[lcore]!))
                }
            }
            let queueMemory = UnsafeMutablePointer<RxQueueRef>.allocate(capacity: max(queues.count, 1))
            queueMemory.initialize(from: queues, count: queues.count)
            (tables + pmdIndex).initialize(
                to: ForwardingTables(
                    bridge: bridge.view, peers: peers, targets: targets, enabled: enabled, rxQueues: queueMemory,
                    rxQueueCount: queues.count, generationID: id,
                    securityGroups: securityGroups.view(pmd: pmdIndex), qos: qos.tables(pmdIndex: pmdIndex),
                    vxlan: vxlan.view, capture: CaptureSessions.current?.taps.tap(pmd: pmdIndex) ?? .off,
                    dhcp: dhcp.view,
                    metadata: metadata?.view ?? .off))
            allTargets.append(targets)
            allQueues.append(queueMemory)
        }
        targets = allTargets
        rxQueues = allQueues
    }

    deinit {
        peers.deallocate()
        enabled.deallocate()
        for memory in targets { memory.deallocate() }
        for memory in rxQueues { memory.deallocate() }
        tables.deallocate()
    }

    /// The rx queues PMD `index` polls in this generation.
    func queues(ofPMD index: Int) -> UnsafeBufferPointer<RxQueueRef> {
        UnsafeBufferPointer(start: tables[index].rxQueues, count: tables[index].rxQueueCount)
    }
}

/// Counters of empty port slots' tx targets: never counted on, as disabled slots are never sent to.
private let unusedSlotCounters = PortCounters.allocate()
