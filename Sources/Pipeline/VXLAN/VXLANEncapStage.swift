import DPDK
import Packet

/// VXLAN encapsulation (issue 12), after the L2 stage: a frame whose destination is learned (or static)
/// behind a remote VTEP (`MACOwner.remoteVTEP` as egress) gets the outer Ethernet (the resolved next hop,
/// the underlay tag), IPv4 (DF, the TTL), UDP (entropy source port from the inner flow, checksum 0) and
/// VXLAN (the VLAN's VNI) headers in its headroom, and leaves on the uplink, once.
///
/// Head-end replication: a flooded frame (broadcast, multicast, unknown unicast) of a VLAN a VNI extends
/// stays in the burst for the local ports (the transmit stage floods it as before) and one encapsulated
/// copy per VTEP of the VLAN's flood list is sent on the uplink by this stage, in bulk at the end of the
/// burst. A frame that came from a remote VTEP (`PacketMeta.source`) gets no copies (split horizon).
/// Every other packet passes through untouched.
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
        /// A flood copy could not be made (the packet pool is empty).
        case copyFailed
        /// The uplink's tx queue did not take a flood copy.
        case txQueueFull
        /// The uplink is administratively down: no flood copies.
        case uplinkDown

        public var name: String {
            switch self {
            case .nextHopUnresolved: "next-hop-unresolved"
            case .exceedsUnderlayMTU: "exceeds-underlay-mtu"
            case .noHeadroom: "no-headroom"
            case .staleDestination: "stale-destination"
            case .copyFailed: "copy-failed"
            case .txQueueFull: "tx-queue-full"
            case .uplinkDown: "uplink-down"
            }
        }
    }
    public enum Event: Int, StageReason {
        /// Frames encapsulated toward a remote VTEP.
        case encapsulated
        /// Flood copies sent to remote VTEPs (head-end replication).
        case replicated

        public var name: String {
            switch self {
            case .encapsulated: "encapsulated"
            case .replicated: "replicated"
            }
        }
    }

    public let counters: Counters
    @usableFromInline var vxlan: VXLANView
    @usableFromInline let nextHops: VXLANNextHopsView
    /// This PMD's tx queue on the uplink: where flood copies go.
    @usableFromInline var uplink: TxTarget?
    /// Flood copies of the current burst, sent when full and at the end of the burst.
    @usableFromInline var copies: MbufBurst
    /// The remote VTEP slot of each flood copy in `copies` (for the per-VTEP counters).
    @usableFromInline let copySlots: UnsafeMutablePointer<UInt8>
    /// This PMD's per remote VTEP counters (shared with its decap stage).
    public let vteps: VXLANVTEPCounters
    /// The bound generation's VLAN membership and enabled ports: a flood with no local port to go to ends
    /// here once its copies are made (nil until a generation is bound: such floods stay in the burst).
    @usableFromInline var bridge: BridgeView?
    @usableFromInline var enabled: PortSet = .none
    /// This PMD's outer header template of each remote VTEP slot (`VXLANEncapTemplate`, one cache line
    /// each), built on the first packet for the slot from the bound tables and its resolved next hop.
    @usableFromInline let templates: UnsafeMutableRawPointer
    /// The next-hop word (`VXLANNextHopsView.word`) each slot's template was built with; `unbuilt` until it
    /// is built, and again after a new generation is bound. A packet uses the template only while the
    /// slot's word is still this one: a new resolution or an expiry rebuilds or refuses it.
    @usableFromInline let templateKeys: UnsafeMutablePointer<UInt64>

    /// - Parameters:
    ///   - uplink: this PMD's tx queue on the uplink, for flood copies (nil: no copies are made).
    ///   - capacity: flood copies held before they are sent (at least 1).
    ///   - vteps: this PMD's per remote VTEP counters (nil: the stage's own).
    public init(
        vxlan: VXLANView, nextHops: VXLANNextHopsView, uplink: TxTarget? = nil, capacity: Int = 32,
        vteps: VXLANVTEPCounters? = nil
    ) {
        self.vxlan = vxlan
        self.nextHops = nextHops
        self.uplink = uplink
        copies = MbufBurst(capacity: max(capacity, 1))
        copySlots = .allocate(capacity: max(capacity, 1))
        copySlots.initialize(repeating: 0, count: max(capacity, 1))
        self.vteps = vteps ?? .allocate()
        templates = .allocate(byteCount: MACOwner.maxRemoteVTEPs * VXLANEncapTemplate.stride, alignment: 64)
        templates.initializeMemory(
            as: UInt8.self, repeating: 0, count: MACOwner.maxRemoteVTEPs * VXLANEncapTemplate.stride)
        templateKeys = .allocate(capacity: MACOwner.maxRemoteVTEPs)
        templateKeys.initialize(repeating: Self.unbuilt, count: MACOwner.maxRemoteVTEPs)
        counters = Self.allocateCounters()
    }

    deinit {
        copySlots.deallocate()
        templates.deallocate()
        templateKeys.deallocate()
    }

    /// `templateKeys` of a slot without a template: no next-hop word has it (their top bits are 0).
    @inlinable static var unbuilt: UInt64 { .max }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {
        vxlan = tables.vxlan
        uplink = tables.vxlan.enabled ? tables.targets[Int(tables.vxlan.uplink)] : nil
        bridge = tables.bridge
        enabled = tables.enabled
        // The templates hold the old generation's addresses, TTL and tag: rebuilt on their next packet.
        templateKeys.update(repeating: Self.unbuilt, count: MACOwner.maxRemoteVTEPs)
    }

    /// Whether the stage has anything to do: the pipeline skips it while VXLAN is off.
    @inlinable @inline(__always)
    public var isActive: Bool { vxlan.enabled }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let v = vxlan
        guard v.enabled else { return }
        let count = burst.count
        var kept = 0
        var encapsulated: UInt64 = 0
        var runSlot = 0
        var runLength: UInt64 = 0
        let hops = nextHops
        let templates = templates
        let keys = templateKeys
        for i in 0..<count {
            let meta = burst.meta[i]
            guard let slot = MACOwner.remoteVTEPSlot(of: meta.egress) else {
                if meta.egress == PacketMeta.flood && meta.source == PacketMeta.burstIngress && meta.vlan < 4096 {
                    let floodSlots = v.floodOfVLAN[Int(meta.vlan)]
                    if floodSlots != 0 {
                        replicate(burst.packets[i], meta, to: floodSlots, v)
                        // No local port to flood to: the copies were the whole flood (the transmit stage
                        // would count the original as flood-no-ports).
                        if let bridge {
                            let exclusion = burst.floodExclusion(of: i)
                            let ingress = Int(burst.ingress)
                            if !bridge.floodHasOutput(
                                meta.vlan, ingress: ingress, enabled: enabled, excluding: exclusion)
                            {
                                burst.drop(i)
                                continue
                            }
                        }
                    }
                }
                burst.keep(i, at: &kept)
                continue
            }
            if let reason = Self.encapsulate(
                burst.packets[i], meta, slot: slot, v, hops, templates: templates, keys: keys)
            {
                counters.drop(reason)
                vteps.add(slot: slot, VXLANVTEPCounters.txDrops)
                burst.drop(i)
                continue
            }
            // Counted per run of packets to one VTEP (a burst's unicast usually goes to one or a few).
            if slot != runSlot {
                if runLength > 0 { vteps.add(slot: runSlot, VXLANVTEPCounters.txPackets, runLength) }
                runSlot = slot
                runLength = 0
            }
            runLength &+= 1
            burst.meta[i].egress = v.uplink
            // Leaves as written: the transmit stage neither checks VLAN membership nor tags it.
            burst.meta[i].vlan = 0
            burst.meta[i].tagged = false
            encapsulated &+= 1
            burst.keep(i, at: &kept)
        }
        burst.endCompaction(keeping: kept)
        if runLength > 0 { vteps.add(slot: runSlot, VXLANVTEPCounters.txPackets, runLength) }
        if encapsulated > 0 { counters.event(.encapsulated, count: encapsulated) }
        if copies.count > 0 { sendCopies() }
    }

    /// One encapsulated copy of the flooded `mbuf` per remote VTEP slot in `slots`.
    @inlinable
    mutating func replicate(_ mbuf: Mbuf, _ meta: PacketMeta, to slots: UInt64, _ v: VXLANView) {
        guard uplink != nil else { return }
        var remaining = slots
        while remaining != 0 {
            let slot = remaining.trailingZeroBitCount
            remaining &= remaining &- 1
            // Checked before copying: an unresolved VTEP or an oversized frame costs no copy.
            if nextHops.nextHop(slot: slot) == nil {
                counters.drop(.nextHopUnresolved)
                vteps.add(slot: slot, VXLANVTEPCounters.txDrops)
                continue
            }
            guard let copy = mbuf.copy() else {
                counters.drop(.copyFailed)
                vteps.add(slot: slot, VXLANVTEPCounters.txDrops)
                continue
            }
            if let reason = Self.encapsulate(
                copy, meta, slot: slot, v, nextHops, templates: templates, keys: templateKeys)
            {
                counters.drop(reason)
                vteps.add(slot: slot, VXLANVTEPCounters.txDrops)
                copy.free()
                continue
            }
            copySlots[copies.count] = UInt8(truncatingIfNeeded: slot)
            copies.append(copy)
            if copies.isFull { sendCopies() }
        }
    }

    /// Sends the flood copies on the uplink; what its queue does not take is counted and freed.
    @inlinable
    mutating func sendCopies() {
        let n = copies.count
        copies.count = 0
        guard let target = uplink, target.enabled else {
            Mbuf.freeBulk(copies.slots, count: n)
            counters.drop(.uplinkDown, count: UInt64(truncatingIfNeeded: n))
            for j in 0..<n { vteps.add(slot: Int(copySlots[j]), VXLANVTEPCounters.txDrops) }
            return
        }
        let sent = target.send(copies.slots, count: n)
        counters.event(.replicated, count: UInt64(truncatingIfNeeded: sent))
        if sent < n { counters.drop(.txQueueFull, count: UInt64(truncatingIfNeeded: n - sent)) }
        for j in 0..<n {
            vteps.add(slot: Int(copySlots[j]), j < sent ? VXLANVTEPCounters.txPackets : VXLANVTEPCounters.txDrops)
        }
    }

    /// Writes the outer headers in front of the packet from the slot's template; the reason it cannot, or nil.
    /// Static, with the stage's pointers as arguments: a method of the stage called per packet made the
    /// compiler copy the whole stage (256 bytes, `memcpy`) for every packet.
    @inlinable @inline(__always)
    static func encapsulate(
        _ mbuf: Mbuf, _ meta: PacketMeta, slot: Int, _ v: VXLANView, _ nextHops: VXLANNextHopsView,
        templates: UnsafeMutableRawPointer, keys: UnsafeMutablePointer<UInt64>
    ) -> Drop? {
        let vni = meta.vlan < 4096 ? v.vniOfVLAN[Int(meta.vlan)] : 0
        guard vni != 0 else { return .staleDestination }
        let word = nextHops.word(slot: slot)
        let template = templates + slot &* VXLANEncapTemplate.stride
        if _slowPath(word != keys[slot]) {
            if let reason = buildTemplate(slot: slot, word: word, v, at: template) { return reason }
            keys[slot] = word
        }
        let innerLength = mbuf.packetLength &- (meta.tagged ? 4 : 0)
        guard innerLength &+ VXLANWire.ipOverhead <= v.mtu else { return .exceedsUnderlayMTU }
        let outerLength = VXLANEncapTemplate.length(of: template)
        guard mbuf.headroom >= outerLength else { return .noHeadroom }
        // VXLAN carries the VLAN's frames untagged.
        if meta.tagged { mbuf.popVLANTag() }
        let port = VXLANEncap.sourcePort(inner: UnsafeRawPointer(mbuf.data), length: mbuf.dataLength)
        guard let outer = mbuf.prepend(outerLength) else { return .noHeadroom }
        VXLANEncapTemplate.apply(template, at: outer, innerLength: innerLength, sourcePort: port, vni: vni)
        return nil
    }

    /// Builds remote VTEP `slot`'s template at `template` for next-hop word `word` (rare: the slot's first
    /// packet after a generation is bound or its next hop changed); the reason the slot cannot be sent to, or
    /// nil. The same checks, in the same order, as before templates: a slot the tables do not have is stale
    /// whether or not it is resolved.
    @inlinable @inline(never)
    static func buildTemplate(slot: Int, word: UInt64, _ v: VXLANView, at template: UnsafeMutableRawPointer) -> Drop? {
        guard slot < v.remoteCount, v.remotes[slot] != 0 else { return .staleDestination }
        guard let nextHop = VXLANNextHopsView.nextHop(word: word) else { return .nextHopUnresolved }
        let header = VXLANEncapHeader(
            destinationMAC: nextHop, sourceMAC: v.sourceMAC, underlayVLAN: v.underlayVLAN,
            source: v.local, destination: IPv4Address(rawValue: v.remotes[slot]), ttl: v.ttl, vni: 0)
        VXLANEncapTemplate.build(header, at: template)
        return nil
    }
}
