import Packet

/// Who owns a MAC in the shared MAC table: a port (`0 ..< PortLimit.maxPorts`, its slot) or a remote VXLAN
/// tunnel endpoint (`PortLimit.maxPorts ..< count`, one owner per remote VTEP slot). Remote VTEPs learn,
/// age, are limited and are flushed exactly like ports, because they are owners of the same table.
///
/// Computed `@inlinable` statics, not `static let`s: they fold to constants on the fast path (no
/// `swift_once`). Owners stay far below `PacketMeta.flood` and `PacketMeta.noEgress`.
@frozen
public enum MACOwner {
    /// The most remote VTEPs one Sluice instance can learn MACs behind.
    @inlinable public static var maxRemoteVTEPs: Int { 64 }

    /// Every owner index the MAC table accepts: the ports, then the remote VTEPs.
    @inlinable public static var count: Int { PortLimit.maxPorts + maxRemoteVTEPs }

    /// The owner index of remote VTEP slot `slot` (`0 ..< maxRemoteVTEPs`).
    @inlinable @inline(__always)
    public static func remoteVTEP(_ slot: Int) -> UInt16 {
        precondition(slot >= 0 && slot < maxRemoteVTEPs, "MACOwner: remote VTEP slot out of range")
        return UInt16(truncatingIfNeeded: PortLimit.maxPorts + slot)
    }

    /// Whether `owner` is a remote VTEP (not a port, not `PacketMeta.flood`/`noEgress`).
    @inlinable @inline(__always)
    public static func isRemoteVTEP(_ owner: UInt16) -> Bool {
        Int(owner) >= PortLimit.maxPorts && Int(owner) < count
    }

    /// The remote VTEP slot of `owner`, nil for a port or a special egress value.
    @inlinable
    public static func remoteVTEPSlot(of owner: UInt16) -> Int? {
        isRemoteVTEP(owner) ? Int(owner) - PortLimit.maxPorts : nil
    }
}
