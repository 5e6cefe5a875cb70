import Packet

/// How one port takes part in the bridge, as the stages need it. Built from the configuration by the
/// dataplane; read-only while PMDs run.
public struct BridgePortSpec: Sendable, Equatable {
    public enum VLANMode: Sendable, Equatable {
        case access(vlan: UInt16)
        case trunk(allowed: [UInt16], native: UInt16?)
    }

    /// False for ports outside the bridge (patched ports): no VLAN, learning or flooding applies.
    public var bridged: Bool
    public var vlanMode: VLANMode
    /// Port security: the only source MAC accepted, or nil when port security is off.
    public var allowedMAC: EthernetAddress?
    /// With port security: the source addresses the port may use; nil = any.
    public var allowedIPv4: [IPv4Address]?
    public var allowedIPv6: [IPv6Address]?
    /// The port's MTU: the parse stage drops a frame with more bytes after its Ethernet header (and tag).
    public var mtu: Int

    public init(
        bridged: Bool = true, vlanMode: VLANMode = .access(vlan: 1), allowedMAC: EthernetAddress? = nil,
        allowedIPv4: [IPv4Address]? = nil, allowedIPv6: [IPv6Address]? = nil, mtu: Int = 1500
    ) {
        self.bridged = bridged
        self.vlanMode = vlanMode
        self.allowedMAC = allowedMAC
        self.allowedIPv4 = allowedIPv4
        self.allowedIPv6 = allowedIPv6
        self.mtu = mtu
    }
}

/// One port's row of the bridge tables, in the form the fast path reads.
@frozen
public struct BridgePort: Sendable {
    public var bridged: Bool
    public var trunk: Bool
    /// Access ports: their VLAN. Trunk ports: the native VLAN, or 0 when untagged frames are not allowed.
    public var untaggedVLAN: UInt16
    public var securityEnabled: Bool
    public var restrictIPv4: Bool
    public var restrictIPv6: Bool
    public var allowedMAC: UInt64
    public var ipv4Start: Int32
    public var ipv4Count: Int32
    public var ipv6Start: Int32
    public var ipv6Count: Int32
    /// The port's MTU (`BridgePortSpec.mtu`).
    public var mtu: Int32
}

/// The bridge's read-only tables: per-port rows, per-VLAN port sets and flood lists, address lists. Owned
/// here, read by every PMD through `BridgeView` (plain pointers: no reference counting on the fast path).
public final class BridgeTables: @unchecked Sendable {
    // @unchecked: immutable after init; PMDs only read.
    public let view: BridgeView
    public let portCount: Int

    /// At most `PortLimit.maxPorts` specs (port slots).
    public init(ports specs: [BridgePortSpec]) {
        precondition(specs.count <= PortLimit.maxPorts, "at most \(PortLimit.maxPorts) ports")
        portCount = specs.count
        let ports = UnsafeMutablePointer<BridgePort>.allocate(capacity: max(specs.count, 1))
        let members = PortSet.allocate(count: BridgeView.vlanCount)
        let untagged = PortSet.allocate(count: BridgeView.vlanCount)
        var ipv4: [UInt32] = []
        var ipv6: [IPv6Address] = []
        for (index, spec) in specs.enumerated() {
            var row = BridgePort(
                bridged: spec.bridged, trunk: false, untaggedVLAN: 0, securityEnabled: spec.allowedMAC != nil,
                restrictIPv4: spec.allowedMAC != nil && (spec.allowedIPv4 != nil || spec.allowedIPv6 != nil),
                restrictIPv6: spec.allowedMAC != nil && (spec.allowedIPv4 != nil || spec.allowedIPv6 != nil),
                allowedMAC: spec.allowedMAC?.rawValue ?? 0,
                ipv4Start: Int32(ipv4.count), ipv4Count: Int32(spec.allowedIPv4?.count ?? 0),
                ipv6Start: Int32(ipv6.count), ipv6Count: Int32(spec.allowedIPv6?.count ?? 0),
                mtu: Int32(clamping: spec.mtu))
            ipv4 += (spec.allowedIPv4 ?? []).map(\.rawValue)
            ipv6 += spec.allowedIPv6 ?? []
            if spec.bridged {
                switch spec.vlanMode {
                case .access(let vlan):
                    row.untaggedVLAN = vlan
                    members.at(Int(vlan & 0xFFF)).insert(index)
                    untagged.at(Int(vlan & 0xFFF)).insert(index)
                case .trunk(let allowed, let native):
                    row.trunk = true
                    row.untaggedVLAN = native ?? 0
                    for vlan in allowed { members.at(Int(vlan & 0xFFF)).insert(index) }
                    if let native {
                        members.at(Int(native & 0xFFF)).insert(index)
                        untagged.at(Int(native & 0xFFF)).insert(index)
                    }
                }
            }
            ports[index] = row
        }
        // Each VLAN's member slots, ascending, one list after the other: what a flood walks.
        let floodStart = UnsafeMutablePointer<UInt32>.allocate(capacity: BridgeView.vlanCount + 1)
        var flood: [UInt16] = []
        for vlan in 0..<BridgeView.vlanCount {
            floodStart[vlan] = UInt32(flood.count)
            flood += members.at(vlan).slots.map { UInt16($0) }
        }
        floodStart[BridgeView.vlanCount] = UInt32(flood.count)
        let floodSlots = UnsafeMutablePointer<UInt16>.allocate(capacity: max(flood.count, 1))
        floodSlots.initialize(from: flood, count: flood.count)
        let ipv4Table = UnsafeMutablePointer<UInt32>.allocate(capacity: max(ipv4.count, 1))
        ipv4Table.initialize(from: ipv4, count: ipv4.count)
        let ipv6Table = UnsafeMutablePointer<IPv6Address>.allocate(capacity: max(ipv6.count, 1))
        ipv6Table.initialize(from: ipv6, count: ipv6.count)
        view = BridgeView(
            ports: ports, portCount: specs.count, vlanMembersWords: members.words, vlanUntaggedWords: untagged.words,
            floodStart: floodStart, floodSlots: floodSlots, ipv4: ipv4Table, ipv6: ipv6Table)
    }

    deinit {
        view.ports.deallocate()
        view.vlanMembersWords.deallocate()
        view.vlanUntaggedWords.deallocate()
        view.floodStart.deallocate()
        view.floodSlots.deallocate()
        view.ipv4.deallocate()
        view.ipv6.deallocate()
    }
}

/// The fast path's handle on `BridgeTables`.
@frozen
public struct BridgeView: @unchecked Sendable {
    public let ports: UnsafeMutablePointer<BridgePort>
    public let portCount: Int
    /// `vlanCount` port sets: for each VLAN id, the ports that carry it (`vlanMembers(_:)`).
    public let vlanMembersWords: UnsafeMutablePointer<UInt64>
    /// `vlanCount` port sets: for each VLAN id, the ports on which it is untagged (access VLAN or trunk native
    /// VLAN) (`vlanUntagged(_:)`).
    public let vlanUntaggedWords: UnsafeMutablePointer<UInt64>
    /// `vlanCount + 1` offsets into `floodSlots`: VLAN v's member slots are `floodStart[v] ..< floodStart[v + 1]`.
    public let floodStart: UnsafeMutablePointer<UInt32>
    /// Every VLAN's member slots, ascending, VLAN after VLAN (`floodMembers(_:)`).
    public let floodSlots: UnsafeMutablePointer<UInt16>
    public let ipv4: UnsafeMutablePointer<UInt32>
    public let ipv6: UnsafeMutablePointer<IPv6Address>

    /// VLAN ids are 12 bits.
    @inlinable public static var vlanCount: Int { 4096 }

    @inlinable
    public init(
        ports: UnsafeMutablePointer<BridgePort>, portCount: Int, vlanMembersWords: UnsafeMutablePointer<UInt64>,
        vlanUntaggedWords: UnsafeMutablePointer<UInt64>, floodStart: UnsafeMutablePointer<UInt32>,
        floodSlots: UnsafeMutablePointer<UInt16>, ipv4: UnsafeMutablePointer<UInt32>,
        ipv6: UnsafeMutablePointer<IPv6Address>
    ) {
        self.ports = ports
        self.portCount = portCount
        self.vlanMembersWords = vlanMembersWords
        self.vlanUntaggedWords = vlanUntaggedWords
        self.floodStart = floodStart
        self.floodSlots = floodSlots
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// The ports that carry `vlan` (its low 12 bits).
    @inlinable @inline(__always)
    public func vlanMembers(_ vlan: UInt16) -> PortSet {
        PortSet(words: vlanMembersWords + Int(vlan & 0xFFF) &* PortSet.wordCount)
    }

    /// The ports on which `vlan` (its low 12 bits) is untagged.
    @inlinable @inline(__always)
    public func vlanUntagged(_ vlan: UInt16) -> PortSet {
        PortSet(words: vlanUntaggedWords + Int(vlan & 0xFFF) &* PortSet.wordCount)
    }

    /// Whether `port` (a slot below `PortLimit.maxPorts`) carries `vlan`: one load and a bit test.
    @inlinable @inline(__always)
    public func isMember(_ port: Int, of vlan: UInt16) -> Bool { vlanMembers(vlan).contains(port) }

    /// Whether `vlan` is untagged on `port` (a slot below `PortLimit.maxPorts`).
    @inlinable @inline(__always)
    public func isUntagged(_ port: Int, in vlan: UInt16) -> Bool { vlanUntagged(vlan).contains(port) }

    /// `vlan`'s member slots, ascending: a flood costs the VLAN's members, not the port count.
    @inlinable @inline(__always)
    public func floodMembers(_ vlan: UInt16) -> UnsafeBufferPointer<UInt16> {
        let v = Int(vlan & 0xFFF)
        let start = Int(floodStart[v])
        return UnsafeBufferPointer(start: floodSlots + start, count: Int(floodStart[v &+ 1]) &- start)
    }

    /// Whether a flood in `vlan` from `ingress` has a port to go to: an enabled member other than the ingress
    /// and not in `exclusion`. Stops at the first such member.
    @inlinable @inline(__always)
    public func floodHasOutput(_ vlan: UInt16, ingress: Int, enabled: PortSet, excluding exclusion: PortSet?) -> Bool {
        for member in floodMembers(vlan) {
            let port = Int(member)
            if port != ingress && enabled.contains(port) && !(exclusion?.contains(port) ?? false) { return true }
        }
        return false
    }

    @inlinable @inline(__always)
    public func allowsIPv4(port: Int, _ address: UInt32) -> Bool {
        let row = ports[port]
        for i in Int(row.ipv4Start)..<Int(row.ipv4Start + row.ipv4Count) where ipv4[i] == address { return true }
        return false
    }

    @inlinable @inline(__always)
    public func allowsIPv6(port: Int, _ address: IPv6Address) -> Bool {
        let row = ports[port]
        for i in Int(row.ipv6Start)..<Int(row.ipv6Start + row.ipv6Count) where ipv6[i] == address { return true }
        return false
    }
}
