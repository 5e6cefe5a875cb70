import DPDK
import Pipeline

/// The control-thread end of every PMD's `PuntPath` (the "punt handlers" extension point, see
/// docs/architecture.md): features register a handler for their `PuntKind`, and the control loop calls
/// `service()` on every pass, which drains the punt rings and hands each packet to its kind's handler.
///
/// A handler owns the packet it is given: it frees it, keeps it, or sends it (or a reply) back out through
/// `inject`. A packet of a kind nobody registered is freed and counted (`unhandled`). Everything here runs
/// on the control thread only.
public final class PuntDispatcher {
    /// A punted packet: the mbuf (now the handler's), the port slot it arrived on, and the PMD whose ring it
    /// came through (the natural one to inject a reply on).
    public struct Punted {
        public let mbuf: OpaquePointer
        public let kind: PuntKind
        public let port: UInt16
        public let pmd: Int
    }

    public typealias Handler = (Punted) -> Void

    /// One path per PMD, by PMD index.
    public let paths: [PuntPath]
    private var handlers: [PuntKind: Handler] = [:]
    private let release: (OpaquePointer) -> Void

    /// The most packets one `service()` takes from each PMD, so that a flood of punted packets cannot keep
    /// the control thread from its socket; the rest waits in the ring (and what no longer fits is counted
    /// by the PMD as `punt-ring-full`).
    public static let serviceBudget = 256

    /// `release` frees a packet nobody handles (tests pass a recorder instead of DPDK's free).
    public init(
        pmdCount: Int, capacity: Int = PuntPath.defaultCapacity,
        release: @escaping (OpaquePointer) -> Void = { Mbuf($0).free() }
    ) {
        paths = (0..<pmdCount).map { _ in PuntPath.allocate(capacity: capacity) }
        self.release = release
    }

    deinit {
        drain()
        for path in paths { path.deallocate() }
    }

    /// Makes `handler` receive every packet punted with `kind`. A kind has one handler: registering it
    /// again replaces the previous one.
    public func register(_ kind: PuntKind, handler: @escaping Handler) {
        handlers[kind] = handler
    }

    public func unregister(_ kind: PuntKind) {
        handlers[kind] = nil
    }

    /// Hands the packets waiting in every PMD's punt ring (up to `serviceBudget` per PMD) to their
    /// handlers; returns how many it took.
    @discardableResult
    public func service() -> Int {
        var taken = 0
        for (pmd, path) in paths.enumerated() {
            for _ in 0..<Self.serviceBudget {
                guard let entry = path.nextPunted() else { break }
                taken += 1
                if let handler = handlers[entry.kind] {
                    path.controlCounters.increment(PuntCounters.handled)
                    handler(Punted(mbuf: entry.mbuf, kind: entry.kind, port: entry.port, pmd: pmd))
                } else {
                    path.controlCounters.increment(PuntCounters.unhandled)
                    release(entry.mbuf)
                }
            }
        }
        return taken
    }

    /// Asks PMD `pmd` to send `mbuf` on port slot `port`. If its ring is full (counted), the packet is freed
    /// and false returned: injection never blocks the control thread.
    @discardableResult
    public func inject(_ mbuf: OpaquePointer, port: UInt16, kind: PuntKind, pmd: Int = 0) -> Bool {
        guard paths.indices.contains(pmd), paths[pmd].inject(mbuf, port: port, kind: kind) else {
            release(mbuf)
            return false
        }
        return true
    }

    /// Frees everything left in the punt rings, and in the inject rings of PMDs that no longer run (only
    /// call it once the PMDs are stopped).
    public func drain() {
        for path in paths {
            while let entry = path.nextPunted() { release(entry.mbuf) }
            while let entry = path.injects.dequeue() { release(entry.mbuf) }
        }
    }

    /// The counters summed over PMDs, by name.
    public func totals() -> [(name: String, value: UInt64)] {
        counters(of: paths)
    }

    /// One PMD's counters, by name (`pmd.list` shows them).
    public func counters(ofPMD pmd: Int) -> [(name: String, value: UInt64)] {
        counters(of: [paths[pmd]])
    }

    private func counters(of paths: [PuntPath]) -> [(name: String, value: UInt64)] {
        func sum(_ block: KeyPath<PuntPath, CounterBlock>, _ index: Int) -> UInt64 {
            paths.reduce(0) { $0 &+ $1[keyPath: block].load(index) }
        }
        return [
            ("punted", sum(\.pmdCounters, PuntCounters.punted)),
            ("punt-ring-full", sum(\.pmdCounters, PuntCounters.puntRingFull)),
            ("handled", sum(\.controlCounters, PuntCounters.handled)),
            ("unhandled", sum(\.controlCounters, PuntCounters.unhandled)),
            ("injected", sum(\.controlCounters, PuntCounters.injected)),
            ("inject-ring-full", sum(\.controlCounters, PuntCounters.injectRingFull)),
            ("inject-sent", sum(\.pmdCounters, PuntCounters.injectSent)),
            ("inject-port-down", sum(\.pmdCounters, PuntCounters.injectPortDown)),
        ]
    }
}
