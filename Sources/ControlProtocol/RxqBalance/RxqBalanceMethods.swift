/// The rx queue → PMD balancing methods (docs/rxq-balance.md).
public enum RxqBalanceMethods {
    /// Computes an assignment of the rx queues to the PMDs from the busy cycles measured since the last
    /// rebalance (heaviest queue first to the least loaded PMD; `pmd-rxq-affinity` queues stay) and, unless
    /// `dryRun`, applies it hitlessly. The answer is the plan: the moves and every PMD's load before and after.
    public static let rebalance = RPCMethod<RxqRebalanceParams, RxqRebalancePlan>(
        "pmd.rebalance", params: .optional(default: RxqRebalanceParams()))
    /// The periodic rebalancing (`eal.rxq-rebalance-interval`): its settings and what its checks did.
    public static let status = RPCMethod<NoParams, RxqAutoRebalanceStatus>("pmd.rebalance-status")
}

/// The periodic rebalancing's settings and counters since sluiced started.
public struct RxqAutoRebalanceStatus: Codable, Sendable, Equatable {
    /// Seconds between checks (`eal.rxq-rebalance-interval`); 0: periodic rebalancing is off.
    public var intervalSeconds: Int
    /// By how many percent a check must lower the busiest PMD's load to move queues
    /// (`eal.rxq-rebalance-improvement`).
    public var improvementPercent: Int
    /// Checks run; of them applied (queues moved), skipped by reason (`single-pmd`, `no-load`,
    /// `below-threshold`; every reason listed) and failed (a stalled PMD refused the move).
    public var runs: UInt64
    public var applied: UInt64
    public var skipped: [String: UInt64]
    public var failed: UInt64
    /// Seconds until the next check; nil when periodic rebalancing is off.
    public var nextCheckSeconds: Double?

    public init(
        intervalSeconds: Int, improvementPercent: Int, runs: UInt64, applied: UInt64, skipped: [String: UInt64],
        failed: UInt64, nextCheckSeconds: Double?
    ) {
        self.intervalSeconds = intervalSeconds
        self.improvementPercent = improvementPercent
        self.runs = runs
        self.applied = applied
        self.skipped = skipped
        self.failed = failed
        self.nextCheckSeconds = nextCheckSeconds
    }
}

public struct RxqRebalanceParams: Codable, Sendable, Equatable {
    /// Only compute the plan: nothing moves and the measurement interval is not restarted.
    public var dryRun: Bool

    public init(dryRun: Bool = false) { self.dryRun = dryRun }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        dryRun = try container.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false
    }
}

/// One rx queue's measured load: the busy cycles PMDs spent on it (its bursts, through the pipeline).
public struct RxQueueLoad: Codable, Sendable, Equatable {
    /// "port/queue".
    public var queue: String
    /// Busy cycles since sluiced started, summed over every PMD that polled the queue.
    public var busyCycles: UInt64
    /// Whether `pmd-rxq-affinity` pins the queue to its PMD (a rebalance never moves it).
    public var pinned: Bool

    public init(queue: String, busyCycles: UInt64, pinned: Bool) {
        self.queue = queue
        self.busyCycles = busyCycles
        self.pinned = pinned
    }
}

/// One queue a rebalance moves.
public struct RxqMove: Codable, Sendable, Equatable {
    /// "port/queue".
    public var queue: String
    public var fromLcore: Int
    public var toLcore: Int
    /// Busy cycles measured on the queue over the interval.
    public var busyCycles: UInt64

    public init(queue: String, fromLcore: Int, toLcore: Int, busyCycles: UInt64) {
        self.queue = queue
        self.fromLcore = fromLcore
        self.toLcore = toLcore
        self.busyCycles = busyCycles
    }
}

/// One PMD's estimated load under the current and the proposed assignment.
public struct RxqPMDLoad: Codable, Sendable, Equatable {
    public var lcore: Int
    /// Sum of the busy cycles of the queues it polls now / would poll, over the interval.
    public var cyclesBefore: UInt64
    public var cyclesAfter: UInt64
    /// The same as a share of the interval's cycles, 0...100 (a PMD cannot be more than 100 % busy; an
    /// estimate after the moves can be).
    public var percentBefore: Double
    public var percentAfter: Double
    /// Rx queues it polls now / would poll.
    public var queuesBefore: Int
    public var queuesAfter: Int

    public init(
        lcore: Int, cyclesBefore: UInt64, cyclesAfter: UInt64, percentBefore: Double, percentAfter: Double,
        queuesBefore: Int, queuesAfter: Int
    ) {
        self.lcore = lcore
        self.cyclesBefore = cyclesBefore
        self.cyclesAfter = cyclesAfter
        self.percentBefore = percentBefore
        self.percentAfter = percentAfter
        self.queuesBefore = queuesBefore
        self.queuesAfter = queuesAfter
    }
}

/// What a rebalance proposes (and, unless a dry run, did).
public struct RxqRebalancePlan: Codable, Sendable, Equatable {
    /// Whether the moves were applied (false for a dry run or when nothing moves).
    public var applied: Bool
    /// Length of the measurement interval the loads come from.
    public var intervalSeconds: Double
    public var moves: [RxqMove]
    public var pmds: [RxqPMDLoad]
    /// How much lower the busiest PMD's load would be, in percent of its load now (0 when nothing moves).
    public var improvementPercent: Double

    public init(
        applied: Bool, intervalSeconds: Double, moves: [RxqMove], pmds: [RxqPMDLoad], improvementPercent: Double
    ) {
        self.applied = applied
        self.intervalSeconds = intervalSeconds
        self.moves = moves
        self.pmds = pmds
        self.improvementPercent = improvementPercent
    }
}
