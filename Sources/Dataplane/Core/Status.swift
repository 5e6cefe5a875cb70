import ControlProtocol
import DPDK
import Pipeline

/// Snapshots of ports, PMDs and stages for the control API. Counters are read with torn-free loads while
/// the PMDs keep running, so a snapshot is a consistent set of monotonic values, not an atomic cut.
extension Dataplane {
    /// Every port of the desired state, in configuration order; failed ones with their error.
    public func portStatuses() -> [PortStatus] {
        config.ports.compactMap { portConfig in
            if let port = port(named: portConfig.name) { return status(of: port) }
            return failedPorts[portConfig.name].map { failedPortStatus(portConfig, $0) }
        }
    }

    private func status(of port: Port) -> PortStatus {
        var sum = PortCounterValues()
        for counters in port.countersByLcore.values {
            let block = counters.block
            sum.rxPackets += block.load(PortCounters.rxPackets)
            sum.rxBytes += block.load(PortCounters.rxBytes)
            sum.txPackets += block.load(PortCounters.txPackets)
            sum.txBytes += block.load(PortCounters.txBytes)
            sum.txDropped += block.load(PortCounters.txDropped)
        }
        // A vhost-user port has no ethdev: its socket reports link and counters in the same shape.
        let link = port.ethPort?.link ?? port.vhostSocket?.link
        let linkUp = port.hasLink  // DPDK's link, or a tap's in the namespace it lives in (PortLink)
        let driver = (port.ethPort?.stats() ?? port.vhostSocket?.stats).map {
            DriverStats(
                rxPackets: $0.rxPackets, txPackets: $0.txPackets, rxMissed: $0.rxMissed, rxErrors: $0.rxErrors,
                txErrors: $0.txErrors, rxNoMbuf: $0.rxNoMbuf)
        }
        let mac = port.ethPort.map { formatMAC($0.macAddress) } ?? "00:00:00:00:00:00"
        return PortStatus(
            name: port.name, index: port.index, dpdkPortID: port.ethPort.map { Int($0.id) } ?? -1,
            devargs: port.config.resolvedDevargs,
            driver: port.info.driverName, admin: port.config.admin.rawValue, linkUp: linkUp,
            linkSpeedMbps: Int(link?.speedMbps ?? 0), mtu: port.ethPort?.mtu ?? port.config.mtu,
            macAddress: mac, rxQueues: port.config.rxQueues,
            txQueues: port.txQueues, counters: sum, driverStats: driver, macLearning: macLearning(port: port.index),
            type: port.config.type.rawValue, vhostUser: port.vhostUserStatus(), queueCounters: port.queueCounters())
    }

    public func pmdStatuses() -> [PMDStatus] {
        pmds.enumerated().map { pmdIndex, pmd in
            let c = pmd.counters
            return PMDStatus(
                lcore: Int(pmd.lcore), numaSocket: Int(EAL.socket(ofLcore: pmd.lcore)),
                rxQueues: generation.queues(ofPMD: pmdIndex).map { "\(portName(slot: Int($0.portIndex)))/\($0.queue)" },
                iterations: c.load(PMDCounters.iterations), busyCycles: c.load(PMDCounters.busyCycles),
                idleCycles: c.load(PMDCounters.idleCycles), rxPackets: c.load(PMDCounters.rxPackets),
                punt: punt.paths.indices.contains(pmdIndex)
                    ? Dictionary(uniqueKeysWithValues: punt.counters(ofPMD: pmdIndex).map { ($0.name, $0.value) })
                    : nil,
                rxQueueLoads: rxQueueLoads(ofPMD: pmdIndex)  // RxqBalance/
            )
        }
    }

    /// Stage counters summed over PMDs, in pipeline order.
    public func stageStatuses() -> [StageStatus] {
        Self.sumStages(pmds.map(\.stages))
    }

    static func sumStages(_ perPMD: [[StageDescriptor]]) -> [StageStatus] {
        guard let first = perPMD.first else { return [] }
        return first.indices.map { stageIndex in
            let descriptor = first[stageIndex]
            let count = StageCounters.firstDrop + descriptor.dropReasons.count + descriptor.eventNames.count
            var values = [UInt64](repeating: 0, count: count)
            for stages in perPMD {
                let block = stages[stageIndex].counters.block
                for i in values.indices { values[i] += block.load(i) }
            }
            var drops: [String: UInt64] = [:]
            for (i, reason) in descriptor.dropReasons.enumerated() {
                drops[reason] = values[StageCounters.firstDrop + i]
            }
            var events: [String: UInt64] = [:]
            let firstEvent = StageCounters.firstDrop + descriptor.dropReasons.count
            for (i, name) in descriptor.eventNames.enumerated() { events[name] = values[firstEvent + i] }
            return StageStatus(
                name: descriptor.name, calls: values[StageCounters.calls], packetsIn: values[StageCounters.packetsIn],
                packetsOut: values[StageCounters.packetsOut], cycles: values[StageCounters.cycles], drops: drops,
                events: events)
        }
    }
}

func formatMAC(_ mac: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) -> String {
    [mac.0, mac.1, mac.2, mac.3, mac.4, mac.5].map { byte in
        let hex = String(byte, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
    }.joined(separator: ":")
}

extension Dataplane {
    /// One problem per stalled PMD, with what it holds up.
    func stallProblems() -> [String] {
        guard let stall = stalledPMDs else { return [] }
        let kept = retainedGenerations.isEmpty ? "" : "; \(retainedGenerations.count) old generation(s) kept for it"
        return stall.lcores.map { lcore in
            "PMD on lcore \(lcore): no quiescent state for \(stall.timeout.components.seconds) s or more (stalled): configuration changes are refused\(kept)"
        }
    }

    /// Degraded when a PMD is not running or stalled, a port that is up has no link, or a port could not be
    /// brought up.
    public func health() -> HealthStatus {
        var problems: [String] = []
        let running = pmds.filter(\.isRunning).count
        if running < pmds.count {
            problems.append("\(pmds.count - running) of \(pmds.count) PMD threads are not running")
        }
        problems += stallProblems()
        var linkUp = 0
        for port in ports where port.config.admin == .up {
            if port.hasLink { linkUp += 1 } else { problems.append("port \(port.name): link down") }
        }
        problems += failedPortProblems()
        let elapsed = ContinuousClock.now - startedAt
        return HealthStatus(
            status: problems.isEmpty ? "ok" : "degraded", problems: problems, pmdsRunning: running, pmds: pmds.count,
            ports: ports.count, portsLinkUp: linkUp, revision: revision,
            uptimeSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
