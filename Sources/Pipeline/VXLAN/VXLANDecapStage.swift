import DPDK
import Packet

/// VXLAN decapsulation on the uplink (issue 12), before the parse stage: a frame for the local VTEP
/// (IPv4, UDP 4789, I flag, a configured VNI, from a known remote VTEP) loses its outer headers; the inner
/// frame continues in the VNI's bridge VLAN as if it came from a port "remote VTEP X" (`PacketMeta.source`),
/// so the L2 stage learns its source MAC behind X. Every other frame of the uplink (its ordinary bridged
/// VLANs, the underlay's ARP) passes through untouched. Bursts from other ports are not looked at.
///
/// Downstream: the VLAN stage keeps the VLAN set here, port security does not apply to decapsulated frames
/// (the uplink's policy is about the underlay), and the L2 stage applies split horizon.
public struct VXLANDecapStage: PipelineStage, ~Copyable {
    public static let name = "vxlan-decap"
    public enum Drop: Int, StageReason {
        /// `VXLANDecapProblem`'s cases, in its order, then the stage's own.
        case truncatedOuter, badOuterLength, outerFragment, flagIClear, truncatedInner, innerVLANTag
        /// A VNI that is not configured: its traffic never reaches a bridge VLAN.
        case unknownVNI
        /// From a source address that is not a configured remote VTEP (flood lists, remote MACs).
        case unknownVTEP
        /// ARP or ICMP for the VTEP address that the punt ring to the control thread did not take.
        case puntRingFull

        public var name: String {
            switch self {
            case .truncatedOuter: "truncated-outer"
            case .badOuterLength: "bad-outer-length"
            case .outerFragment: "outer-fragment"
            case .flagIClear: "flag-i-clear"
            case .truncatedInner: "truncated-inner"
            case .innerVLANTag: "inner-vlan-tag"
            case .unknownVNI: "unknown-vni"
            case .unknownVTEP: "unknown-vtep"
            case .puntRingFull: "punt-ring-full"
            }
        }

        @inlinable
        init(_ problem: VXLANDecapProblem) {
            switch problem {
            case .truncatedOuter: self = .truncatedOuter
            case .badOuterLength: self = .badOuterLength
            case .outerFragment: self = .outerFragment
            case .flagIClear: self = .flagIClear
            case .truncatedInner: self = .truncatedInner
            case .innerVLANTag: self = .innerVLANTag
            }
        }
    }
    public enum Event: Int, StageReason {
        /// Frames decapsulated into a bridge VLAN.
        case decapsulated
        /// Underlay ARP and ICMP for the VTEP address handed to the control thread (its punt handler).
        case punted

        public var name: String {
            switch self {
            case .decapsulated: "decapsulated"
            case .punted: "punted"
            }
        }
    }

    public let counters: Counters
    @usableFromInline var vxlan: VXLANView
    /// This PMD's path to the control thread, for the underlay's ARP and ICMP to the VTEP (nil: they pass
    /// through untouched, as in tests without a dataplane).
    @usableFromInline let punt: PuntPath?
    /// This PMD's per remote VTEP counters (shared with its encap stage).
    public let vteps: VXLANVTEPCounters

    /// - Parameters:
    ///   - vxlan: the tables used until a generation is bound.
    ///   - punt: where ARP and ICMP for the VTEP address go (`PuntKind.vxlanUnderlay`).
    ///   - vteps: this PMD's per remote VTEP counters (nil: the stage's own).
    public init(vxlan: VXLANView, punt: PuntPath? = nil, vteps: VXLANVTEPCounters? = nil) {
        self.vxlan = vxlan
        self.punt = punt
        self.vteps = vteps ?? .allocate()
        counters = Self.allocateCounters()
    }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) { vxlan = tables.vxlan }

    /// The only port whose bursts this stage looks at (`PacketMeta.noEgress`, no port, while VXLAN is off):
    /// the pipeline decides once per burst whether to run the stage.
    @inlinable @inline(__always)
    public var uplink: UInt16 { vxlan.uplink }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let v = vxlan
        guard v.enabled, burst.ingress == v.uplink else { return }
        let count = burst.count
        var kept = 0
        var decapsulated: UInt64 = 0
        var punted: UInt64 = 0
        for i in 0..<count {
            let mbuf = burst.packets[i]
            let verdict = VXLANDecap.classify(
                UnsafeRawPointer(mbuf.data), length: mbuf.dataLength, local: v.local, underlayVLAN: v.underlayVLAN)
            switch verdict {
            case .notTunnel:
                if let punt,
                    Self.isForVTEP(
                        UnsafeRawPointer(mbuf.data), length: mbuf.dataLength, local: v.local,
                        underlayVLAN: v.underlayVLAN)
                {
                    if punt.punt(mbuf.raw, kind: .vxlanUnderlay, port: burst.ingress) {
                        punted &+= 1
                    } else {
                        counters.drop(.puntRingFull)
                        burst.drop(i)
                    }
                    continue
                }
                burst.keep(i, at: &kept)
            case .drop(let problem):
                counters.drop(Drop(problem))
                burst.drop(i)
            case .tunnel(let vni, let innerOffset, let source):
                let vlan = v.vlan(ofVNI: vni)
                if vlan == 0 {
                    counters.drop(.unknownVNI)
                    let from = v.remoteSlot(of: source)
                    if from >= 0 { vteps.add(slot: from, VXLANVTEPCounters.rxDrops) }
                    burst.drop(i)
                    continue
                }
                let slot = v.remoteSlot(of: source)
                if slot < 0 {
                    counters.drop(.unknownVTEP)
                    burst.drop(i)
                    continue
                }
                // classify checked the outer lengths against the first segment: the trim cannot fail.
                // Ethernet padding after the outer IP packet is no part of the inner frame: the inner
                // frame moves up against the end of the IP packet and the padding goes with the outer
                // headers (rare: only a peer's minimum-size padding or a trailer).
                let data = mbuf.data
                let innerEnd = (v.underlayVLAN == 0 ? 14 : 18) + Int(Self.u16(data, v.underlayVLAN == 0 ? 16 : 20))
                let padding = mbuf.segmentCount == 1 ? mbuf.dataLength - innerEnd : 0
                if padding > 0 {
                    (data + innerOffset + padding).copyMemory(
                        from: data + innerOffset, byteCount: innerEnd - innerOffset)
                }
                _ = mbuf.trimFront(innerOffset + max(padding, 0))
                vteps.add(slot: slot, VXLANVTEPCounters.rxPackets)
                burst.meta[i].source = MACOwner.remoteVTEP(slot)
                burst.meta[i].vlan = vlan
                burst.meta[i].tagged = false
                decapsulated &+= 1
                burst.keep(i, at: &kept)
            }
        }
        burst.endCompaction(keeping: kept)
        if decapsulated > 0 { counters.event(.decapsulated, count: decapsulated) }
        if punted > 0 { counters.event(.punted, count: punted) }
    }

    /// Whether a frame the tunnel does not take is the underlay's ARP or ICMP for the VTEP address (with the
    /// underlay's tag): ARP whose target is the VTEP (requests for it, replies to its own requests) and
    /// IPv4 ICMP to it. The control thread's handler answers or learns from them.
    @inlinable @inline(__always)
    static func isForVTEP(_ frame: UnsafeRawPointer, length: Int, local: IPv4Address, underlayVLAN: UInt16) -> Bool {
        var l3 = 14
        guard length >= 42 else { return false }
        var ethertype = Self.u16(frame, 12)
        if underlayVLAN != 0 {
            guard ethertype == VXLANWire.ethertype8021Q, Self.u16(frame, 14) & 0x0fff == underlayVLAN else {
                return false
            }
            ethertype = Self.u16(frame, 16)
            l3 = 18
        }
        if ethertype == LocalReplies.ethertypeARP {
            // Target protocol address (after a 28-byte Ethernet/IPv4 ARP body's first 24 bytes).
            return length >= l3 + 28 && Self.u32(frame, l3 + 24) == local.rawValue
        }
        return ethertype == VXLANWire.ethertypeIPv4 && length >= l3 + 20
            && frame.load(fromByteOffset: l3 + 9, as: UInt8.self) == 1
            && Self.u32(frame, l3 + 16) == local.rawValue
    }
}

extension VXLANDecapStage {
    @inlinable @inline(__always)
    static func u16(_ base: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable @inline(__always)
    static func u32(_ base: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}

extension PuntKind {
    /// The VTEP's underlay ARP and ICMP (kind 1, reserved in docs/architecture.md, "Punt handlers").
    @inlinable public static var vxlanUnderlay: PuntKind { PuntKind(rawValue: 1) }
}
