import Config
import ControlProtocol
import DPDK
import Pipeline

/// The control thread's record for load-based rx queue assignment: where the current measurement interval
/// started (docs/rxq-balance.md).
struct RxqBalanceState {
    /// Per port name: its slot and each queue's busy cycles (summed over PMDs) when the interval started.
    var baseline: [String: (slot: Int, cycles: [UInt64])] = [:]
    var since = ContinuousClock.now
    /// The periodic rebalancing's schedule and counters (RxqAutoRebalance.swift).
    var auto = RxqAutoRebalance(lastCheck: .now)

    /// A queue's load over the interval: how much its counter grew, or its value if it restarted (the port was
    /// replaced in its slot) or had no baseline (a port added during the interval).
    static func load(now: UInt64, before: UInt64?) -> UInt64 {
        guard let before, now >= before else { return now }
        return now - before
    }
}

extension Dataplane {
    /// The busy cycles every PMD spent on the rx queue, summed (since the port was brought up).
    func rxqCycles(slot: Int, queue: Int) -> UInt64 {
        let index = RxqCycles.index(slot: slot, queue: queue)
        return pmds.reduce(0) { $0 &+ $1.queueCycles.load(index) }
    }

    /// Zeroes every PMD's counters of a slot before a port is brought up in it (no PMD polls the slot then).
    func clearRxqCycles(slot: Int) {
        for pmd in pmds {
            for queue in 0..<RxqCycles.queuesPerSlot {
                pmd.queueCycles.base[RxqCycles.index(slot: slot, queue: queue)] = 0
            }
        }
    }

    /// The queues PMD `pmdIndex` polls in the current generation, with the busy cycles it spent on each.
    func rxQueueLoads(ofPMD pmdIndex: Int) -> [RxQueueLoad] {
        let pmd = pmds[pmdIndex]
        return generation.queues(ofPMD: pmdIndex).map { rxq in
            let slot = Int(rxq.portIndex)
            let name = portName(slot: slot)
            let affinity = config.ports.first { $0.name == name }?.rxQueueAffinity
            return RxQueueLoad(
                queue: "\(name)/\(rxq.queue)",
                busyCycles: pmd.queueCycles.load(RxqCycles.index(slot: slot, queue: Int(rxq.queue))),
                pinned: affinity.map { Int(rxq.queue) < $0.count } ?? false)
        }
    }

    /// Every rx queue of a port with a device, with its PMD now, its load since the interval started and its
    /// pin; in configuration order.
    func rxqBalanceInputs() -> [RxqBalanceInput] {
        var inputs: [RxqBalanceInput] = []
        for portConfig in config.ports {
            guard let port = port(named: portConfig.name), let lcores = generation.rxAssignment[portConfig.name]
            else { continue }
            let base = rxqBalance.baseline[portConfig.name].flatMap { $0.slot == port.index ? $0.cycles : nil }
            for (queue, lcore) in lcores.enumerated() {
                let now = rxqCycles(slot: port.index, queue: queue)
                let before = base.flatMap { queue < $0.count ? $0[queue] : nil }
                inputs.append(
                    RxqBalanceInput(
                        port: portConfig.name, queue: queue, lcore: lcore,
                        load: RxqBalanceState.load(now: now, before: before),
                        pinned: queue < (portConfig.rxQueueAffinity?.count ?? 0)))
            }
        }
        return inputs
    }

    /// Starts a new measurement interval.
    func restartRxqMeasurement(at now: ContinuousClock.Instant) {
        var baseline: [String: (slot: Int, cycles: [UInt64])] = [:]
        for port in ports {
            baseline[port.name] = (
                port.index, (0..<port.config.rxQueues).map { rxqCycles(slot: port.index, queue: $0) }
            )
        }
        rxqBalance.baseline = baseline
        rxqBalance.since = now
    }

    /// Computes an assignment of the rx queues from the loads measured since the last rebalance (or start)
    /// and, unless `dryRun` or nothing moves, applies it hitlessly: first a generation in which no PMD polls
    /// the moved queues, published with a grace period (every old owner has stopped polling them), then the
    /// generation in which their new owners do. A queue is polled by at most one PMD at every instant and
    /// packets arriving in between wait in its ring. Applying starts a new measurement interval.
    public func rebalanceRxQueues(dryRun: Bool, now: ContinuousClock.Instant = .now) throws(PMDStall)
        -> RxqRebalancePlan
    {
        let inputs = rxqBalanceInputs()
        let lcores = config.pmdLcores
        let result = RxqBalancer.plan(inputs, pmdLcores: lcores)
        let movedIndices = result.moved(inputs)
        let elapsed = now - rxqBalance.since
        let seconds = max(
            Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0)
        let intervalCycles = seconds * Double(EAL.tscHz)
        func percent(_ cycles: UInt64) -> Double { intervalCycles > 0 ? Double(cycles) * 100 / intervalCycles : 0 }
        var plan = RxqRebalancePlan(
            applied: false, intervalSeconds: seconds,
            moves: movedIndices.map {
                RxqMove(
                    queue: "\(inputs[$0].port)/\(inputs[$0].queue)", fromLcore: inputs[$0].lcore,
                    toLcore: result.lcores[$0], busyCycles: inputs[$0].load)
            },
            pmds: lcores.map { lcore in
                RxqPMDLoad(
                    lcore: lcore, cyclesBefore: result.loadBefore[lcore] ?? 0,
                    cyclesAfter: result.loadAfter[lcore] ?? 0,
                    percentBefore: percent(result.loadBefore[lcore] ?? 0),
                    percentAfter: percent(result.loadAfter[lcore] ?? 0),
                    queuesBefore: result.queuesBefore[lcore] ?? 0, queuesAfter: result.queuesAfter[lcore] ?? 0)
            },
            improvementPercent: result.improvementPercent)
        guard !dryRun, !movedIndices.isEmpty else { return plan }
        try requireResponsivePMDs()
        let current = generation.rxAssignment
        var interim = current
        var final = current
        for index in movedIndices {
            // -1: no PMD polls the queue in the interim generation.
            interim[inputs[index].port]![inputs[index].queue] = -1
            final[inputs[index].port]![inputs[index].queue] = result.lcores[index]
        }
        let pmdLcores = lcores.map(UInt32.init)
        do {
            try publish(
                Generation(
                    config: config, slots: slots, reserved: reservedSlots, pmdLcores: pmdLcores,
                    rxAssignment: interim, vxlanSlots: vxlanSlots))
        } catch {
            // A stalled PMD: put every queue back where it was (its old owner may still poll it, no one else).
            try? publish(
                Generation(
                    config: config, slots: slots, reserved: reservedSlots, pmdLcores: pmdLcores,
                    rxAssignment: current, vxlanSlots: vxlanSlots))
            throw error
        }
        // Every PMD has passed a quiescent state since: no one polls the moved queues any longer.
        try publish(
            Generation(
                config: config, slots: slots, reserved: reservedSlots, pmdLcores: pmdLcores, rxAssignment: final,
                vxlanSlots: vxlanSlots))
        restartRxqMeasurement(at: now)
        plan.applied = true
        return plan
    }
}
