import Control
import ControlProtocol
import Foundation
import Synchronization
import Testing

/// `sluicectl pmds` (its per-queue table) and `sluicectl pmds rebalance` against fake `pmd.list` and
/// `pmd.rebalance`: the tables for people, --json, and the dry-run flag reaching the method.
@Suite("sluicectl pmds rebalance")
struct RxqBalanceCommandTests {
    static let pmds = [
        PMDStatus(
            lcore: 1, numaSocket: 0, rxQueues: ["a/0", "b/0"], iterations: 1000, busyCycles: 800, idleCycles: 200,
            rxPackets: 40,
            rxQueueLoads: [
                RxQueueLoad(queue: "a/0", busyCycles: 600, pinned: false),
                RxQueueLoad(queue: "b/0", busyCycles: 200, pinned: true),
            ]),
        PMDStatus(
            lcore: 2, numaSocket: 0, rxQueues: [], iterations: 1000, busyCycles: 0, idleCycles: 1000, rxPackets: 0,
            rxQueueLoads: []),
    ]

    static func plan(applied: Bool) -> RxqRebalancePlan {
        RxqRebalancePlan(
            applied: applied, intervalSeconds: 10,
            moves: [RxqMove(queue: "a/0", fromLcore: 1, toLcore: 2, busyCycles: 600)],
            pmds: [
                RxqPMDLoad(
                    lcore: 1, cyclesBefore: 800, cyclesAfter: 200, percentBefore: 8, percentAfter: 2, queuesBefore: 2,
                    queuesAfter: 1),
                RxqPMDLoad(
                    lcore: 2, cyclesBefore: 0, cyclesAfter: 600, percentBefore: 0, percentAfter: 6, queuesBefore: 0,
                    queuesAfter: 1),
            ], improvementPercent: 25)
    }

    static let status = RxqAutoRebalanceStatus(
        intervalSeconds: 60, improvementPercent: 25, runs: 7, applied: 2,
        skipped: ["single-pmd": 0, "no-load": 1, "below-threshold": 4], failed: 0, nextCheckSeconds: 41.6)

    /// The `dryRun` of every `pmd.rebalance` call the fake served.
    final class Calls: Sendable {
        let dryRuns = Mutex<[Bool]>([])
    }

    static func server(_ calls: Calls) throws -> TestServer {
        try TestServer(
            features: [],
            extra: { methods in
                methods.register(StatusMethods.pmdList) { Self.pmds }
                methods.register(RxqBalanceMethods.rebalance) { (params) throws(RPCErrorObject) -> RxqRebalancePlan in
                    calls.dryRuns.withLock { $0.append(params.dryRun) }
                    return Self.plan(applied: !params.dryRun)
                }
                methods.register(RxqBalanceMethods.status) { Self.status }
            })
    }

    static func words(_ text: String) -> [[String]] {
        SluicectlTests.lines(text).map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }

    @Test("pmds: after the PMD table, each PMD's busy and idle cycles and each queue's busy cycles and share")
    func queueTable() throws {
        let calls = Calls()
        let server = try Self.server(calls)
        defer { server.stop() }
        let result = try SluicectlTests.ctl(server, ["pmds"])
        #expect(result.status == 0, "\(result.stderr)")
        let words = Self.words(result.stdout)
        #expect(
            words.contains(["lcore", "rx-queue", "busy-cycles", "idle-cycles", "busy-share", "pinned"]), "\(words)")
        #expect(words.contains(["1", "(all)", "800", "200", "100.0%", "-"]), "\(words)")
        #expect(words.contains(["1", "a/0", "600", "-", "75.0%", "no"]), "\(words)")
        #expect(words.contains(["1", "b/0", "200", "-", "25.0%", "yes"]), "\(words)")
        #expect(words.contains(["2", "(all)", "0", "1000", "0.0%", "-"]), "\(words)")
        let json = try JSONDecoder().decode(
            [PMDStatus].self, from: Data(try SluicectlTests.ctl(server, ["pmds", "--json"]).stdout.utf8))
        #expect(json == Self.pmds)
    }

    @Test("pmds rebalance: the moves and the loads before and after; --dry-run asks for the plan only")
    func rebalance() throws {
        let calls = Calls()
        let server = try Self.server(calls)
        defer { server.stop() }
        let dry = try SluicectlTests.ctl(server, ["pmds", "rebalance", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let dryWords = Self.words(dry.stdout)
        #expect(dry.stdout.hasPrefix("would move 1 rx queue(s); loads over the last 10.0 s"), "\(dry.stdout)")
        #expect(dryWords.contains(["rx-queue", "from-lcore", "to-lcore", "busy-cycles"]), "\(dryWords)")
        #expect(dryWords.contains(["a/0", "1", "2", "600"]), "\(dryWords)")
        #expect(dryWords.contains(["1", "2", "1", "8.0%", "2.0%"]), "\(dryWords)")
        #expect(dryWords.contains(["2", "0", "1", "0.0%", "6.0%"]), "\(dryWords)")
        let applied = try SluicectlTests.ctl(server, ["pmds", "rebalance", "--json"])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(
            try JSONDecoder().decode(RxqRebalancePlan.self, from: Data(applied.stdout.utf8)) == Self.plan(applied: true)
        )
        #expect(calls.dryRuns.withLock { $0 } == [true, false])
    }

    @Test("pmds rebalance-status: the schedule, then the counters with every skip reason; --json as served")
    func status() throws {
        let server = try Self.server(Calls())
        defer { server.stop() }
        let result = try SluicectlTests.ctl(server, ["pmds", "rebalance-status"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.hasPrefix(
                "periodic rebalancing every 60 s when the busiest PMD gets at least 25% less busy; next check in 42 s"),
            "\(result.stdout)")
        let words = Self.words(result.stdout)
        #expect(
            words.contains([
                "runs", "applied", "failed", "skipped:below-threshold", "skipped:no-load", "skipped:single-pmd",
            ]), "\(words)")
        #expect(words.contains(["7", "2", "0", "4", "1", "0"]), "\(words)")
        let json = try SluicectlTests.ctl(server, ["pmds", "rebalance-status", "--json"])
        #expect(try JSONDecoder().decode(RxqAutoRebalanceStatus.self, from: Data(json.stdout.utf8)) == Self.status)
    }
}
