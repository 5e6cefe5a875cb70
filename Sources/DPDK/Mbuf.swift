import CDPDK
import Glibc

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
    public func prepend(_ count: Int) -> UnsafeMutableRawPointer? {
        sl_mbuf_prepend(raw, UInt16(truncatingIfNeeded: count))
    }

    /// Shrinks the packet at the front by `count` bytes; the new start, or nil if too short.
    @inlinable @inline(__always)
    public func trimFront(_ count: Int) -> UnsafeMutableRawPointer? {
        sl_mbuf_adj(raw, UInt16(truncatingIfNeeded: count))
    }

    /// Appends `count` bytes; their start, or nil without tailroom.
    @inlinable @inline(__always)
    public func append(_ count: Int) -> UnsafeMutableRawPointer? {
        sl_mbuf_append(raw, UInt16(truncatingIfNeeded: count))
    }

    /// A full copy (its own data buffers) from the same pool; nil when the pool is empty.
    @inlinable @inline(__always)
    public func copy() -> Mbuf? {
        guard let copy = sl_mbuf_copy(raw, sl_mbuf_pool(raw)) else { return nil }
        return Mbuf(copy)
    }

    /// Inserts an 802.1Q tag (TPID 0x8100, `tci`) after the MAC addresses; false without headroom.
    @inlinable @inline(__always)
    public func pushVLANTag(tci: UInt16) -> Bool {
        guard let start = prepend(4) else { return false }
        // The 12 address bytes move 4 bytes to the front: two loads, then two stores (no libc call).
        let addresses = start.loadUnaligned(fromByteOffset: 4, as: UInt64.self)
        let addressTail = start.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        start.storeBytes(of: addresses, as: UInt64.self)
        start.storeBytes(of: addressTail, toByteOffset: 8, as: UInt32.self)
        start.storeBytes(of: UInt16(0x8100).bigEndian, toByteOffset: 12, as: UInt16.self)
        start.storeBytes(of: tci.bigEndian, toByteOffset: 14, as: UInt16.self)
        return true
    }

    /// Removes the 802.1Q tag that follows the MAC addresses (the caller knows there is one).
    @inlinable @inline(__always)
    public func popVLANTag() {
        let start = data
        // The address bytes over the tag (overlapping ranges: both loads before the stores).
        let addresses = start.loadUnaligned(as: UInt64.self)
        let addressTail = start.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        start.storeBytes(of: addresses, toByteOffset: 4, as: UInt64.self)
        start.storeBytes(of: addressTail, toByteOffset: 12, as: UInt32.self)
        _ = trimFront(4)
    }

    /// Rewrites the VLAN id of the 802.1Q tag after the MAC addresses, keeping priority and DEI.
    @inlinable @inline(__always)
    public func setVLANID(_ vlan: UInt16) {
        let tci = UInt16(bigEndian: data.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
        data.storeBytes(of: ((tci & 0xf000) | (vlan & 0x0fff)).bigEndian, toByteOffset: 14, as: UInt16.self)
    }

    /// Returns the buffer (all segments) to its pool. The view must not be used afterwards.
    ///
    /// Through DPDK's exported bulk free, not the inline `rte_pktmbuf_free`: inlined, that puts a locked
    /// decrement of the reference count (for shared buffers, which Sluice never makes) into the caller, and
    /// tools/check-fastpath refuses locked instructions on the fast path. Out of line, so that the address
    /// taken of `buffer` does not give the caller a stack protector. Single frees are rare on the fast path
    /// (a flood copy that cannot be sent): the call costs nothing that matters.
    @inline(never)
    public func free() {
        var buffer: OpaquePointer? = raw
        rte_pktmbuf_free_bulk(&buffer, 1)
    }
}

extension Mbuf {
    /// Returns `count` buffers to their pools in one call.
    @inlinable @inline(__always)
    public static func freeBulk(_ buffers: UnsafeMutablePointer<OpaquePointer?>, count: Int) {
        if count > 0 { rte_pktmbuf_free_bulk(buffers, UInt32(truncatingIfNeeded: count)) }
    }
}
