import Foundation
import Synchronization
import Testing

// Helpers shared by the MAC table tests: a seeded generator, key helpers, real threads and a minimal
// quiescent-state grace period for the concurrency tests.
//
// The table lives in the `Pipeline` module; while it is developed standalone it is built as a module named
// `MACTable`. The tests use only its public API, so they compile against either.
#if canImport(MACTable)
    import MACTable
#else
    import Pipeline
#endif

/// SplitMix64: small, fast, seeded, reproducible on every platform.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func hex(_ value: UInt64) -> String { String(value, radix: 16) }

/// A locally administered unicast MAC (02:xx:...) built from `n`: never zero, never a group address.
func unicastMAC(_ n: UInt64) -> UInt64 { 0x0200_0000_0000 | (n & 0xFF_FFFF_FFFF) }

/// A random learnable MAC: any 48-bit value with the group bit cleared, except zero.
func randomUnicastMAC<G: RandomNumberGenerator>(using g: inout G) -> UInt64 {
    while true {
        let mac = g.next() & 0xFEFF_FFFF_FFFF
        if mac != 0 { return mac }
    }
}

/// Runs each body on its own OS thread (not Swift's cooperative pool: the bodies spin and wait for each
/// other) and returns when all have finished.
func runOnThreads(_ bodies: [@Sendable () -> Void]) {
    let finished = DispatchSemaphore(value: 0)
    for body in bodies {
        let thread = Thread {
            body()
            finished.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    for _ in bodies { finished.wait() }
}

/// A minimal quiescent-state-based grace period, standing in for the dataplane's QSBR: every participant
/// calls `quiescent(_:)` between table operations (as a PMD does between bursts) and `offline(_:)` when it
/// stops; `waitForGracePeriod()` returns once every participant has been quiescent (or offline) since the
/// call began.
final class TestGracePeriod: @unchecked Sendable {
    // @unchecked: `seen` is only accessed through atomics.
    private let epoch = Atomic<UInt64>(1)
    private let seen: UnsafeMutablePointer<Atomic<UInt64>>
    private let participants: Int
    private let stride = 8  // one cache line per participant

    init(participants: Int) {
        self.participants = participants
        seen = .allocate(capacity: participants * stride)
        for i in 0..<(participants * stride) { (seen + i).initialize(to: Atomic(1)) }
    }

    deinit { seen.deallocate() }

    func quiescent(_ participant: Int) {
        seen[participant * stride].store(epoch.load(ordering: .acquiring), ordering: .releasing)
    }

    func offline(_ participant: Int) {
        seen[participant * stride].store(.max, ordering: .releasing)
    }

    func waitForGracePeriod() {
        let target = epoch.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
        for p in 0..<participants {
            while seen[p * stride].load(ordering: .acquiring) < target { sched_yield() }
        }
    }
}

extension MACTable {
    /// Entries as a dictionary keyed by table key; fails the test on a duplicate key.
    func entriesByKey(now: UInt32, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt64: MACTableEntry] {
        var result: [UInt64: MACTableEntry] = [:]
        for e in entries(now: now) {
            let key = MACTableKey.make(vlan: e.vlan, mac: e.mac)
            #expect(result[key] == nil, "duplicate entry for key \(hex(key))", sourceLocation: sourceLocation)
            result[key] = e
        }
        return result
    }

    /// Learned entries per port, counted from a dump.
    func learnedEntriesPerPort(now: UInt32) -> [Int] {
        var counts = [Int](repeating: 0, count: portCount)
        for e in entries(now: now) where !e.isStatic { counts[Int(e.port)] += 1 }
        return counts
    }

    var learnedCounts: [Int] { (0..<portCount).map { learnedCount(port: $0) } }
}
