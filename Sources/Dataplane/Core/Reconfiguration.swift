import Config
import DPDK
import Packet
import Pipeline

/// Why a configuration could not be applied. In every case the running configuration is unchanged, except
/// where `failed` says a port could not be restored.
public enum ApplyError: Error, CustomStringConvertible {
    /// The new configuration changes settings only a restart applies (key paths with old → new).
    case needsRestart([String])
    /// Carrying the plan out failed (e.g. a device did not attach); what was done has been undone.
    case failed(String)

    public var description: String {
        switch self {
        case .needsRestart(let settings):
            "these settings only change when sluiced restarts: " + settings.joined(separator: "; ")
        case .failed(let message): message
        }
    }
}

/// Applying a new desired state to the running dataplane, hitlessly where the plan allows it.
///
/// The order of events, for a plan with every kind of change:
/// 1. new ports whose device no leaving port uses are attached and started (not yet polled or sent to);
///    a failure here detaches them again and changes nothing else;
/// 2. if ports leave (removed, or reopened with new device settings): a generation without them is
///    published, a grace period passes, then they are closed and their MAC entries flushed;
/// 3. the remaining new ports (the reopened ones) are attached; a failure here detaches them and restores
///    the ports removed in step 2 as they were;
/// 4. the new generation is published: one atomic pointer store per PMD, between two bursts;
/// 5. the MAC table follows: per-port limits, static entries, learned entries of ports whose VLANs,
///    bridge membership or admin state changed are flushed.
/// Ports not named in the plan are never stopped, and their packets are never dropped by the change.
///
/// A change needs every PMD to pass grace periods: before anything is touched, a grace period checks that
/// none is stalled (else the change is refused naming the PMD, nothing changed). Should a PMD stall in the
/// middle, nothing it may still read is freed: generations it may hold are kept (`retainedGenerations`),
/// leaving ports are put back and not closed; if it stalls only after the new generation is published
/// (step 4), the change is in effect for the other PMDs and the stalled one takes it when it resumes.
///
/// A failed port (`FailedPort`: in the desired state, no device) goes through the same steps: its settings
/// change without a device, removing it releases its slot and MAC entries (there is nothing to close), and
/// reopening it (new `devargs`, say) attaches its device; if that fails, it stays failed as it was.
extension Dataplane {
    /// What applying `new` would do.
    public func plan(_ new: SluiceConfig) -> ConfigPlan { ConfigPlan.between(config, new) }

    /// Applies a validated configuration; returns the plan carried out.
    @discardableResult
    public func apply(_ new: SluiceConfig) throws(ApplyError) -> ConfigPlan {
        let plan = ConfigPlan.between(config, new)
        guard plan.needsRestart.isEmpty else { throw .needsRestart(plan.needsRestart) }
        guard mode == .pipeline else {
            // The io baseline's peers are fixed when its PMDs are built; it is a benchmark floor, not a switch.
            throw .failed("runtime changes need the pipeline forwarding mode")
        }
        guard !plan.changes.isEmpty else {
            config = new  // at most an order that means nothing to the dataplane
            return plan
        }
        do {
            try requireResponsivePMDs()
        } catch {
            throw .failed("\(error); nothing was changed")
        }
        // `auto` DHCP addresses for `new` (kept for what runs if the change fails).
        let dhcpBefore = beginDHCPChange(to: new)
        defer { finishDHCPChange(from: dhcpBefore, intended: new) }
        // Remote VTEPs keep their owner slots (and MACs); the new generation uses `nextVXLANSlots`.
        var nextVXLANSlots = vxlanSlots
        let freedVTEPs: [Int]
        do {
            freedVTEPs = try Self.placeRemoteVTEPs(new, in: &nextVXLANSlots)
        } catch {
            throw .failed("\(error); nothing was changed")
        }
        let old = config
        let oldAssignment = generation.rxAssignment
        let failedBefore = failedPorts
        let pmdLcores = config.pmdLcores.map(UInt32.init)
        let leaving = Set(plan.changes.filter { $0.action == .removePort || $0.action == .replacePort }.map(\.target))
        let arriving = Set(plan.changes.filter { $0.action == .addPort || $0.action == .replacePort }.map(\.target))
        let leavingDevices = Set(old.ports.filter { leaving.contains($0.name) }.map(\.deviceName))
        // A vhost-user socket moving to another port (a rename, say) must be released by the old port first:
        // the vhost library keeps one registration per socket path.
        let leavingSockets = Set(old.ports.filter { leaving.contains($0.name) }.compactMap { $0.vhostUser?.path })
        let assignment = RxQueueScheduler.assign(
            ports: new.ports, pmdLcores: config.pmdLcores, keeping: oldAssignment.filter { !leaving.contains($0.key) })

        // 1. Attach added ports that do not need a leaving port's device.
        var attached: [Port] = []
        func detachAttached() {
            for port in attached {
                port.shutDown(detach: true)
                slots[port.index] = nil
            }
            attached.removeAll()
        }
        do {
            for port in new.ports
            where arriving.contains(port.name) && !leaving.contains(port.name)
                && !leavingDevices.contains(port.deviceName)
                && !(port.vhostUser.map { leavingSockets.contains($0.path) } ?? false)
            {
                let live = try bringUp(port, rxAssignment: assignment)
                slots[live.index] = live
                attached.append(live)
                // Its limit before any generation polls it: a slot's limit is 0 while it is free.
                macTable.setLimit(port.effectiveMaxMACs(new.l2), port: live.index)
            }
        } catch {
            detachAttached()
            throw .failed("\(error); nothing was changed")
        }

        // 2. Take leaving ports out of service, then close them.
        if !leaving.isEmpty {
            // Patches stay: the leaving port is still in its slot but disabled, so its patch peer's packets
            // are dropped (port-down) rather than switched by the bridge for the duration.
            var interim = old
            interim.ports.removeAll { leaving.contains($0.name) }
            do {
                try publish(
                    Generation(
                        config: interim, slots: slots, reserved: reservedSlots, pmdLcores: pmdLcores,
                        rxAssignment: oldAssignment, vxlanSlots: vxlanSlots))
            } catch {
                // The stalled PMD may be inside a leaving port's driver: put the ports back, close nothing.
                // The ports attached in step 1 were in no generation, so no PMD can hold them.
                try? publish(
                    Generation(
                        config: old, slots: slots, reserved: reservedSlots, pmdLcores: pmdLcores,
                        rxAssignment: oldAssignment, vxlanSlots: vxlanSlots))
                detachAttached()
                throw .failed("\(error); nothing was changed")
            }
            for portConfig in old.ports where leaving.contains(portConfig.name) {
                if let live = port(named: portConfig.name) {
                    retire(slot: live.index, statics: portConfig.resolvedStaticMACs)
                    live.shutDown(detach: true)
                    slots[live.index] = nil
                } else if let failed = failedPorts.removeValue(forKey: portConfig.name) {
                    retire(slot: failed.slot, statics: portConfig.resolvedStaticMACs)
                }
            }
        }

        // 3. Attach the rest (reopened ports, and added ones that reuse a leaving port's device).
        do {
            for port in new.ports
            where arriving.contains(port.name) && !attached.contains(where: { $0.name == port.name }) {
                let live = try bringUp(port, rxAssignment: assignment)
                slots[live.index] = live
                attached.append(live)
                macTable.setLimit(port.effectiveMaxMACs(new.l2), port: live.index)
            }
        } catch {
            let reason = "\(error)"
            detachAttached()
            var restored = old
            var lost: [String] = []
            for portConfig in old.ports where leaving.contains(portConfig.name) {
                if let failed = failedBefore[portConfig.name] {
                    // It had no device before the change either: failed again, as it was.
                    let slot = freeSlot()!
                    failedPorts[portConfig.name] = FailedPort(slot: slot, error: failed.error)
                    for entry in portConfig.resolvedStaticMACs {
                        _ = macTable.addStatic(vlan: entry.vlan, mac: entry.mac.rawValue, port: UInt16(slot))
                    }
                    macTable.setLimit(portConfig.effectiveMaxMACs(old.l2), port: slot)
                    continue
                }
                do {
                    let live = try bringUp(portConfig, rxAssignment: oldAssignment)
                    slots[live.index] = live
                    for entry in portConfig.resolvedStaticMACs {
                        _ = macTable.addStatic(vlan: entry.vlan, mac: entry.mac.rawValue, port: UInt16(live.index))
                    }
                    macTable.setLimit(portConfig.effectiveMaxMACs(old.l2), port: live.index)
                } catch {
                    lost.append("\(portConfig.name) (\(error))")
                    restored.ports.removeAll { $0.name == portConfig.name }
                    restored.patches.removeAll { $0.a == portConfig.name || $0.b == portConfig.name }
                }
            }
            // A stall here keeps the replaced generation (publish does); the error already says what failed.
            try? publish(
                Generation(
                    config: restored, slots: slots, reserved: reservedSlots, pmdLcores: pmdLcores,
                    rxAssignment: oldAssignment, vxlanSlots: vxlanSlots))
            if lost.isEmpty {
                throw .failed("\(reason); the previous configuration was restored")
            }
            config = restored
            revision += 1
            throw .failed(
                "\(reason); the previous configuration was restored except these ports, which could not be reopened and are now absent: \(lost.joined(separator: ", "))"
            )
        }

        // 4. The new generation. A PMD that stalls now keeps the previous one alive (publish retains it) and
        // will take this one when it resumes; the change is in effect, so it is completed, and health
        // reports the stall.
        let remoteStaticsBefore = Self.remoteStaticMACs(old, slots: vxlanSlots)
        vxlanSlots = nextVXLANSlots
        try? publish(
            Generation(
                config: new, slots: slots, reserved: reservedSlots, pmdLcores: pmdLcores, rxAssignment: assignment,
                vxlanSlots: vxlanSlots))

        // 5. The MAC table and the ports' own state.
        updateMACTable(from: old, to: new, arriving: arriving)
        for portConfig in new.ports {
            guard let live = port(named: portConfig.name) else { continue }
            if !arriving.contains(portConfig.name) && live.config.admin != portConfig.admin {
                // Best effort: many virtual devices have no link to set (tap does); the generation already
                // stopped polling and sending.
                try? live.ethPort?.setLink(up: portConfig.admin == .up)
            }
            live.config = portConfig
        }
        config = new
        syncVXLAN(freed: freedVTEPs, before: remoteStaticsBefore)
        revision += 1
        return plan
    }

    /// Forgets the MAC entries of a slot no generation references any more (its port is closed next).
    private func retire(slot: Int, statics: [(mac: EthernetAddress, vlan: UInt16)]) {
        for entry in statics { _ = macTable.removeStatic(vlan: entry.vlan, mac: entry.mac.rawValue) }
        _ = macTable.flush(port: UInt16(slot))
        macTable.setLimit(0, port: slot)
    }

    private func updateMACTable(from old: SluiceConfig, to new: SluiceConfig, arriving: Set<String>) {
        let oldPorts = Dictionary(uniqueKeysWithValues: old.ports.map { ($0.name, $0) })
        let oldPatched = Set(old.patches.flatMap { [$0.a, $0.b] })
        let newPatched = Set(new.patches.flatMap { [$0.a, $0.b] })
        struct StaticEntry: Hashable { var slot: Int, vlan: UInt16, mac: UInt64 }
        var before = Set<StaticEntry>()
        var after = Set<StaticEntry>()
        // Remote VTEPs (MACOwner) are limited like a port without its own max-macs.
        for vtep in 0..<MACOwner.maxRemoteVTEPs {
            macTable.setLimit(new.l2.maxMACsPerPort, port: Int(MACOwner.remoteVTEP(vtep)))
        }
        for portConfig in new.ports {
            guard let slot = slot(of: portConfig.name) else { continue }
            macTable.setLimit(portConfig.effectiveMaxMACs(new.l2), port: slot)
            for entry in portConfig.resolvedStaticMACs {
                after.insert(StaticEntry(slot: slot, vlan: entry.vlan, mac: entry.mac.rawValue))
            }
            guard !arriving.contains(portConfig.name), let previous = oldPorts[portConfig.name] else { continue }
            for entry in previous.resolvedStaticMACs {
                before.insert(StaticEntry(slot: slot, vlan: entry.vlan, mac: entry.mac.rawValue))
            }
            // Entries learned under the old membership would black-hole or leak traffic under the new one.
            let bridgedChanged = oldPatched.contains(portConfig.name) != newPatched.contains(portConfig.name)
            // And after a port-security change, entries for stations it no longer accepts.
            if previous.vlanMode != portConfig.vlanMode || bridgedChanged
                || previous.portSecurity != portConfig.portSecurity
                || (previous.admin == .up && portConfig.admin == .down)
            {
                _ = macTable.flush(port: UInt16(slot))
            }
        }
        for entry in before.subtracting(after) { _ = macTable.removeStatic(vlan: entry.vlan, mac: entry.mac) }
        for entry in after.subtracting(before) {
            _ = macTable.addStatic(vlan: entry.vlan, mac: entry.mac, port: UInt16(entry.slot))
        }
    }
}
