import ArgumentParser
import ControlProtocol
import Foundation

/// `sluicectl pmds rebalance`: moves rx queues between PMDs by their measured load (docs/rxq-balance.md).
struct PMDRebalance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebalance",
        abstract: "Move rx queues between PMDs by the busy cycles measured since the last rebalance.",
        discussion: """
            Heaviest queue first to the least loaded PMD; queues pinned with pmd-rxq-affinity stay. The move is \
            hitless: the old PMD stops polling a queue before the new one starts. With --dry-run, only shows \
            the plan: the moves and every PMD's estimated load before and after.
            """)
    @OptionGroup var connection: Connection
    @Flag(help: "Show the plan without moving anything.") var dryRun = false

    func run() throws {
        let plan = try connection.call(RxqBalanceMethods.rebalance, RxqRebalanceParams(dryRun: dryRun))
        connection.emit(plan) { Self.render(plan) }
    }

    static func render(_ plan: RxqRebalancePlan) -> String {
        let verdict =
            plan.moves.isEmpty
            ? "nothing to move"
            : plan.applied ? "moved \(plan.moves.count) rx queue(s)" : "would move \(plan.moves.count) rx queue(s)"
        var out =
            "\(verdict); loads over the last \(String(format: "%.1f", plan.intervalSeconds)) s, busiest PMD "
            + "\(String(format: "%.1f", plan.improvementPercent))% lower\n"
        if !plan.moves.isEmpty {
            out += Table(
                ["rx-queue", "from-lcore", "to-lcore", "busy-cycles"],
                plan.moves.map { ["\($0.queue)", "\($0.fromLcore)", "\($0.toLcore)", "\($0.busyCycles)"] }
            ).render()
        }
        out += Table(
            ["lcore", "queues-before", "queues-after", "load-before", "load-after"],
            plan.pmds.map { p in
                [
                    "\(p.lcore)", "\(p.queuesBefore)", "\(p.queuesAfter)", String(format: "%.1f%%", p.percentBefore),
                    String(format: "%.1f%%", p.percentAfter),
                ]
            }
        ).render()
        return out
    }

    /// Per PMD its busy and idle cycles, then the busy cycles it spent on each of its rx queues and their share
    /// of its busy cycles; empty for daemons that do not measure them.
    static func queueLoadTable(_ pmds: [PMDStatus]) -> String {
        guard pmds.contains(where: { $0.rxQueueLoads != nil }) else { return "" }
        func share(_ part: UInt64, of whole: UInt64) -> String {
            String(format: "%.1f%%", whole == 0 ? 0 : Double(part) * 100 / Double(whole))
        }
        var rows: [[String]] = []
        for p in pmds {
            rows.append([
                "\(p.lcore)", "(all)", "\(p.busyCycles)", "\(p.idleCycles)", share(p.busyCycles, of: p.busyCycles), "-",
            ])
            for q in p.rxQueueLoads ?? [] {
                rows.append([
                    "\(p.lcore)", q.queue, "\(q.busyCycles)", "-", share(q.busyCycles, of: p.busyCycles),
                    q.pinned ? "yes" : "no",
                ])
            }
        }
        return "\n" + Table(["lcore", "rx-queue", "busy-cycles", "idle-cycles", "busy-share", "pinned"], rows).render()
    }
}

/// `sluicectl pmds rebalance-status`: the periodic rebalancing's settings and counters (docs/rxq-balance.md).
struct PMDRebalanceStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebalance-status",
        abstract: "Show the periodic rx queue rebalancing: interval, threshold, checks run, applied and skipped.",
        discussion: """
            eal.rxq-rebalance-interval sets the seconds between checks (0: off), eal.rxq-rebalance-improvement \
            by how many percent a check must lower the busiest PMD's load to move queues.
            """)
    @OptionGroup var connection: Connection

    func run() throws {
        let status = try connection.call(RxqBalanceMethods.status)
        connection.emit(status) { Self.render(status) }
    }

    static func render(_ status: RxqAutoRebalanceStatus) -> String {
        let schedule =
            status.intervalSeconds == 0
            ? "periodic rebalancing off (eal.rxq-rebalance-interval: 0)\n"
            : "periodic rebalancing every \(status.intervalSeconds) s when the busiest PMD gets at least "
                + "\(status.improvementPercent)% less busy; next check in "
                + String(format: "%.0f", status.nextCheckSeconds ?? 0) + " s\n"
        let reasons = status.skipped.keys.sorted()
        return schedule
            + Table(
                ["runs", "applied", "failed"] + reasons.map { "skipped:\($0)" },
                [
                    ["\(status.runs)", "\(status.applied)", "\(status.failed)"]
                        + reasons.map { "\(status.skipped[$0]!)" }
                ]
            ).render()
    }
}
