/// What the pipeline knows about one packet of a burst, kept beside the mbuf pointer so that stages share
/// decisions instead of recomputing them.
@frozen
public struct PacketMeta: Sendable {
    /// Index (in the dataplane's port table) of the port the packet leaves on, or `PacketMeta.noEgress`.
    public var egress: UInt16

    /// No stage has chosen an output port: the transmit stage drops the packet.
    public static let noEgress: UInt16 = .max

    @inlinable
    public init(egress: UInt16 = PacketMeta.noEgress) { self.egress = egress }
}
