import Packet

/// The tunnel endpoint as the VXLAN stages need it, built from the configuration by the dataplane off the
/// fast path; read-only while PMDs run.
public struct VXLANSpec: Sendable, Equatable {
    /// The uplink's port slot: the only port whose bursts are decapsulated.
    public var uplink: UInt16
    /// The local VTEP address: the outer destination of the packets decapsulated here.
    public var local: IPv4Address
    /// The underlay's 802.1Q tag on the uplink, 0 for none.
    public var underlayVLAN: UInt16
    /// Each VNI with the bridge VLAN (1...4094) it extends.
    public var vnis: [(vni: UInt32, vlan: UInt16)]
    /// The remote VTEPs, by slot: the owner of the MACs learned behind remote VTEP `i` is
    /// `MACOwner.remoteVTEP(i)`. At most `MACOwner.maxRemoteVTEPs`, unique; 0.0.0.0 marks a free slot.
    public var remotes: [IPv4Address]
    /// Head-end replication: for each bridge VLAN a VNI extends, the remote VTEP slots (indexes in
    /// `remotes`) that get a copy of its broadcast, multicast and unknown unicast.
    public var flood: [UInt16: [Int]]
    /// The uplink's MAC: the outer source address of encapsulated frames.
    public var sourceMAC: EthernetAddress
    /// Outer TTL.
    public var ttl: UInt8
    /// The underlay's IPv4 MTU: an encapsulated packet (inner frame + 36) may not exceed it.
    public var mtu: Int

    public init(
        uplink: UInt16, local: IPv4Address, underlayVLAN: UInt16 = 0, vnis: [(vni: UInt32, vlan: UInt16)],
        remotes: [IPv4Address], flood: [UInt16: [Int]] = [:], sourceMAC: EthernetAddress = EthernetAddress(rawValue: 0),
        ttl: UInt8 = 64,
        mtu: Int = 1500
    ) {
        self.flood = flood
        self.sourceMAC = sourceMAC
        self.ttl = ttl
        self.mtu = mtu
        self.uplink = uplink
        self.local = local
        self.underlayVLAN = underlayVLAN
        self.vnis = vnis
        self.remotes = remotes
    }

    public static func == (a: VXLANSpec, b: VXLANSpec) -> Bool {
        a.uplink == b.uplink && a.local == b.local && a.sourceMAC == b.sourceMAC && a.ttl == b.ttl && a.mtu == b.mtu
            && a.underlayVLAN == b.underlayVLAN && a.remotes == b.remotes && a.flood == b.flood
            && a.vnis.map(\.vni) == b.vnis.map(\.vni) && a.vnis.map(\.vlan) == b.vnis.map(\.vlan)
    }
}

/// One configured VNI as the fast path reads it.
@frozen
public struct VXLANVNIRow: Sendable {
    public var vni: UInt32
    public var vlan: UInt16
}

/// The VXLAN tables in the form the fast path reads: plain pointers, no reference counting. `enabled` is
/// false when there is no `vxlan` section: the stages then pass every burst through untouched.
@frozen
public struct VXLANView: @unchecked Sendable {
    public var enabled: Bool
    public var uplink: UInt16
    public var local: IPv4Address
    public var underlayVLAN: UInt16
    public var vnis: UnsafePointer<VXLANVNIRow>
    public var vniCount: Int
    /// Remote VTEP addresses (raw, network order as `IPv4Address.rawValue`) by slot.
    public var remotes: UnsafePointer<UInt32>
    public var remoteCount: Int
    /// The VNI of each bridge VLAN (4096 entries), 0 for a VLAN no VNI extends.
    public var vniOfVLAN: UnsafePointer<UInt32>
    /// The flood list of each bridge VLAN (4096 entries) as a mask of remote VTEP slots.
    public var floodOfVLAN: UnsafePointer<UInt64>
    public var sourceMAC: EthernetAddress
    public var ttl: UInt8
    public var mtu: Int

    /// The bridge VLAN of `vni`, 0 when the VNI is not configured. A linear scan: a VTEP carries a few
    /// VNIs, and the rows fit a cache line or two.
    @inlinable @inline(__always)
    public func vlan(ofVNI vni: UInt32) -> UInt16 {
        for i in 0..<vniCount where vnis[i].vni == vni { return vnis[i].vlan }
        return 0
    }

    /// The slot of the remote VTEP with address `address`, or -1 (always for 0.0.0.0, a free slot's).
    @inlinable @inline(__always)
    public func remoteSlot(of address: IPv4Address) -> Int {
        let raw = address.rawValue
        if raw == 0 { return -1 }
        for i in 0..<remoteCount where remotes[i] == raw { return i }
        return -1
    }
}

/// Owns the memory of one set of VXLAN tables (one per generation). Immutable after init.
public final class VXLANTables: @unchecked Sendable {
    // @unchecked: immutable after init; PMDs only read through `view`.
    public let view: VXLANView
    private let vniRows: UnsafeMutablePointer<VXLANVNIRow>
    private let remoteRows: UnsafeMutablePointer<UInt32>
    private let vniByVLAN: UnsafeMutablePointer<UInt32>
    private let floodByVLAN: UnsafeMutablePointer<UInt64>

    /// Tables with VXLAN off (no `vxlan` section).
    public convenience init() { self.init(nil) }

    /// The tables of a configuration without a `vxlan` section, shared (never read on the fast path: stages
    /// and generations copy its view when they are built).
    public static let disabled = VXLANTables()

    public init(_ spec: VXLANSpec?) {
        let vnis = spec?.vnis ?? []
        let remotes = spec?.remotes ?? []
        precondition(remotes.count <= MACOwner.maxRemoteVTEPs, "at most \(MACOwner.maxRemoteVTEPs) remote VTEPs")
        vniRows = .allocate(capacity: max(vnis.count, 1))
        for (i, row) in vnis.enumerated() { (vniRows + i).initialize(to: VXLANVNIRow(vni: row.vni, vlan: row.vlan)) }
        remoteRows = .allocate(capacity: max(remotes.count, 1))
        for (i, address) in remotes.enumerated() { (remoteRows + i).initialize(to: address.rawValue) }
        vniByVLAN = .allocate(capacity: 4096)
        vniByVLAN.initialize(repeating: 0, count: 4096)
        for row in vnis where row.vlan < 4096 { vniByVLAN[Int(row.vlan)] = row.vni }
        floodByVLAN = .allocate(capacity: 4096)
        floodByVLAN.initialize(repeating: 0, count: 4096)
        for (vlan, slots) in spec?.flood ?? [:] {
            precondition(vlan < 4096 && slots.allSatisfy { $0 >= 0 && $0 < remotes.count }, "VXLAN: bad flood list")
            for slot in slots { floodByVLAN[Int(vlan)] |= 1 << UInt64(slot) }
        }
        view = VXLANView(
            enabled: spec != nil, uplink: spec?.uplink ?? PacketMeta.noEgress,
            local: spec?.local ?? IPv4Address(rawValue: 0), underlayVLAN: spec?.underlayVLAN ?? 0, vnis: vniRows,
            vniCount: vnis.count, remotes: remoteRows, remoteCount: remotes.count, vniOfVLAN: vniByVLAN,
            floodOfVLAN: floodByVLAN,
            sourceMAC: spec?.sourceMAC ?? EthernetAddress(rawValue: 0), ttl: spec?.ttl ?? 64, mtu: spec?.mtu ?? 1500)
    }

    deinit {
        vniRows.deallocate()
        remoteRows.deallocate()
        vniByVLAN.deallocate()
        floodByVLAN.deallocate()
    }
}
