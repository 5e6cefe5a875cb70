/// One rx queue as the balancer sees it: where it is polled now, what it cost, whether it is pinned.
public struct RxqBalanceInput: Equatable, Sendable {
    public var port: String
    public var queue: Int
    /// The PMD lcore polling it now.
    public var lcore: Int
    /// Busy cycles measured on it over the interval.
    public var load: UInt64
    /// `pmd-rxq-affinity`: it stays on `lcore`.
    public var pinned: Bool

    public init(port: String, queue: Int, lcore: Int, load: UInt64, pinned: Bool = false) {
        self.port = port
        self.queue = queue
        self.lcore = lcore
        self.load = load
        self.pinned = pinned
    }
}

/// A proposed assignment: the lcore of every input queue (in input order) and each PMD's estimated load.
public struct RxqBalanceResult: Equatable, Sendable {
    /// The lcore each input queue would be polled by, in input order.
    public var lcores: [Int]
    /// Estimated busy cycles per PMD lcore, now and after.
    public var loadBefore: [Int: UInt64]
    public var loadAfter: [Int: UInt64]
    /// Queues per PMD lcore, now and after.
    public var queuesBefore: [Int: Int]
    public var queuesAfter: [Int: Int]

    /// Indices of the input queues that change PMD.
    public func moved(_ inputs: [RxqBalanceInput]) -> [Int] {
        inputs.indices.filter { inputs[$0].lcore != lcores[$0] }
    }

    /// How much lower the busiest PMD's load is after, in percent of the busiest now; 0 when none is busy.
    public var improvementPercent: Double {
        let before = loadBefore.values.max() ?? 0
        let after = loadAfter.values.max() ?? 0
        guard before > 0, after < before else { return 0 }
        return Double(before - after) * 100 / Double(before)
    }
}

/// The assignment by measured load, as Open vSwitch's `pmd-rxq-assign=cycles`: a pure function of the loads,
/// the pins and the PMD set (docs/rxq-balance.md).
///
/// Pinned queues stay where they are and their load counts on their PMD. The other queues are placed
/// heaviest first, each on the PMD with the least estimated load so far; a tie goes to the PMD already polling
/// the queue (nothing moves without a gain), then to the lowest lcore. Queues with no measured load are
/// spread by count instead (fewest queues first, same tie rules), so idle queues do not all land on one PMD.
/// Inputs of equal load are taken in input order, so the result is deterministic.
public enum RxqBalancer {
    public static func plan(_ inputs: [RxqBalanceInput], pmdLcores: [Int]) -> RxqBalanceResult {
        precondition(!pmdLcores.isEmpty, "validated configs have at least one PMD")
        let pmds = Set(pmdLcores)
        var loadBefore = Dictionary(uniqueKeysWithValues: pmdLcores.map { ($0, UInt64(0)) })
        var queuesBefore = Dictionary(uniqueKeysWithValues: pmdLcores.map { ($0, 0) })
        for input in inputs where pmds.contains(input.lcore) {
            loadBefore[input.lcore]! &+= input.load
            queuesBefore[input.lcore]! += 1
        }
        var load = Dictionary(uniqueKeysWithValues: pmdLcores.map { ($0, UInt64(0)) })
        var count = Dictionary(uniqueKeysWithValues: pmdLcores.map { ($0, 0) })
        var lcores = inputs.map(\.lcore)
        // A pinned queue on a lcore that is no PMD (cannot happen with a validated config) is left alone too.
        for (index, input) in inputs.enumerated() where input.pinned {
            guard pmds.contains(input.lcore) else { continue }
            load[input.lcore]! &+= input.load
            count[input.lcore]! += 1
            lcores[index] = input.lcore
        }
        // Heaviest first; equal loads in input order (a stable order).
        let order = inputs.indices.filter { !inputs[$0].pinned }.sorted {
            inputs[$0].load != inputs[$1].load ? inputs[$0].load > inputs[$1].load : $0 < $1
        }
        for index in order {
            let input = inputs[index]
            let chosen = pmdLcores.min { a, b in
                let keyA = input.load > 0 ? load[a]! : UInt64(count[a]!)
                let keyB = input.load > 0 ? load[b]! : UInt64(count[b]!)
                if keyA != keyB { return keyA < keyB }
                let stayA = a == input.lcore
                let stayB = b == input.lcore
                if stayA != stayB { return stayA }
                return a < b
            }!
            lcores[index] = chosen
            load[chosen]! &+= input.load
            count[chosen]! += 1
        }
        return RxqBalanceResult(
            lcores: lcores, loadBefore: loadBefore, loadAfter: load, queuesBefore: queuesBefore, queuesAfter: count)
    }
}
