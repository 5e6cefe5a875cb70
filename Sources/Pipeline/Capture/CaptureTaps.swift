import DPDK
import Synchronization

/// The control-thread side of the capture taps: the shared port words and snap lengths, and one capture
/// ring (`PacketRing`, as the punt path's) and counter block per PMD. Owned by the dataplane for its
/// lifetime; every generation copies `tap(pmd:)` into its tables.
///
/// Captures have rings of their own rather than sharing the punt ring: a capture at full rate fills its
/// ring in microseconds, and must not crowd out the packets features punt for an answer (VXLAN ARP, DHCP,
/// metadata). A capture's losses are its own (docs/capture.md).
public final class CaptureTaps: @unchecked Sendable {
    // @unchecked: the PMDs read the port words and snap lengths, the control thread alone writes them.
    let ports: UnsafeMutablePointer<Atomic<UInt32>>
    let snapLengths: UnsafeMutablePointer<Int>
    public let rings: [PacketRing]
    public let counters: [CounterBlock]
    let pool: PacketPool?
    private let release: (OpaquePointer) -> Void

    /// Entries per PMD ring: about 30 bursts between two services of the control loop at full rate.
    public static let defaultCapacity = 1024

    /// - Parameters:
    ///   - pool: where copies come from (nil: nothing is ever copied, for tests without DPDK).
    ///   - release: frees a copy nobody reads (tests may record instead).
    public init(
        pmdCount: Int, pool: PacketPool?, capacity: Int = CaptureTaps.defaultCapacity,
        release: @escaping (OpaquePointer) -> Void = { Mbuf($0).free() }
    ) {
        let slots = ForwardingTables.maxPorts
        ports = .allocate(capacity: slots)
        for slot in 0..<slots { (ports + slot).initialize(to: Atomic(0)) }
        snapLengths = .allocate(capacity: CaptureKind.maxSessions)
        snapLengths.initialize(repeating: 0, count: CaptureKind.maxSessions)
        rings = (0..<max(pmdCount, 1)).map { _ in PacketRing.allocate(capacity: capacity) }
        counters = (0..<max(pmdCount, 1)).map { _ in CounterBlock.allocate(count: CaptureCounters.count) }
        self.pool = pool
        self.release = release
    }

    deinit {
        drain { release($0.mbuf) }
        for ring in rings { ring.deallocate() }
        for block in counters { block.deallocate() }
        ports.deallocate()
        snapLengths.deallocate()
    }

    /// PMD `pmd`'s view, for its tables.
    public func tap(pmd: Int) -> CaptureTap {
        CaptureTap(ports: ports, snapLengths: snapLengths, ring: rings[pmd], counters: counters[pmd], pool: pool)
    }

    /// Makes `session` capture `port` in the given directions (or nothing), with `snapLength` bytes per frame.
    /// The snap length is stored before the port word is published (release), so a PMD that sees the bit
    /// sees the length.
    public func set(session: Int, port: Int, ingress: Bool, egress: Bool, snapLength: Int) {
        precondition((0..<CaptureKind.maxSessions).contains(session) && (0..<ForwardingTables.maxPorts).contains(port))
        snapLengths[session] = snapLength
        let word = ports[port].load(ordering: .relaxed)
        let bits = (UInt32(1) << UInt32(session)) | (UInt32(1) << UInt32(session + 8))
        var next = word & ~bits
        if ingress { next |= UInt32(1) << UInt32(session) }
        if egress { next |= UInt32(1) << UInt32(session + 8) }
        ports[port].store(next, ordering: .releasing)
    }

    /// Stops `session` on every port (the PMDs may still be copying a burst for it: wait a grace period
    /// before treating its slot as free).
    public func clear(session: Int) {
        let bits = ~((UInt32(1) << UInt32(session)) | (UInt32(1) << UInt32(session + 8)))
        for slot in 0..<ForwardingTables.maxPorts {
            let word = ports[slot].load(ordering: .relaxed)
            if word & ~bits != 0 { ports[slot].store(word & bits, ordering: .releasing) }
        }
    }

    /// Takes every copy waiting in the rings (PMD by PMD, each in order) and hands it to `body`, which owns
    /// the mbuf from then on.
    public func drain(_ body: (PuntEntry) -> Void) {
        for ring in rings {
            while let entry = ring.dequeue() { body(entry) }
        }
    }

    /// Frames copied and lost for `session`, summed over PMDs.
    public func totals(session: Int) -> (copied: UInt64, lost: UInt64) {
        counters.reduce((0, 0)) {
            ($0.0 &+ $1.load(CaptureCounters.copied(session)), $0.1 &+ $1.load(CaptureCounters.lost(session)))
        }
    }
}
