import Packet

/// What the pipeline knows about one packet of a burst, kept beside the mbuf pointer so that stages share
/// decisions instead of recomputing them: the headers are parsed once, by `ParseStage`.
@frozen
public struct PacketMeta: Sendable {
    /// Where each header starts (valid once `ParseStage` has run on the packet).
    public var headers: PacketHeaders
    /// Index (in the dataplane's port table) of the port the packet leaves on, `noEgress` or `flood`.
    public var egress: UInt16
    /// The bridge VLAN the packet belongs to (set by `VLANStage`); 0 for packets that bypass the bridge
    /// (patched ports), which leave exactly as they came in.
    public var vlan: UInt16
    /// Whether the packet's data currently carries an 802.1Q tag: the transmit stage adds or removes one
    /// per output port as that port's VLAN mode requires.
    public var tagged: Bool
    /// The MAC owner the packet comes from when it is not the burst's ingress port: a remote VTEP
    /// (`MACOwner.remoteVTEP`) for a decapsulated frame. `PacketMeta.burstIngress` (the default) means the
    /// burst's ingress port. The L2 stage learns the source MAC on this owner and applies split horizon.
    public var source: UInt16
    /// Ports a flood must skip: 0 for none, else 1 + the index of the set in the burst's `floodExcludes`
    /// (the security-group stage puts there the filtered ports whose rules refuse the packet).
    public var floodExclude: UInt16
    /// Pads the metadata to 32 bytes, two entries per cache line (`PacketBurst` aligns the array to one).
    /// At 26 bytes, entries straddled lines and every reset, compaction and header store paid for it: the l2
    /// scenario lost about 5 cycles per packet when `floodExclude` shrank from 8 bytes to 2.
    @usableFromInline var padding: (UInt16, UInt16, UInt16)

    /// `source` of a packet that comes from the burst's ingress port.
    public static let burstIngress: UInt16 = .max
    /// No stage has chosen an output port: the transmit stage drops the packet.
    public static let noEgress: UInt16 = .max
    /// Every port of the packet's VLAN except the one it came from.
    public static let flood: UInt16 = .max - 1

    @inlinable
    public init(egress: UInt16 = PacketMeta.noEgress) {
        headers = PacketHeaders()
        self.egress = egress
        vlan = 0
        tagged = false
        source = PacketMeta.burstIngress
        floodExclude = 0
        padding = (0, 0, 0)
    }
}
