import Packet
import Synchronization

/// The resolved next-hop MAC of each remote VTEP slot, shared by every PMD and written by the control
/// thread (the underlay neighbour handler) as resolutions arrive and expire. Not part of a generation: it
/// changes without a new one. One atomic word per slot: 0 while unresolved, else the MAC with bit 48 set.
public final class VXLANNextHops: @unchecked Sendable {
    // @unchecked: the words are only accessed atomically; the pointer is immutable.
    public let view: VXLANNextHopsView
    private let words: UnsafeMutablePointer<Atomic<UInt64>>

    public init() {
        words = .allocate(capacity: MACOwner.maxRemoteVTEPs)
        for i in 0..<MACOwner.maxRemoteVTEPs { (words + i).initialize(to: Atomic(0)) }
        view = VXLANNextHopsView(words: words)
    }

    deinit { words.deallocate() }

    /// Next hops that are never resolved: what stages use without a dataplane (tests, until bound).
    public static let none = VXLANNextHops()

    /// Records that remote VTEP `slot`'s packets go to `mac` (its own, on-link, or the gateway's).
    public func resolve(slot: Int, mac: EthernetAddress) {
        precondition(slot >= 0 && slot < MACOwner.maxRemoteVTEPs, "VXLAN next hops: slot out of range")
        words[slot].store(mac.rawValue & 0xffff_ffff_ffff | VXLANNextHopsView.resolvedBit, ordering: .relaxed)
    }

    /// Forgets `slot`'s next hop: its packets are dropped (`next-hop-unresolved`) until it is resolved again.
    public func forget(slot: Int) {
        precondition(slot >= 0 && slot < MACOwner.maxRemoteVTEPs, "VXLAN next hops: slot out of range")
        words[slot].store(0, ordering: .relaxed)
    }

    /// The next hop of `slot`, nil while unresolved.
    public func nextHop(slot: Int) -> EthernetAddress? { view.nextHop(slot: slot) }
}

/// The fast path's side of `VXLANNextHops`: a plain pointer.
@frozen
public struct VXLANNextHopsView: @unchecked Sendable {
    @usableFromInline let words: UnsafeMutablePointer<Atomic<UInt64>>

    @inlinable static var resolvedBit: UInt64 { 1 << 48 }

    @usableFromInline init(words: UnsafeMutablePointer<Atomic<UInt64>>) { self.words = words }

    /// Remote VTEP `slot`'s next-hop MAC, nil while unresolved. `slot` is below `MACOwner.maxRemoteVTEPs`.
    @inlinable @inline(__always)
    public func nextHop(slot: Int) -> EthernetAddress? { Self.nextHop(word: word(slot: slot)) }

    /// Remote VTEP `slot`'s word as stored: 0 while unresolved, else the MAC with bit 48 set. A stage that
    /// keeps something built from a next hop (the encap stage's header templates) compares words to know
    /// whether it still holds.
    @inlinable @inline(__always)
    public func word(slot: Int) -> UInt64 { words[slot].load(ordering: .relaxed) }

    /// The next hop a word stands for, nil for an unresolved one.
    @inlinable @inline(__always)
    public static func nextHop(word: UInt64) -> EthernetAddress? {
        word & resolvedBit != 0 ? EthernetAddress(rawValue: word & 0xffff_ffff_ffff) : nil
    }
}
