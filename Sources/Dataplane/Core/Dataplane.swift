import Config
import ControlProtocol
import DPDK
import Pipeline
import Synchronization

/// Memory for large shared tables: hugepages when EAL's heap has room (fewer TLB misses as tables grow),
/// ordinary memory otherwise.
enum TableMemory {
    private static let ordinary = Mutex<Set<UInt>>([])

    static func allocate(_ byteCount: Int, _ alignment: Int) -> UnsafeMutableRawPointer {
        if let huge = HugeMemory.allocate(byteCount: byteCount, alignment: alignment) { return huge }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: alignment)
        ordinary.withLock { _ = $0.insert(UInt(bitPattern: memory)) }
        return memory
    }

    @Sendable static func deallocate(_ memory: UnsafeMutableRawPointer) {
        if ordinary.withLock({ $0.remove(UInt(bitPattern: memory)) }) != nil {
            memory.deallocate()
        } else {
            HugeMemory.free(memory)
        }
    }
}

/// What the PMD threads run on each burst.
public enum ForwardingMode: String, Sendable, CaseIterable {
    /// The real pipeline: every stage, then transmit.
    case pipeline
    /// No stages: each burst goes straight to a peer port, the floor benchmarks compare against. Peers are
    /// the patch pairs, and otherwise ports paired in order (0↔1, 2↔3, ...), as testpmd pairs them.
    case ioBaseline = "io"
}

/// The running dataplane: EAL, the packet pool, the ports and one PMD thread per bit of the PMD core mask.
/// Owned and driven by the control thread (the EAL main lcore); PMD threads only run their loops and read
/// the published `Generation`.
///
/// Ports live in slots (0 ..< 64): a port keeps its slot while it exists, so tables indexed by slot (the
/// MAC table's port numbers, VLAN masks) stay meaningful across reconfigurations.
public final class Dataplane {
    /// The desired state now running.
    public internal(set) var config: SluiceConfig
    /// Incremented by every applied change.
    public internal(set) var revision = 0
    public let pool: PacketPool
    public let mode: ForwardingMode
    var slots = [Port?](repeating: nil, count: ForwardingTables.maxPorts) {
        didSet { slotByName = nil }
    }
    /// The slot of each port in `slots` by name, built on the first `port(named:)` after `slots` changed: a
    /// change or a status looks up every port of the configuration, and a scan of the slots for each made
    /// that O(ports²) on a host of a thousand ports.
    private var slotByName: [String: Int]?
    /// Ports of the desired state whose device could not be brought up, by name (FailedPorts.swift).
    public internal(set) var failedPorts: [String: FailedPort] = [:]
    public private(set) var pmds: [PMDThread] = []
    /// The generation the PMDs read.
    private(set) var generation: Generation!
    /// The MAC learning table all PMDs share.
    public private(set) var macTable: MACTable!
    /// The connection table and rule hit counters of the security groups (SecurityGroups/Conntrack.swift).
    var conntrack: ConntrackState!
    /// The punt and inject rings of every PMD and the handlers of punted packets (PuntDispatcher.swift):
    /// the control loop services it on every pass.
    public let punt: PuntDispatcher
    /// The remote VTEPs' MAC-table owner slots, kept across generations (VXLAN/VXLANSpecs.swift).
    var vxlanSlots = RemoteVTEPSlots()
    /// The remote VTEPs' resolved next hops, read by every PMD's encap stage.
    public let vxlanNextHops = VXLANNextHops()
    /// The VTEP's underlay ARP/ICMP handler and neighbour cache (VXLAN/VXLANUnderlay.swift).
    public let vxlanUnderlay: VXLANUnderlay
    /// Each PMD's per remote VTEP counters, summed by `vxlan.show` (VXLAN/VXLANStatus.swift).
    let vxlanCounters: [VXLANVTEPCounters]
    /// The DHCP responder on the control thread (DHCP/DHCPServer.swift).
    public let dhcpServer = DHCPServer()
    /// The packet capture sessions and the PMDs' capture taps (Capture/).
    public internal(set) var captures: CaptureSessions!
    let grace = GracePeriods()
    /// Where the rx queues' load measurement interval started (RxqBalance/RxqRebalance.swift).
    var rxqBalance = RxqBalanceState()
    /// Generations unpublished while a PMD was stalled, with the token every PMD must pass before they may be
    /// freed: a stalled PMD may still be reading one (`reclaimRetainedGenerations` frees them).
    var retainedGenerations: [(generation: Generation, token: UInt64)] = []
    public let startedAt = ContinuousClock.now
    private var isShutDown = false

    /// Burst size of every rx call: DPDK drivers' sweet spot, and the unit every stage works on.
    public static let burstSize = 32

    /// Initialises EAL from the config, then brings up every port and builds the PMD threads (not started).
    /// On failure everything already created is torn down again before the error is thrown; with
    /// `portFailures: .keepFailed`, a port whose device cannot be brought up is not a failure of the whole:
    /// it stays in the desired state, marked failed (see `FailedPort`). `dhcpAllocations`: the `auto`
    /// addresses persisted by the previous run (DHCP/DHCPGeneration.swift).
    public init(
        config: SluiceConfig, program: String = "sluiced", mode: ForwardingMode = .pipeline,
        portFailures: PortFailurePolicy = .failFast, dhcpAllocations: DHCPAllocations = DHCPAllocations()
    ) throws {
        self.config = config
        self.mode = mode
        punt = PuntDispatcher(pmdCount: config.pmdLcores.count)
        vxlanUnderlay = VXLANUnderlay(nextHops: vxlanNextHops)
        vxlanCounters = config.pmdLcores.map { _ in .allocate() }
        grace.timeout = .seconds(config.control.pmdStallTimeoutSeconds)
        do {
            try EAL.initialize(arguments: config.ealArguments(program: program))
        } catch {
            throw DataplaneError("EAL initialisation failed: \(error)")
        }
        let pmdLcores = config.pmdLcores.map(UInt32.init)
        for lcore in pmdLcores where !EAL.isEnabled(lcore: lcore) {
            EAL.cleanup()
            throw DataplaneError(
                "eal.pmd-cpu-mask: lcore \(lcore) is not available to EAL (check the CPUs this machine has and the process's affinity)"
            )
        }
        let socket = EAL.socket(ofLcore: EAL.mainLcore)
        do {
            pool = try PacketPool.create(
                name: "sluice-mbufs", mbufs: config.mempool.mbufs, cacheSize: config.mempool.cacheSize,
                dataRoomSize: config.mempool.mbufDataSize, socket: socket)
        } catch {
            EAL.cleanup()
            throw DataplaneError(
                "mempool: cannot create \(config.mempool.mbufs) mbufs: \(error) (raise hugepages or eal.socket-mem, or lower mempool.mbufs)"
            )
        }
        makeCaptures()  // Capture/
        do {
            let assignment = RxQueueScheduler.assign(ports: config.ports, pmdLcores: config.pmdLcores, keeping: [:])
            for port in config.ports {
                let slot = freeSlot()!
                do {
                    slots[slot] = try bringUp(port, rxAssignment: assignment, into: slot)
                } catch let error where portFailures == .keepFailed {
                    failedPorts[port.name] = FailedPort(slot: slot, error: "\(error)")
                }
            }
            _ = try Self.placeRemoteVTEPs(config, in: &vxlanSlots)
            buildMACTable()
            conntrack = ConntrackState.make(config: config)
            DHCPGeneration.allocations = config.dhcpAllocations(previous: dhcpAllocations, now: DHCPGeneration.now)
            generation = Generation(
                config: config, slots: slots, reserved: reservedSlots, pmdLcores: pmdLcores, rxAssignment: assignment,
                vxlanSlots: vxlanSlots)
            buildPMDs()
            syncVXLAN(freed: [], before: [])
            syncDHCP()
        } catch {
            shutdown()
            throw error
        }
        punt.register(.vxlanUnderlay) { [unowned self] in self.handleVXLANPunt($0) }
        punt.register(.dhcp) { [unowned self] in self.handleDHCPPunt($0) }
    }

    /// The ports, in configuration order.
    public var ports: [Port] { config.ports.compactMap { port(named: $0.name) } }

    public func port(named name: String) -> Port? {
        let index =
            slotByName
            ?? Dictionary(
                slots.indices.compactMap { slot in slots[slot].map { ($0.name, slot) } },
                uniquingKeysWith: { a, _ in a })
        slotByName = index
        return index[name].flatMap { slots[$0] }
    }

    /// The name of the port in `slot` (for tables that store slots), or "#slot" if it has none; a remote
    /// VTEP's owner slot is named `vtep:ADDRESS` (`vtep#N` for a slot no VTEP holds).
    public func portName(slot: Int) -> String {
        if let vtep = MACOwner.remoteVTEPSlot(of: UInt16(truncatingIfNeeded: slot)) {
            let addresses = vxlanSlots.addresses
            if vtep < addresses.count, let address = addresses[vtep] { return "vtep:\(address)" }
            return "vtep#\(vtep)"
        }
        if slot < slots.count, let port = slots[slot] { return port.name }
        return failedPorts.first { $0.value.slot == slot }?.key ?? "#\(slot)"
    }

    /// The slot of a port of the desired state: its device's, or the one a failed port keeps.
    func slot(of name: String) -> Int? { port(named: name)?.index ?? failedPorts[name]?.slot }

    /// The slots failed ports keep, by port name.
    var reservedSlots: [String: Int] { failedPorts.mapValues(\.slot) }

    /// VLAN membership, tagging and port-security tables of the current generation.
    public var bridge: BridgeTables { generation.bridge }

    func freeSlot() -> Int? {
        let reserved = Set(failedPorts.values.map(\.slot))
        return slots.indices.first { slots[$0] == nil && !reserved.contains($0) }
    }

    /// Attaches and starts a port in `slot` (default: a free one), its rx queues' descriptors on the NUMA
    /// node of the PMD polling them.
    func bringUp(_ port: PortConfig, rxAssignment: [String: [Int]], into slot: Int? = nil) throws -> Port {
        guard let slot = slot ?? freeSlot() else {
            throw DataplaneError("port '\(port.name)': all \(ForwardingTables.maxPorts) port slots are in use")
        }
        clearRxqCycles(slot: slot)  // RxqBalance/: no counts of a port that had the slot before
        let lcores = rxAssignment[port.name] ?? []
        let sockets = (0..<port.rxQueues).map { queue in
            EAL.socket(ofLcore: UInt32(queue < lcores.count ? lcores[queue] : Int(EAL.mainLcore)))
        }
        return try Port.bringUp(
            index: slot, config: port, pmdLcores: config.pmdLcores.map(UInt32.init), rxQueueSockets: sockets, pool: pool
        )
    }

    private func buildMACTable() {
        let l2 = config.l2
        // Owners: the port slots, then the remote VTEPs (MACOwner), which take the bridge-wide limit.
        var limits = [Int](repeating: 0, count: ForwardingTables.maxPorts)
        for portConfig in config.ports {
            if let slot = slot(of: portConfig.name) { limits[slot] = portConfig.effectiveMaxMACs(l2) }
        }
        limits += [Int](repeating: l2.maxMACsPerPort, count: MACOwner.maxRemoteVTEPs)
        macTable = MACTable(
            capacity: l2.macTableSize, ports: MACOwner.count, limits: limits,
            allocate: TableMemory.allocate, deallocate: TableMemory.deallocate)
        for portConfig in config.ports {
            // A failed port's static entries too: traffic to them is dropped (port-down), not flooded.
            guard let slot = slot(of: portConfig.name) else { continue }
            for entry in portConfig.resolvedStaticMACs {
                _ = macTable.addStatic(vlan: entry.vlan, mac: entry.mac.rawValue, port: UInt16(slot))
            }
        }
    }

    /// Replaces the (stopped) PMD threads with new ones running `mode`. sluice-bench uses it to run the io
    /// baseline and the pipeline over the same ports in one process.
    public func rebuildPMDs(mode: ForwardingMode) {
        precondition(pmds.allSatisfy { !$0.isRunning }, "stop the PMDs first")
        pmds.removeAll()
        buildPMDs(mode: mode)
    }

    private func buildPMDs(mode: ForwardingMode? = nil) {
        let mode = mode ?? self.mode
        let pmdLcores = config.pmdLcores.map(UInt32.init)
        for (pmdIndex, lcore) in pmdLcores.enumerated() {
            let tables = UnsafePointer(generation.tables + pmdIndex)
            switch mode {
            case .pipeline:
                let pipeline = SwitchPipeline(
                    PipelineResources(
                        bridge: generation.bridge.view, macTable: macTable.view, tscHz: EAL.tscHz,
                        burstCapacity: Self.burstSize, connTable: conntrack.table.view, punt: punt.paths[pmdIndex],
                        vxlan: generation.vxlan.view, vxlanNextHops: vxlanNextHops.view,
                        vxlanCounters: vxlanCounters[pmdIndex]))
                pmds.append(
                    PMDThread(
                        lcore: lcore, index: pmdIndex, processor: pipeline, tables: tables, graceToken: grace.token,
                        punt: punt.paths[pmdIndex], burstSize: Self.burstSize))
            case .ioBaseline:
                // Peers: the patch pairs, and otherwise ports paired in configuration order, as testpmd does.
                var ioPeers = [UInt16?](repeating: nil, count: ForwardingTables.maxPorts)
                let slotOf = Dictionary(uniqueKeysWithValues: ports.map { ($0.name, $0.index) })
                for pair in config.patches {
                    guard let a = slotOf[pair.a], let b = slotOf[pair.b] else { continue }  // a failed port
                    ioPeers[a] = UInt16(b)
                    ioPeers[b] = UInt16(a)
                }
                let unpatched = ports.filter { ioPeers[$0.index] == nil }.map(\.index)
                for pair in stride(from: 0, to: unpatched.count - 1, by: 2) {
                    ioPeers[unpatched[pair]] = UInt16(unpatched[pair + 1])
                    ioPeers[unpatched[pair + 1]] = UInt16(unpatched[pair])
                }
                let forwarder = IOForwarder(peers: ioPeers, targets: [])
                pmds.append(
                    PMDThread(
                        lcore: lcore, index: pmdIndex, processor: forwarder, tables: tables, graceToken: grace.token,
                        punt: punt.paths[pmdIndex], burstSize: Self.burstSize))
            }
        }
    }

    /// Launches every PMD thread.
    public func start() throws {
        installVhostQuiescence()  // VhostUser/
        for pmd in pmds {
            do { try pmd.start() } catch {
                throw DataplaneError("cannot start the PMD on lcore \(pmd.lcore): \(error)")
            }
        }
    }

    /// Makes `next` the generation every PMD reads, then waits for a grace period so that no PMD can still
    /// use the previous one, and frees it. Traffic keeps flowing throughout: a PMD switches between two
    /// bursts. If a PMD is stalled, `next` is published all the same (the others use it at once, the stalled
    /// one when it resumes) but the previous generation is kept until every PMD has passed the grace
    /// period, and the stall is thrown.
    func publish(_ next: Generation) throws(PMDStall) {
        precondition(next.pmdCount == pmds.count, "one set of tables per PMD")
        let previous: Generation = generation
        generation = next
        for (index, pmd) in pmds.enumerated() { pmd.publish(next.tables + index) }
        let target = grace.advance()
        do {
            try grace.wait(for: target, pmds)
        } catch {
            retainedGenerations.append((previous, target))
            throw error
        }
    }

    /// Frees the generations kept for a stalled PMD once every PMD has passed their grace period. Called
    /// from the control loop's periodic work; returns how many are still kept.
    @discardableResult
    public func reclaimRetainedGenerations() -> Int {
        retainedGenerations.removeAll { grace.hasPassed($0.token, pmds) }
        return retainedGenerations.count
    }

    /// Waits until every running PMD has passed a quiescent state (see `GracePeriods`); throws, naming the
    /// PMDs that have not, after `control.pmd-stall-timeout-seconds`.
    public func waitForPMDGracePeriod() throws(PMDStall) { try grace.synchronize(pmds) }

    /// Fails at once if a PMD is known to be stalled, else waits for a grace period: what a change checks
    /// before it touches anything, so that it is refused as a whole rather than stopped half way.
    func requireResponsivePMDs() throws(PMDStall) {
        if let stall = grace.stalled(pmds) { throw stall }
        try grace.synchronize(pmds)
    }

    /// The control loop's periodic check for stalled PMDs (see `GracePeriods.probe`) and for generations
    /// that can be freed now.
    public func watchPMDs() {
        grace.probe(pmds)
        reclaimRetainedGenerations()
    }

    /// The PMDs that have not passed a quiescent state for `control.pmd-stall-timeout-seconds`.
    public var stalledPMDs: PMDStall? { grace.stalled(pmds) }

    /// Stops the PMDs, then the ports, frees the pool and releases EAL (hugepages, runtime files).
    /// Idempotent; the dataplane cannot be restarted afterwards.
    ///
    /// Waits at most `control.pmd-stall-timeout-seconds` for the PMDs to stop. If one does not (it is
    /// wedged), nothing else is released — it may still be using the ports, the pool and the tables — and
    /// the result names it: the caller should exit, which releases them with the process.
    @discardableResult
    public func shutdown() -> PMDStall? {
        guard !isShutDown else { return nil }
        isShutDown = true
        for pmd in pmds { pmd.requestStop() }
        let deadline = ContinuousClock.now + grace.timeout
        let wedged = pmds.filter { !$0.waitStopped(until: deadline) }
        if !wedged.isEmpty { return PMDStall(lcores: wedged.map(\.lcore), timeout: grace.timeout) }
        VhostUserSocket.setQuiesce(nil)  // VhostUser/: no PMD runs any more
        pmds.removeAll()
        retainedGenerations.removeAll()
        generation = nil
        for slot in slots.indices {
            slots[slot]?.shutDown()
            slots[slot] = nil
        }
        macTable = nil  // its hugepage memory must go back before EAL releases the heap
        conntrack = nil  // likewise
        captures = nil  // copies still in the capture rings go back to the pool
        punt.drain()  // packets still in the rings go back to the pool before it is freed
        pool.free()
        EAL.cleanup()
        return nil
    }
}

extension Dataplane {
    public static var dpdkVersion: String { EAL.version }
}
