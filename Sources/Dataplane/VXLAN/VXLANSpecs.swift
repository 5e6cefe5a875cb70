import Config
import Packet
import Pipeline

/// Which remote VTEP owns which MAC-table owner slot (`MACOwner.remoteVTEP(slot)`), kept across
/// generations: a VTEP that stays keeps its slot (and so the MACs learned behind it), a removed one frees
/// its slot (the caller flushes its MACs before the slot is reused), a new one takes the lowest free slot.
public struct RemoteVTEPSlots: Equatable, Sendable {
    /// The address in each slot, nil for a free slot.
    public private(set) var addresses: [IPv4Address?] = []

    public init() {}

    /// The slot of `address`, if it has one.
    public func slot(of address: IPv4Address) -> Int? { addresses.firstIndex(of: address) }

    /// Places `remotes` (each once): returns the slots freed, or nil, changing nothing, when they would need
    /// more than `MACOwner.maxRemoteVTEPs` slots.
    public mutating func update(to remotes: [IPv4Address]) -> [Int]? {
        let wanted = Set(remotes)
        var next = addresses
        var freed: [Int] = []
        for (slot, address) in next.enumerated() {
            if let address, !wanted.contains(address) {
                next[slot] = nil
                freed.append(slot)
            }
        }
        for address in remotes where !next.contains(address) {
            if let free = next.firstIndex(of: nil) {
                next[free] = address
            } else {
                guard next.count < MACOwner.maxRemoteVTEPs else { return nil }
                next.append(address)
            }
        }
        while next.last == .some(nil) { next.removeLast() }
        addresses = next
        return freed
    }
}

extension VXLANConfig {
    /// Every remote VTEP the section names (flood lists, then remote MACs), each once, in that order.
    public var remoteVTEPs: [IPv4Address] {
        var seen = Set<IPv4Address>()
        return (vnis.flatMap(\.flood) + remoteMACs.map(\.vtep)).filter { seen.insert($0).inserted }
    }
}

extension VXLANSpec {
    /// The stages' view of `config`: the uplink's slot and MAC, the VNIs, the remote VTEPs by their `slots`
    /// (0.0.0.0 in a free slot, which no decapsulated frame matches), each VLAN's flood list as slots.
    /// Every remote VTEP of `config` must have a slot (`slots.update(to: config.remoteVTEPs)` first).
    public init(config: VXLANConfig, uplink: UInt16, uplinkMAC: EthernetAddress, slots: RemoteVTEPSlots) {
        var flood: [UInt16: [Int]] = [:]
        for vni in config.vnis {
            let members = vni.flood.compactMap { slots.slot(of: $0) }
            precondition(members.count == vni.flood.count, "VXLANSpec: a flood-list VTEP without a slot")
            if !members.isEmpty { flood[vni.vlan] = members }
        }
        self.init(
            uplink: uplink, local: config.address, underlayVLAN: config.underlayVLAN ?? 0,
            vnis: config.vnis.map { (vni: $0.vni, vlan: $0.vlan) },
            remotes: slots.addresses.map { $0 ?? IPv4Address(rawValue: 0) }, flood: flood, sourceMAC: uplinkMAC,
            ttl: UInt8(clamping: config.ttl), mtu: config.mtu)
    }
}
