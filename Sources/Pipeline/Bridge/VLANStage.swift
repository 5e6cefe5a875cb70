import Packet

/// Assigns every frame to a bridge VLAN by its ingress port's mode, and drops frames the port may not carry:
/// - access port: untagged (or priority-tagged, VID 0) frames belong to the port's VLAN; other tagged
///   frames are dropped (`tagged-on-access`);
/// - trunk port: tagged frames keep their VLAN if the port allows it (else `vlan-not-allowed`); untagged
///   frames belong to the native VLAN, or are dropped without one (`untagged-on-trunk`).
/// QinQ / 802.1ad frames never get here: the parser drops them (`stacked-vlan`).
public struct VLANStage: PipelineStage, ~Copyable {
    public static let name = "vlan"
    public enum Drop: Int, StageReason {
        case taggedOnAccess, notAllowed, untaggedOnTrunk

        public var name: String {
            switch self {
            case .taggedOnAccess: "tagged-on-access"
            case .notAllowed: "vlan-not-allowed"
            case .untaggedOnTrunk: "untagged-on-trunk"
            }
        }
    }

    public let counters: Counters
    @usableFromInline var bridge: BridgeView

    public init(bridge: BridgeView) {
        self.bridge = bridge
        counters = Self.allocateCounters()
    }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) { bridge = tables.bridge }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let port = Int(burst.ingress)
        let row = bridge.ports[port]
        let count = burst.count
        var first = 0
        if !row.trunk && row.untaggedVLAN != 0 {
            // An access port (a VM's): its frames are untagged, so they all get the port's VLAN, and nothing
            // is dropped until a tagged one appears — from there on, the general loop below.
            let vlan = row.untaggedVLAN
            while first < count && !burst.meta[first].headers.flags.contains(.vlanTagged)
                && burst.meta[first].source == PacketMeta.burstIngress
            {
                burst.meta[first].vlan = vlan
                burst.meta[first].tagged = false
                first &+= 1
            }
            if first == count { return }
        }
        // Nothing before `first` was dropped: compaction starts there.
        var kept = first
        for i in first..<count {
            // Decapsulated from a remote VTEP: the VXLAN decap stage already set the VNI's VLAN.
            if _slowPath(burst.meta[i].source != PacketMeta.burstIngress) {
                burst.keep(i, at: &kept)
                continue
            }
            let headers = burst.meta[i].headers
            let tagged = headers.flags.contains(.vlanTagged)
            let tagVLAN = headers.vlanID
            var vlan: UInt16
            var reason: Drop?
            if !tagged || tagVLAN == 0 {
                vlan = row.untaggedVLAN
                if vlan == 0 { reason = .untaggedOnTrunk }
            } else if row.trunk {
                vlan = tagVLAN
                if !bridge.isMember(port, of: vlan) { reason = .notAllowed }
            } else {
                vlan = 0
                reason = .taggedOnAccess
            }
            if let reason {
                counters.drop(reason)
                burst.drop(i)
            } else {
                burst.meta[i].vlan = vlan
                burst.meta[i].tagged = tagged
                burst.keep(i, at: &kept)
            }
        }
        burst.endCompaction(keeping: kept)
    }
}
