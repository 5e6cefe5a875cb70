import ControlProtocol
import Packet
import Pipeline

extension Dataplane {
    /// `vxlan.show`: the local VTEP of the current configuration, its VNIs, and each remote VTEP with its
    /// slot, next hop, learned MACs and counters summed over the PMDs' blocks (off the fast path).
    public func vxlanStatus() -> VXLANStatus {
        guard let vxlan = config.vxlan else { return VXLANStatus(configured: false) }
        let endpoint = vxlanUnderlay.endpoint
        var remotes: [VXLANRemoteStatus] = []
        for (slot, address) in vxlanSlots.addresses.enumerated() {
            guard let address else { continue }
            func sum(_ counter: Int) -> UInt64 {
                vxlanCounters.reduce(0) { $0 &+ $1.load(slot: slot, counter) }
            }
            let nextHop = endpoint?.nextHop(of: address) ?? address
            let mac = vxlanNextHops.nextHop(slot: slot)
            remotes.append(
                VXLANRemoteStatus(
                    address: address.description, slot: slot, nextHop: nextHop.description,
                    nextHopMAC: mac?.description, state: mac == nil ? "unresolved" : "resolved",
                    learnedMACs: macTable.learnedCount(port: Int(MACOwner.remoteVTEP(slot))),
                    rxPackets: sum(VXLANVTEPCounters.rxPackets), rxDrops: sum(VXLANVTEPCounters.rxDrops),
                    txPackets: sum(VXLANVTEPCounters.txPackets), txDrops: sum(VXLANVTEPCounters.txDrops)))
        }
        let counters = vxlanUnderlay.counters
        return VXLANStatus(
            configured: true, uplink: vxlan.uplink, address: "\(vxlan.address)/\(vxlan.prefixLength)",
            mac: endpoint?.mac.description, underlayVLAN: vxlan.underlayVLAN.map(Int.init),
            gateway: vxlan.gateway?.description, mtu: vxlan.mtu, ttl: vxlan.ttl,
            vnis: vxlan.vnis.map {
                VXLANVNIStatus(vni: Int($0.vni), vlan: Int($0.vlan), flood: $0.flood.map(\.description))
            },
            remotes: remotes, arpAnswered: counters.arpAnswered, echoAnswered: counters.echoAnswered,
            arpLearned: counters.arpLearned, arpRequestsSent: counters.arpRequestsSent, puntIgnored: counters.ignored)
    }

    /// Records `address` at `mac` in the underlay's neighbour cache as an ARP packet from it would (only
    /// a needed next hop is kept) and publishes the next hops: what sluice-bench uses instead of an ARP peer.
    public func learnUnderlayNeighbour(_ address: IPv4Address, mac: EthernetAddress) {
        vxlanUnderlay.learn(address, mac: mac, now: vxlanNow)
    }

    /// `vxlan.neighbours`: every next hop the VTEP needs, resolved or not, in address order.
    public func vxlanNeighbours() -> [UnderlayNeighbourStatus] {
        vxlanUnderlay.neighbourStatuses(now: vxlanNow)
    }
}

extension VXLANUnderlay {
    /// `learn` of the neighbour cache, then the next hops published.
    public func learn(_ address: IPv4Address, mac: EthernetAddress, now: Double) {
        learnNeighbour(address, mac: mac, now: now)
        publish(now: now)
    }

    /// The neighbour cache as `vxlan.neighbours` shows it at `now`.
    public func neighbourStatuses(now: Double) -> [UnderlayNeighbourStatus] {
        neighbours.needed.map { address in
            guard let entry = neighbours.entries[address], neighbours.lookup(address, now: now) != nil else {
                return UnderlayNeighbourStatus(
                    address: address.description, mac: nil, state: "incomplete", ageSeconds: nil)
            }
            let age = max(now - entry.confirmed, 0)
            return UnderlayNeighbourStatus(
                address: address.description, mac: entry.mac.description,
                state: age >= neighbours.refreshAfter ? "refreshing" : "reachable", ageSeconds: age)
        }
    }
}
