import DPDK
import Packet
import Synchronization

/// How a capture session's frames are marked in the capture ring (`PuntEntry.kind`): the session's slot in
/// the low byte, and `CaptureKind.egress` set for a frame copied on its way out.
public enum CaptureKind {
    /// The most sessions running at once (bits of a port's capture word per direction).
    @inlinable public static var maxSessions: Int { 8 }
    /// Set in `PuntEntry.kind` for a frame copied as it was handed to the port's tx.
    @inlinable public static var egress: UInt16 { 0x100 }
    /// The record a captured copy starts with: the TSC when it was copied (8 bytes), the frame's length on
    /// the wire (4 bytes) and 4 bytes of padding; the frame's first bytes follow.
    @inlinable public static var recordHeader: Int { 16 }
}

/// The counters of one PMD's captures: per session slot, frames copied and frames lost (the capture ring
/// was full or the packet pool empty). Written by the PMD only.
public enum CaptureCounters {
    @inlinable public static func copied(_ session: Int) -> Int { session &* 2 }
    @inlinable public static func lost(_ session: Int) -> Int { session &* 2 &+ 1 }
    public static let count = 2 * 8
}

/// One PMD's view of the running captures (Capture/, docs/capture.md): which ports are captured in which
/// direction, and where copies go. A value type of pointers, copied into every generation's
/// `ForwardingTables` (it is the same memory in all of them: starting or stopping a capture needs no new
/// generation).
///
/// The control thread sets a port's capture word (bits 0..<8: sessions capturing what the port receives,
/// 8..<16: what it sends); the PMD reads it once per burst (`ingress`) or per port a burst is sent to
/// (`egress`). With no capture running on the port, that is one load and one test: nothing per packet.
/// A captured packet is copied (its first `snaplen` bytes, after a 16-byte record of TSC and wire length)
/// into a new mbuf from the pool and queued on this PMD's capture ring for the control thread. A full ring
/// or an empty pool is counted as the session's loss; the PMD never waits, and the original packet goes on
/// unchanged.
@frozen
public struct CaptureTap: @unchecked Sendable {
    // @unchecked: port words and snap lengths are written by the control thread before (words: with) a
    // release store and read with acquire loads; the ring has one producer (this PMD) and one consumer.
    /// One word per port slot (`PortLimit.maxPorts`), shared by every PMD.
    @usableFromInline let ports: UnsafeMutablePointer<Atomic<UInt32>>
    /// Bytes copied per frame, by session slot, shared by every PMD (set before the session's bits).
    @usableFromInline let snapLengths: UnsafeMutablePointer<Int>
    /// This PMD's ring of copies to the control thread.
    public let ring: PacketRing
    /// This PMD's `CaptureCounters`.
    public let counters: CounterBlock
    /// Where copies come from.
    @usableFromInline let pool: PacketPool?

    @usableFromInline
    init(
        ports: UnsafeMutablePointer<Atomic<UInt32>>, snapLengths: UnsafeMutablePointer<Int>, ring: PacketRing,
        counters: CounterBlock, pool: PacketPool?
    ) {
        self.ports = ports
        self.snapLengths = snapLengths
        self.ring = ring
        self.counters = counters
        self.pool = pool
    }

    /// A tap on which nothing is ever captured (tables built without a dataplane: tests, the bench's
    /// defaults). Not for the fast path: it is only called where tables are built.
    public static var off: CaptureTap { CaptureOff.tap }

    /// The sessions capturing `port` in the direction of `shift` (0 in, 8 out).
    @inlinable @inline(__always)
    func sessions(port: UInt16, shift: UInt32) -> UInt32 {
        // A masking index: the slot is below PortLimit.maxPorts (a power of two).
        (ports[Int(port) & (PortLimit.maxPorts &- 1)].load(ordering: .acquiring) &>> shift) & 0xff
    }

    /// The sessions (bit per slot) capturing `port` on its way in (`egress` false) or out, as a PMD sees them.
    public func sessionBits(port: Int, egress: Bool) -> UInt32 {
        sessions(port: UInt16(truncatingIfNeeded: port), shift: egress ? 8 : 0)
    }

    /// The bytes a PMD copies per frame for session slot `session`.
    public func snapLength(session: Int) -> Int { snapLengths[session] }

    /// Copies what `port` received (`count` packets at `packets`) for the sessions capturing its ingress.
    @inlinable @inline(__always)
    public func ingress(_ packets: UnsafeMutablePointer<OpaquePointer?>, count: Int, port: UInt16) {
        let sessions = sessions(port: port, shift: 0)
        if _fastPath(sessions == 0) { return }
        copy(packets, count: count, port: port, sessions: sessions, egress: false)
    }

    /// Copies what is handed to `port`'s tx (`count` packets at `packets`) for the sessions capturing its
    /// egress.
    @inlinable @inline(__always)
    public func egress(_ packets: UnsafeMutablePointer<OpaquePointer?>, count: Int, port: Int) {
        let sessions = sessions(port: UInt16(truncatingIfNeeded: port), shift: 8)
        if _fastPath(sessions == 0) { return }
        copy(packets, count: count, port: UInt16(truncatingIfNeeded: port), sessions: sessions, egress: true)
    }

    /// The slow half: a copy per packet per session, out of line so that the check above stays small.
    @inline(never) @usableFromInline
    func copy(
        _ packets: UnsafeMutablePointer<OpaquePointer?>, count: Int, port: UInt16, sessions: UInt32, egress: Bool
    ) {
        guard let pool else { return }
        let now = readTSC()
        var remaining = sessions
        while remaining != 0 {
            let session = remaining.trailingZeroBitCount
            remaining &= remaining &- 1
            let snapLength = snapLengths[session]
            let kind = PuntKind(rawValue: UInt16(truncatingIfNeeded: session) | (egress ? CaptureKind.egress : 0))
            for i in 0..<count {
                let original = Mbuf(packets[i].unsafelyUnwrapped)
                let length = min(snapLength, original.dataLength)
                guard let copy = pool.allocate() else {
                    counters.increment(CaptureCounters.lost(session))
                    continue
                }
                guard let record = copy.append(CaptureKind.recordHeader &+ length) else {
                    copy.free()
                    counters.increment(CaptureCounters.lost(session))
                    continue
                }
                record.storeBytes(of: now, as: UInt64.self)
                record.storeBytes(
                    of: UInt32(truncatingIfNeeded: original.packetLength), toByteOffset: 8, as: UInt32.self)
                record.storeBytes(of: UInt32(0), toByteOffset: 12, as: UInt32.self)
                (record + CaptureKind.recordHeader).copyMemory(from: original.data, byteCount: length)
                if ring.enqueue(PuntEntry(mbuf: copy.raw, kind: kind, port: port)) {
                    counters.increment(CaptureCounters.copied(session))
                } else {
                    copy.free()
                    counters.increment(CaptureCounters.lost(session))
                }
            }
        }
    }
}

/// The memory behind `CaptureTap.off`: no port ever captured.
enum CaptureOff {
    nonisolated(unsafe) static let tap: CaptureTap = {
        let ports = UnsafeMutablePointer<Atomic<UInt32>>.allocate(capacity: PortLimit.maxPorts)
        for slot in 0..<PortLimit.maxPorts { (ports + slot).initialize(to: Atomic(0)) }
        let snapLengths = UnsafeMutablePointer<Int>.allocate(capacity: CaptureKind.maxSessions)
        snapLengths.initialize(repeating: 0, count: CaptureKind.maxSessions)
        return CaptureTap(
            ports: ports, snapLengths: snapLengths, ring: .allocate(capacity: 2),
            counters: .allocate(count: CaptureCounters.count), pool: nil)
    }()
}
