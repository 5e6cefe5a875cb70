import DPDK
import Synchronization

/// Which feature a punted packet is for: the dispatcher on the control thread hands it to the handler that
/// feature registered for its kind (`PuntDispatcher.register`). Kinds are constants of the features that
/// punt, listed in `PuntKind`'s extensions, one per feature (e.g. `static var vxlanUnderlay: PuntKind`).
@frozen
public struct PuntKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public var description: String { "punt kind \(rawValue)" }
}

/// One packet in a punt or inject ring: the mbuf (owned by whoever holds the entry), the feature's kind and
/// a port slot (the ingress port of a punted packet, the egress port of an injected one).
@frozen
public struct PuntEntry: @unchecked Sendable {
    // @unchecked: the mbuf is handed over with the entry: exactly one side owns it at a time.
    public var mbuf: OpaquePointer
    public var kind: PuntKind
    public var port: UInt16

    @inlinable
    public init(mbuf: OpaquePointer, kind: PuntKind, port: UInt16) {
        self.mbuf = mbuf
        self.kind = kind
        self.port = port
    }
}

/// A bounded single-producer, single-consumer ring of `PuntEntry`s between two threads, which never blocks:
/// `enqueue` on a full ring and `dequeue` on an empty one return at once.
///
/// The producer owns `head`, the consumer `tail`, each on its own cache line; a side reads the other's
/// index with an acquire load and publishes its own with a release store, so an entry is written before
/// the consumer can see it and read before the producer can reuse its slot. On x86 both are plain `mov`s:
/// no locked instruction and no fence on the fast path.
///
/// A value type of pointers, copied to both threads; `PuntPath` owns the memory.
@frozen
public struct PacketRing: @unchecked Sendable {
    // @unchecked: one producer and one consumer, synchronised through the two atomic indexes.
    @usableFromInline let slots: UnsafeMutablePointer<PuntEntry>
    /// Next slot the producer writes (it alone stores it).
    @usableFromInline let head: UnsafeMutablePointer<Atomic<Int>>
    /// Next slot the consumer reads (it alone stores it).
    @usableFromInline let tail: UnsafeMutablePointer<Atomic<Int>>
    /// `capacity - 1`; the capacity is a power of two.
    @usableFromInline let mask: Int

    /// Allocates a ring of `capacity` entries (rounded up to a power of two, at least 2).
    static func allocate(capacity: Int) -> PacketRing {
        var size = 2
        while size < capacity { size <<= 1 }
        let slots = UnsafeMutablePointer<PuntEntry>.allocate(capacity: size)
        // Each index on its own cache line, so the two threads do not share one.
        let indexes = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 64)
        let head = indexes.bindMemory(to: Atomic<Int>.self, capacity: 1)
        head.initialize(to: Atomic(0))
        let tail = (indexes + 64).bindMemory(to: Atomic<Int>.self, capacity: 1)
        tail.initialize(to: Atomic(0))
        return PacketRing(slots: slots, head: head, tail: tail, mask: size - 1)
    }

    @usableFromInline
    init(
        slots: UnsafeMutablePointer<PuntEntry>, head: UnsafeMutablePointer<Atomic<Int>>,
        tail: UnsafeMutablePointer<Atomic<Int>>, mask: Int
    ) {
        self.slots = slots
        self.head = head
        self.tail = tail
        self.mask = mask
    }

    func deallocate() {
        slots.deallocate()
        UnsafeMutableRawPointer(head).deallocate()
    }

    public var capacity: Int { mask + 1 }

    /// Producer only. False, and nothing changed, when the ring is full.
    @inlinable @inline(__always)
    public func enqueue(_ entry: PuntEntry) -> Bool {
        let position = head.pointee.load(ordering: .relaxed)
        if position &- tail.pointee.load(ordering: .acquiring) > mask { return false }
        slots[position & mask] = entry
        head.pointee.store(position &+ 1, ordering: .releasing)
        return true
    }

    /// Consumer only. Nil when the ring is empty.
    @inlinable @inline(__always)
    public func dequeue() -> PuntEntry? {
        let position = tail.pointee.load(ordering: .relaxed)
        if position == head.pointee.load(ordering: .acquiring) { return nil }
        let entry = slots[position & mask]
        tail.pointee.store(position &+ 1, ordering: .releasing)
        return entry
    }

    /// Entries waiting, as seen from either side (a snapshot).
    public var count: Int {
        head.pointee.load(ordering: .acquiring) &- tail.pointee.load(ordering: .acquiring)
    }
}

/// The counters of one PMD's punt path. The PMD writes `punted`, `puntRingFull`, `injectSent` and
/// `injectPortDown`; the control thread writes the others (in a block of its own: one writer per block).
public enum PuntCounters {
    /// PMD side.
    public static let punted = 0, puntRingFull = 1, injectSent = 2, injectPortDown = 3
    public static let pmdCount = 4
    /// Control side.
    public static let handled = 0, unhandled = 1, injected = 2, injectRingFull = 3
    public static let controlCount = 4
}

/// One PMD's path to and from the control thread (the "punt handlers" extension point, see
/// docs/architecture.md): a bounded ring of packets the PMD hands to the control thread (`punt`, e.g. an
/// ARP request for the VTEP address), and one of packets the control thread asks the PMD to send
/// (`inject`, e.g. the ARP reply). Neither side ever blocks: what does not fit is counted, and the caller
/// keeps (and drops) the packet.
///
/// Allocated once per PMD by the dataplane and kept for its lifetime (PMD threads rebuilt by sluice-bench
/// reuse their index's path). A value type of pointers: the PMD's copy lives in its loop and its stages.
@frozen
public struct PuntPath: @unchecked Sendable {
    // @unchecked: each ring has one producer and one consumer; each counter block one writer.
    public let punts: PacketRing
    public let injects: PacketRing
    public let pmdCounters: CounterBlock
    public let controlCounters: CounterBlock

    /// Entries per ring: several bursts of punted packets between two services of the control loop.
    public static let defaultCapacity = 1024
    /// The most injected packets a PMD sends per loop iteration, so that injection cannot starve rx.
    public static let injectBudget = 32

    public static func allocate(capacity: Int = PuntPath.defaultCapacity) -> PuntPath {
        PuntPath(
            punts: .allocate(capacity: capacity), injects: .allocate(capacity: capacity),
            pmdCounters: .allocate(count: PuntCounters.pmdCount),
            controlCounters: .allocate(count: PuntCounters.controlCount))
    }

    @usableFromInline
    init(punts: PacketRing, injects: PacketRing, pmdCounters: CounterBlock, controlCounters: CounterBlock) {
        self.punts = punts
        self.injects = injects
        self.pmdCounters = pmdCounters
        self.controlCounters = controlCounters
    }

    /// Frees the rings and counters; the mbufs still in the rings must have been drained first.
    public func deallocate() {
        punts.deallocate()
        injects.deallocate()
        pmdCounters.deallocate()
        controlCounters.deallocate()
    }

    // MARK: PMD side

    /// Hands `mbuf` to the control thread. False when the ring is full (counted): the packet stays the
    /// caller's, which drops it under a reason of its own.
    @inlinable @inline(__always)
    public func punt(_ mbuf: OpaquePointer, kind: PuntKind, port: UInt16) -> Bool {
        if punts.enqueue(PuntEntry(mbuf: mbuf, kind: kind, port: port)) {
            pmdCounters.increment(PuntCounters.punted)
            return true
        }
        pmdCounters.increment(PuntCounters.puntRingFull)
        return false
    }

    /// Sends up to `injectBudget` injected packets, each on this PMD's tx queue of its port (`targets` of
    /// the current generation); packets for a slot that is disabled or out of range are freed and counted.
    /// Called once per PMD loop iteration: with nothing queued, it is two loads and a compare.
    @inlinable @inline(__always)
    public func transmitInjected(_ targets: UnsafeMutablePointer<TxTarget>, slots: Int, capture: CaptureTap) {
        for _ in 0..<PuntPath.injectBudget {
            guard let entry = injects.dequeue() else { return }
            var packet: OpaquePointer? = entry.mbuf
            if Int(entry.port) < slots, targets[Int(entry.port)].enabled {
                // A reply the switch composed is part of what the port sends: captures of its egress see it.
                capture.egress(&packet, count: 1, port: Int(entry.port))
                // What the driver refuses, send frees and counts as the port's tx drop.
                if targets[Int(entry.port)].send(&packet, count: 1) == 1 {
                    pmdCounters.increment(PuntCounters.injectSent)
                }
            } else {
                Mbuf(entry.mbuf).free()
                pmdCounters.increment(PuntCounters.injectPortDown)
            }
        }
    }

    // MARK: Control side

    /// The next punted packet, now the caller's; nil when none is waiting.
    public func nextPunted() -> PuntEntry? { punts.dequeue() }

    /// Queues `mbuf` for this PMD to send on port slot `port`. False when the ring is full (counted): the
    /// packet stays the caller's.
    public func inject(_ mbuf: OpaquePointer, port: UInt16, kind: PuntKind) -> Bool {
        if injects.enqueue(PuntEntry(mbuf: mbuf, kind: kind, port: port)) {
            controlCounters.increment(PuntCounters.injected)
            return true
        }
        controlCounters.increment(PuntCounters.injectRingFull)
        return false
    }
}
