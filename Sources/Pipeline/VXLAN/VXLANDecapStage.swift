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

        public var name: String {
            switch self {
            case .decapsulated: "decapsulated"
            }
        }
    }

    public let counters: Counters
    @usableFromInline var vxlan: VXLANView

    /// - Parameter vxlan: the tables used (until a generation is bound, once generations carry them).
    public init(vxlan: VXLANView) {
        self.vxlan = vxlan
        counters = Self.allocateCounters()
    }

    /// Generations do not carry VXLAN tables yet: the tables given at init stay.
    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {}

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let v = vxlan
        guard v.enabled, burst.ingress == v.uplink else { return }
        let count = burst.count
        var kept = 0
        var decapsulated: UInt64 = 0
        for i in 0..<count {
            let mbuf = burst.packets[i]
            let verdict = VXLANDecap.classify(
                UnsafeRawPointer(mbuf.data), length: mbuf.dataLength, local: v.local, underlayVLAN: v.underlayVLAN)
            switch verdict {
            case .notTunnel:
                burst.keep(i, at: &kept)
            case .drop(let problem):
                counters.drop(Drop(problem))
                burst.drop(i)
            case .tunnel(let vni, let innerOffset, let source):
                let vlan = v.vlan(ofVNI: vni)
                if vlan == 0 {
                    counters.drop(.unknownVNI)
                    burst.drop(i)
                    continue
                }
                let slot = v.remoteSlot(of: source)
                if slot < 0 {
                    counters.drop(.unknownVTEP)
                    burst.drop(i)
                    continue
                }
                // classify checked the offset against the first segment's length: the trim cannot fail.
                _ = mbuf.trimFront(innerOffset)
                burst.meta[i].source = MACOwner.remoteVTEP(slot)
                burst.meta[i].vlan = vlan
                burst.meta[i].tagged = false
                decapsulated &+= 1
                burst.keep(i, at: &kept)
            }
        }
        burst.endCompaction(keeping: kept)
        if decapsulated > 0 { counters.event(.decapsulated, count: decapsulated) }
    }
}
