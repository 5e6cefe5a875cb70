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
/// Owned and driven by the control thread (the EAL main lcore); PMD threads only run their loops.
public final class Dataplane {
    public let config: SluiceConfig
    public let pool: PacketPool
    public private(set) var ports: [Port] = []
    public private(set) var pmds: [PMDThread] = []
    /// VLAN membership, tagging and port-security tables of every port (read by all PMDs).
    public private(set) var bridge: BridgeTables!
    /// The MAC learning table all PMDs share.
    public private(set) var macTable: MACTable!
    public let startedAt = ContinuousClock.now
    private var isShutDown = false

    /// Burst size of every rx call: DPDK drivers' sweet spot, and the unit every stage works on.
    public static let burstSize = 32

    /// Initialises EAL from the config, then brings up every port and builds the PMD threads (not started).
    /// On failure everything already created is torn down again before the error is thrown.
    public init(config: SluiceConfig, program: String = "sluiced", mode: ForwardingMode = .pipeline) throws {
        self.config = config
        do {
            try EAL.initialize(arguments: config.ealArguments(program: program))
        } catch {
            throw DataplaneError("EAL initialisation failed: \(error)")
        }
        let pmdLcores = config.pmdLcores.map(UInt32.init)
        for lcore in pmdLcores where !EAL.isEnabled(lcore: lcore) {
            EAL.cleanup()
            throw DataplaneError("eal.pmd-cpu-mask: lcore \(lcore) is not available to EAL (check the CPUs this machine has and the process's affinity)")
        }
        let socket = EAL.socket(ofLcore: EAL.mainLcore)
        do {
            pool = try PacketPool.create(
                name: "sluice-mbufs", mbufs: config.mempool.mbufs, cacheSize: config.mempool.cacheSize,
                dataRoomSize: config.mempool.mbufDataSize, socket: socket)
        } catch {
            EAL.cleanup()
            throw DataplaneError("mempool: cannot create \(config.mempool.mbufs) mbufs: \(error) (raise hugepages or eal.socket-mem, or lower mempool.mbufs)")
        }
        do {
            try bringUpPorts(pmdLcores: pmdLcores)
            buildBridge()
            buildPMDs(mode: mode)
        } catch {
            shutdown()
            throw error
        }
    }

    private func bringUpPorts(pmdLcores: [UInt32]) throws {
        let assignments = RxQueueScheduler.assign(ports: config.ports, pmdLcores: config.pmdLcores)
        for (index, portConfig) in config.ports.enumerated() {
            // Place each rx queue's descriptors on the NUMA node of the PMD that polls it.
            let sockets = (0..<portConfig.rxQueues).map { queue in
                let lcore = assignments.first { $0.port == index && $0.queue == queue }!.lcore
                return EAL.socket(ofLcore: UInt32(lcore))
            }
            ports.append(try Port.bringUp(
                index: index, config: portConfig, pmdLcores: pmdLcores, rxQueueSockets: sockets, pool: pool))
        }
    }

    private func buildBridge() {
        let patched = Set(config.patches.flatMap { [$0.a, $0.b] })
        bridge = BridgeTables(ports: config.ports.map { port in
            var spec = BridgePortSpec(bridged: !patched.contains(port.name))
            switch port.vlanMode {
            case .access(let vlan): spec.vlanMode = .access(vlan: vlan)
            case .trunk(let allowed, let native): spec.vlanMode = .trunk(allowed: allowed.ids, native: native)
            }
            if let security = port.portSecurity {
                spec.allowedMAC = security.mac
                if !security.ipv4.isEmpty || !security.ipv6.isEmpty {
                    spec.allowedIPv4 = security.ipv4
                    spec.allowedIPv6 = security.ipv6
                }
            }
            return spec
        })
        let l2 = config.l2
        macTable = MACTable(
            capacity: l2.macTableSize, ports: config.ports.count,
            limits: config.ports.map { $0.effectiveMaxMACs(l2) },
            allocate: TableMemory.allocate, deallocate: TableMemory.deallocate)
        for (index, port) in config.ports.enumerated() {
            for entry in port.resolvedStaticMACs {
                _ = macTable.addStatic(vlan: entry.vlan, mac: entry.mac.rawValue, port: UInt16(index))
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

    private func buildPMDs(mode: ForwardingMode) {
        let pmdLcores = config.pmdLcores.map(UInt32.init)
        let assignments = RxQueueScheduler.assign(ports: config.ports, pmdLcores: config.pmdLcores)
        var peers = [UInt16?](repeating: nil, count: ports.count)
        for pair in config.patches {
            if let a = config.portIndex(named: pair.a), let b = config.portIndex(named: pair.b) {
                peers[a] = UInt16(b)
                peers[b] = UInt16(a)
            }
        }
        for (pmdIndex, lcore) in pmdLcores.enumerated() {
            let rxQueues = assignments.filter { $0.lcore == Int(lcore) && ports[$0.port].isUp }.map { a in
                RxQueueRef(
                    port: ports[a.port].ethPort, queue: UInt16(a.queue), portIndex: UInt16(a.port),
                    counters: ports[a.port].countersByLcore[lcore]!)
            }
            var targets: [TxTarget] = []
            for port in ports {
                targets.append(TxTarget(
                    port: port.ethPort, queue: UInt16(pmdIndex), counters: port.countersByLcore[lcore]!,
                    enabled: port.isUp))
            }
            switch mode {
            case .pipeline:
                let pipeline = SwitchPipeline(
                    patch: PatchStage(peers: peers), parse: ParseStage(),
                    portSecurity: PortSecurityStage(bridge: bridge.view), vlan: VLANStage(bridge: bridge.view),
                    l2: L2Stage(table: macTable.view, tscHz: EAL.tscHz),
                    transmit: TransmitStage(targets: targets, bridge: bridge.view, capacity: Self.burstSize))
                pmds.append(PMDThread(lcore: lcore, processor: pipeline, rxQueues: rxQueues, burstSize: Self.burstSize))
            case .ioBaseline:
                var ioPeers = peers
                for index in ioPeers.indices where ioPeers[index] == nil {
                    let partner = index ^ 1
                    if partner < ports.count && peers[partner] == nil { ioPeers[index] = UInt16(partner) }
                }
                let forwarder = IOForwarder(peers: ioPeers, targets: targets)
                pmds.append(PMDThread(lcore: lcore, processor: forwarder, rxQueues: rxQueues, burstSize: Self.burstSize))
            }
        }
    }

    /// Launches every PMD thread.
    public func start() throws {
        for pmd in pmds {
            do { try pmd.start() } catch { throw DataplaneError("cannot start the PMD on lcore \(pmd.lcore): \(error)") }
        }
    }

    /// Stops the PMDs, then the ports, frees the pool and releases EAL (hugepages, runtime files).
    /// Idempotent; the dataplane cannot be restarted afterwards.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        for pmd in pmds { pmd.stop() }
        for port in ports { port.shutDown() }
        pmds.removeAll()
        ports.removeAll()
        macTable = nil  // its hugepage memory must go back before EAL releases the heap
        bridge = nil
        pool.free()
        EAL.cleanup()
    }
}

extension Dataplane {
    public static var dpdkVersion: String { EAL.version }
}
