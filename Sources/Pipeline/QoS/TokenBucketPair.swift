import Synchronization

/// The words of a port direction's two buckets (packets and bytes), read together. To-vm policing reads
/// them once, takes tokens from a copy, and publishes the copy all or nothing (`QoSTables.publish`), starting
/// again from fresh words when another PMD changed a bucket meanwhile: one transaction shape for the `qos`
/// stage's bursts and for transmit's flood copies.
@frozen
public struct TokenBucketPairWords: Equatable {
    public var packetsEmpty: UInt64
    public var packetsOne: UInt64
    public var bytesEmpty: UInt64
    public var bytesOne: UInt64

    @inlinable
    public init(packetsEmpty: UInt64, packetsOne: UInt64, bytesEmpty: UInt64, bytesOne: UInt64) {
        self.packetsEmpty = packetsEmpty
        self.packetsOne = packetsOne
        self.bytesEmpty = bytesEmpty
        self.bytesOne = bytesOne
    }

    /// Takes `packets` tokens from the packet bucket and `bytes` from the bandwidth bucket at scaled time `t`,
    /// for the buckets `spec` has: both or neither (on false, nothing changed).
    @inlinable @inline(__always)
    public mutating func take(packets: UInt64, bytes: UInt64, _ spec: QoSDirectionSpec, at t: UInt64) -> Bool {
        var next = self
        if let bucket = spec.packets,
            !bucket.take(packets, at: t, emptyTime: &next.packetsEmpty, oneTime: &next.packetsOne)
        {
            return false
        }
        if let bucket = spec.bytes, !bucket.take(bytes, at: t, emptyTime: &next.bytesEmpty, oneTime: &next.bytesOne) {
            return false
        }
        self = next
        return true
    }
}

extension QoSTables {
    /// The current words of `slot`'s two buckets in `direction`.
    @inlinable @inline(__always)
    public func words(slot: Int, _ direction: QoSDirection) -> TokenBucketPairWords {
        let bytes = bucket(slot: slot, direction, packets: false)
        let packets = bucket(slot: slot, direction, packets: true)
        return TokenBucketPairWords(
            packetsEmpty: packets.emptyTime.pointee.load(ordering: .relaxed),
            packetsOne: packets.oneTime.pointee.load(ordering: .relaxed),
            bytesEmpty: bytes.emptyTime.pointee.load(ordering: .relaxed),
            bytesOne: bytes.oneTime.pointee.load(ordering: .relaxed))
    }

    /// Publishes `after`, computed from `before`, to `slot`'s buckets in `direction`: the bandwidth bucket, then
    /// the packet bucket (refunding the first if the second lost). False, with nothing changed, when another
    /// PMD changed either meanwhile: the caller starts again from fresh words.
    @inlinable @inline(__always)
    public func publish(
        slot: Int, _ direction: QoSDirection, from before: TokenBucketPairWords, to after: TokenBucketPairWords
    ) -> Bool {
        let bytes = bucket(slot: slot, direction, packets: false)
        let packets = bucket(slot: slot, direction, packets: true)
        guard bytes.commit(from: before.bytesEmpty, before.bytesOne, to: after.bytesEmpty, after.bytesOne) else {
            return false
        }
        guard packets.commit(from: before.packetsEmpty, before.packetsOne, to: after.packetsEmpty, after.packetsOne)
        else {
            bytes.refund(from: before.bytesEmpty, before.bytesOne, to: after.bytesEmpty, after.bytesOne)
            return false
        }
        return true
    }
}
