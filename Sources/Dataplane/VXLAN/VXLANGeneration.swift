import Config
import DPDK
import Packet
import Pipeline

/// The VXLAN part of a generation: the stages' tables built from the `vxlan` section, the ports' slots and
/// the remote VTEPs' owner slots (`RemoteVTEPSlots`, kept by the dataplane across generations).
enum VXLANGeneration {
    /// Disabled tables without a `vxlan` section. The uplink is a port of `config` (validation): its slot
    /// is in `slotOf`; a failed uplink (no device) has no MAC and is disabled in the generation.
    static func tables(
        config: SluiceConfig, slots: [Port?], slotOf: [String: Int], remotes: RemoteVTEPSlots
    ) -> VXLANTables {
        guard let vxlan = config.vxlan, let uplink = slotOf[vxlan.uplink] else { return VXLANTables() }
        return VXLANTables(
            VXLANSpec(
                config: vxlan, uplink: UInt16(uplink), uplinkMAC: slots[uplink].map(\.macAddress) ?? .init(rawValue: 0),
                slots: remotes))
    }
}

extension Port {
    /// The device's MAC address (the outer source of encapsulated frames when it is the uplink).
    var macAddress: EthernetAddress {
        guard let ethPort else { return EthernetAddress(rawValue: 0) }  // vhost-user: no device MAC
        let m = ethPort.macAddress
        return EthernetAddress(m.0, m.1, m.2, m.3, m.4, m.5)
    }
}

extension Dataplane {
    /// Seconds on the monotonic clock the underlay's neighbour cache runs on.
    var vxlanNow: Double {
        let elapsed = startedAt.duration(to: .now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }

    /// Places the remote VTEPs of `config` in owner slots (keeping the slots of those that stay); the slots
    /// freed, or an error when more than `MACOwner.maxRemoteVTEPs` would be needed.
    static func placeRemoteVTEPs(_ config: SluiceConfig, in slots: inout RemoteVTEPSlots) throws(DataplaneError)
        -> [Int]
    {
        guard let freed = slots.update(to: config.vxlan?.remoteVTEPs ?? []) else {
            throw DataplaneError(
                "vxlan: more than \(MACOwner.maxRemoteVTEPs) remote VTEPs (flood lists and remote MACs); list fewer")
        }
        return freed
    }

    /// The static MACs behind remote VTEPs (`vxlan.remote-macs`) as MAC-table entries.
    static func remoteStaticMACs(_ config: SluiceConfig, slots: RemoteVTEPSlots) -> Set<RemoteStaticMAC> {
        guard let vxlan = config.vxlan else { return [] }
        var entries = Set<RemoteStaticMAC>()
        for entry in vxlan.remoteMACs {
            guard let vlan = vxlan.vni(entry.vni)?.vlan, let slot = slots.slot(of: entry.vtep) else { continue }
            entries.insert(RemoteStaticMAC(vlan: vlan, mac: entry.mac.rawValue, owner: MACOwner.remoteVTEP(slot)))
        }
        return entries
    }

    /// Brings the MAC table and the underlay handler to the VXLAN state of the current generation: MACs
    /// behind freed slots are flushed, the remote static MACs follow `config` (from `before`), and the
    /// handler takes the new endpoint. Called after the generation is published.
    func syncVXLAN(freed: [Int], before: Set<RemoteStaticMAC>) {
        for slot in freed {
            _ = macTable.flush(port: MACOwner.remoteVTEP(slot))
        }
        let after = Self.remoteStaticMACs(config, slots: vxlanSlots)
        for entry in before.subtracting(after) { _ = macTable.removeStatic(vlan: entry.vlan, mac: entry.mac) }
        for entry in after.subtracting(before) {
            _ = macTable.addStatic(vlan: entry.vlan, mac: entry.mac, port: entry.owner)
        }
        var endpoint: VXLANUnderlay.Endpoint?
        if let vxlan = config.vxlan, let uplink = slot(of: vxlan.uplink) {
            endpoint = VXLANUnderlay.Endpoint(
                uplink: UInt16(uplink), mac: slots[uplink]?.macAddress ?? EthernetAddress(rawValue: 0), config: vxlan,
                remotes: vxlanSlots.addresses)
        }
        vxlanUnderlay.configure(endpoint, now: vxlanNow)
    }

    /// The VXLAN punt handler: the underlay's ARP and ICMP for the VTEP, answered on the port they came from
    /// through the PMD that punted them.
    func handleVXLANPunt(_ punted: PuntDispatcher.Punted) {
        let mbuf = Mbuf(punted.mbuf)
        if vxlanUnderlay.handle(mbuf.data, length: mbuf.dataLength, now: vxlanNow) {
            punt.inject(punted.mbuf, port: punted.port, kind: .vxlanUnderlay, pmd: punted.pmd)
        } else {
            mbuf.free()
        }
    }

    /// The underlay's periodic work, on every control-loop pass: expiry, next hops published, the ARP
    /// requests due sent on the uplink (through the first PMD). Does nothing while VXLAN is off.
    public func maintainVXLAN() {
        guard let endpoint = vxlanUnderlay.endpoint, mode == .pipeline, !pmds.isEmpty else { return }
        for target in vxlanUnderlay.maintain(now: vxlanNow) {
            guard let mbuf = pool.allocate() else { continue }
            guard let frame = mbuf.append(LocalReplies.minimumFrame) else {
                mbuf.free()
                continue
            }
            _ = vxlanUnderlay.writeRequest(for: target, into: frame)
            if punt.inject(mbuf.raw, port: endpoint.uplink, kind: .vxlanUnderlay, pmd: 0) {
                vxlanUnderlay.requestSent()
            }
        }
    }
}

/// A remote static MAC as the MAC table holds it.
struct RemoteStaticMAC: Hashable {
    var vlan: UInt16
    var mac: UInt64
    var owner: UInt16
}
