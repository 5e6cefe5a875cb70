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

/// The bridge's read-only tables: per-port rows, per-VLAN port masks, address lists. Owned here, read by
/// every PMD through `BridgeView` (plain pointers: no reference counting on the fast path).
public final class BridgeTables: @unchecked Sendable {
    // @unchecked: immutable after init; PMDs only read.
    public let view: BridgeView
    public let portCount: Int

    /// At most `PortLimit.maxPorts` specs, so that a VLAN's ports fit one 64-bit mask.
    public init(ports specs: [BridgePortSpec]) {
        precondition(PortLimit.fitsPortMasks, "PortLimit.maxPorts exceeds the 64-bit VLAN port masks")
        precondition(specs.count <= PortLimit.maxPorts, "at most \(PortLimit.maxPorts) ports")
        portCount = specs.count
        let ports = UnsafeMutablePointer<BridgePort>.allocate(capacity: max(specs.count, 1))
        let members = UnsafeMutablePointer<UInt64>.allocate(capacity: 4096)
        let untagged = UnsafeMutablePointer<UInt64>.allocate(capacity: 4096)
        members.initialize(repeating: 0, count: 4096)
        untagged.initialize(repeating: 0, count: 4096)
        var ipv4: [UInt32] = []
        var ipv6: [IPv6Address] = []
        for (index, spec) in specs.enumerated() {
            let bit = UInt64(1) << UInt64(index)
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
                    members[Int(vlan)] |= bit
                    untagged[Int(vlan)] |= bit
                case .trunk(let allowed, let native):
                    row.trunk = true
                    row.untaggedVLAN = native ?? 0
                    for vlan in allowed { members[Int(vlan)] |= bit }
                    if let native {
                        members[Int(native)] |= bit
                        untagged[Int(native)] |= bit
                    }
                }
            }
            ports[index] = row
        }
        let ipv4Table = UnsafeMutablePointer<UInt32>.allocate(capacity: max(ipv4.count, 1))
        ipv4Table.initialize(from: ipv4, count: ipv4.count)
        let ipv6Table = UnsafeMutablePointer<IPv6Address>.allocate(capacity: max(ipv6.count, 1))
        ipv6Table.initialize(from: ipv6, count: ipv6.count)
        view = BridgeView(
            ports: ports, portCount: specs.count, vlanMembers: members, vlanUntagged: untagged,
            ipv4: ipv4Table, ipv6: ipv6Table)
    }

    deinit {
        view.ports.deallocate()
        view.vlanMembers.deallocate()
        view.vlanUntagged.deallocate()
        view.ipv4.deallocate()
        view.ipv6.deallocate()
    }
}

/// The fast path's handle on `BridgeTables`.
@frozen
public struct BridgeView: @unchecked Sendable {
    public let ports: UnsafeMutablePointer<BridgePort>
    public let portCount: Int
    /// For each VLAN id, the ports that carry it (bit i = port i).
    public let vlanMembers: UnsafeMutablePointer<UInt64>
    /// For each VLAN id, the ports on which it is untagged (access VLAN or trunk native VLAN).
    public let vlanUntagged: UnsafeMutablePointer<UInt64>
    public let ipv4: UnsafeMutablePointer<UInt32>
    public let ipv6: UnsafeMutablePointer<IPv6Address>

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
