import DPDK
import Packet

/// VXLAN encapsulation (issue 12), after the L2 stage: a frame whose destination is learned (or static)
/// behind a remote VTEP (`MACOwner.remoteVTEP` as egress) gets the outer Ethernet (the resolved next hop,
/// the underlay tag), IPv4 (DF, the TTL), UDP (entropy source port from the inner flow, checksum 0) and
/// VXLAN (the VLAN's VNI) headers in its headroom, and leaves on the uplink, once. Every other packet
/// passes through untouched (floods included: head-end replication is not in this stage yet).
public struct VXLANEncapStage: PipelineStage, ~Copyable {
    public static let name = "vxlan-encap"
    public enum Drop: Int, StageReason {
        /// The remote VTEP's next hop (itself, or the gateway) has no ARP resolution (yet).
        case nextHopUnresolved
        /// Inner frame + 36 bytes above the underlay MTU: never fragmented.
        case exceedsUnderlayMTU
        /// Not enough headroom in the mbuf for the outer headers.
        case noHeadroom
        /// The destination's VTEP or its VLAN's VNI is not in the tables any more (a configuration change
        /// the MAC table has not caught up with).
        case staleDestination

        public var name: String {
            switch self {
            case .nextHopUnresolved: "next-hop-unresolved"
            case .exceedsUnderlayMTU: "exceeds-underlay-mtu"
            case .noHeadroom: "no-headroom"
            case .staleDestination: "stale-destination"
            }
        }
    }
    public enum Event: Int, StageReason {
        /// Frames encapsulated toward a remote VTEP.
        case encapsulated

        public var name: String {
            switch self {
            case .encapsulated: "encapsulated"
            }
        }
    }

    public let counters: Counters
    @usableFromInline var vxlan: VXLANView
    @usableFromInline let nextHops: VXLANNextHopsView

    public init(vxlan: VXLANView, nextHops: VXLANNextHopsView) {
        self.vxlan = vxlan
        self.nextHops = nextHops
        counters = Self.allocateCounters()
    }

    /// Generations do not carry VXLAN tables yet: the tables given at init stay.
    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {}

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let v = vxlan
        guard v.enabled else { return }
        let count = burst.count
        var kept = 0
        var encapsulated: UInt64 = 0
        for i in 0..<count {
            let meta = burst.meta[i]
            guard let slot = MACOwner.remoteVTEPSlot(of: meta.egress) else {
                burst.keep(i, at: &kept)
                continue
            }
            if let reason = encapsulate(burst.packets[i], meta, slot: slot, v) {
                counters.drop(reason)
                burst.drop(i)
                continue
            }
            burst.meta[i].egress = v.uplink
            // Leaves as written: the transmit stage neither checks VLAN membership nor tags it.
            burst.meta[i].vlan = 0
            burst.meta[i].tagged = false
            encapsulated &+= 1
            burst.keep(i, at: &kept)
        }
        burst.endCompaction(keeping: kept)
        if encapsulated > 0 { counters.event(.encapsulated, count: encapsulated) }
    }

    /// Writes the outer headers in front of the packet; the reason it cannot, or nil.
    @inlinable @inline(__always)
    func encapsulate(_ mbuf: Mbuf, _ meta: PacketMeta, slot: Int, _ v: VXLANView) -> Drop? {
        let vni = meta.vlan < 4096 ? v.vniOfVLAN[Int(meta.vlan)] : 0
        guard slot < v.remoteCount, vni != 0 else { return .staleDestination }
        guard let nextHop = nextHops.nextHop(slot: slot) else { return .nextHopUnresolved }
        let innerLength = mbuf.packetLength - (meta.tagged ? 4 : 0)
        guard innerLength + VXLANWire.ipOverhead <= v.mtu else { return .exceedsUnderlayMTU }
        let header = VXLANEncapHeader(
            destinationMAC: nextHop, sourceMAC: v.sourceMAC, underlayVLAN: v.underlayVLAN,
            source: v.local, destination: IPv4Address(rawValue: v.remotes[slot]), ttl: v.ttl, vni: vni)
        guard mbuf.headroom >= header.length else { return .noHeadroom }
        // VXLAN carries the VLAN's frames untagged.
        if meta.tagged { mbuf.popVLANTag() }
        let port = VXLANEncap.sourcePort(inner: UnsafeRawPointer(mbuf.data), length: mbuf.dataLength)
        guard let outer = mbuf.prepend(header.length) else { return .noHeadroom }
        VXLANEncap.write(header, at: outer, innerLength: innerLength, sourcePort: port)
        return nil
    }
}
