import CDPDK

/// A view of one packet buffer. It does not own the buffer: ownership lives in `MbufBurst` (or with the
/// driver after a transmit). Accessors compile to single loads through CDPDK's inline functions.
@frozen
public struct Mbuf: @unchecked Sendable {
    // @unchecked: an mbuf belongs to one lcore at a time; the burst owners enforce the hand-over.
    public let raw: OpaquePointer

    @inlinable @inline(__always)
    public init(_ raw: OpaquePointer) { self.raw = raw }

    /// Start of the packet data in the first segment.
    @inlinable @inline(__always)
    public var data: UnsafeMutableRawPointer { sl_mbuf_data(raw) }

    /// Bytes of data in the first segment (what header views may read).
    @inlinable @inline(__always)
    public var dataLength: Int { Int(sl_mbuf_data_len(raw)) }

    /// Bytes in the whole packet, all segments.
    @inlinable @inline(__always)
    public var packetLength: Int { Int(sl_mbuf_pkt_len(raw)) }

    @inlinable @inline(__always)
    public var segmentCount: Int { Int(sl_mbuf_nb_segs(raw)) }

    /// The DPDK port id the packet was received on.
    @inlinable @inline(__always)
    public var inputPort: UInt16 { sl_mbuf_port(raw) }

    @inlinable @inline(__always)
    public var headroom: Int { Int(sl_mbuf_headroom(raw)) }

    /// The first `dataLength` bytes as a raw buffer.
    @inlinable @inline(__always)
    public var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: data, count: dataLength)
    }

    /// Grows the packet at the front by `count` bytes; the new start, or nil without headroom.
    @inlinable @inline(__always)
    public func prepend(_ count: Int) -> UnsafeMutableRawPointer? { sl_mbuf_prepend(raw, UInt16(truncatingIfNeeded: count)) }

    /// Shrinks the packet at the front by `count` bytes; the new start, or nil if too short.
    @inlinable @inline(__always)
    public func trimFront(_ count: Int) -> UnsafeMutableRawPointer? { sl_mbuf_adj(raw, UInt16(truncatingIfNeeded: count)) }

    /// Appends `count` bytes; their start, or nil without tailroom.
    @inlinable @inline(__always)
    public func append(_ count: Int) -> UnsafeMutableRawPointer? { sl_mbuf_append(raw, UInt16(truncatingIfNeeded: count)) }

    /// Returns the buffer (all segments) to its pool. The view must not be used afterwards.
    @inlinable @inline(__always)
    public func free() { sl_mbuf_free(raw) }
}

extension Mbuf {
    /// Returns `count` buffers to their pools in one call.
    @inlinable @inline(__always)
    public static func freeBulk(_ buffers: UnsafeMutablePointer<OpaquePointer?>, count: Int) {
        if count > 0 { rte_pktmbuf_free_bulk(buffers, UInt32(truncatingIfNeeded: count)) }
    }
}
