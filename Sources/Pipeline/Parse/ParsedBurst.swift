import Packet

/// What `ParseStage` saw in a burst from a port with DHCP or the metadata intercept: the union of its
/// packets' header flags, and whether a packet was addressed to the intercepted address. (For bursts from
/// other ports it notes nothing, and says so by claiming everything.) Stages that matter for a
/// few packets only (DHCP, the metadata intercept) are called only for bursts holding one
/// (`SwitchPipeline.process`): ordinary traffic on their ports then pays an OR per packet in the parse loop
/// instead of a stage call and a second pass over the burst.
///
/// A superset: it still counts packets a later stage dropped, which only costs such a stage a pass that
/// finds nothing.
@frozen
public struct ParsedBurst: Sendable {
    /// The union of the parsed packets' `PacketHeaders.flags`.
    public var flags: HeaderFlags
    /// An IPv4 packet from a VM port the intercept serves had the intercepted address as its destination.
    public var toIntercept: Bool

    @inlinable
    public init(flags: HeaderFlags = [], toIntercept: Bool = false) {
        self.flags = flags
        self.toIntercept = toIntercept
    }

    /// Whether some packet had one of `flags`.
    @inlinable @inline(__always)
    public func holdsAny(of flags: HeaderFlags) -> Bool { self.flags.rawValue & flags.rawValue != 0 }
}
