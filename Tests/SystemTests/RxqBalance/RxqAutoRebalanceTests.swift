import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Rx queues moved between PMDs by the periodic rebalance (`eal.rxq-rebalance-interval`,
    /// docs/rxq-balance.md), with two PMDs sharing CPU 1.
    @Suite("Periodic rx queue rebalancing")
    struct RxqAutoRebalance {
        static let macA = "02:00:00:00:7b:01", macB = "02:00:00:00:7b:02"
        static let portAB = 9995, portBA = 9994

        /// The layout of the on-request test (port z pinned to lcore 2 puts every tap queue on lcore 1), started
        /// with periodic rebalancing off: under both flows nothing moves. Turned on at run time (`config.apply`,
        /// a check every 2 s, a 10 % threshold; in place and persisted), nobody asking for a rebalance, a loaded
        /// queue moves to lcore 2 by itself, `pmd.rebalance-status` counts the applied check, the log names the
        /// move, and every packet sent across it arrives exactly once.
        @Test func periodicRebalanceMovesALoadedQueueWithoutLoss() throws {
            let layout = try RxqBalanceLayout(
                prefix: "ra", label: "rxq-auto-rebalance", macA: Self.macA, macB: Self.macB, portAB: Self.portAB,
                portBA: Self.portBA)
            let (daemon, flows) = (layout.daemon, layout.flows)
            try layout.start()
            let client = try daemon.client()
            let ctl = System.binary("sluicectl")
            func pmds() throws -> [PMDStatus] { try layout.pmds() }
            func status() throws -> RxqAutoRebalanceStatus {
                let json = try System.must([ctl, "pmds", "rebalance-status", "--json", "--socket", daemon.socketPath])
                return try JSONDecoder().decode(RxqAutoRebalanceStatus.self, from: Data(json.utf8))
            }
            let first = try status()
            #expect(first.intervalSeconds == 0 && first.improvementPercent == 25, "\(first)")
            #expect(first.nextCheckSeconds == nil && first.runs == 0, "\(first)")
            #expect(try pmds().map(\.rxQueues) == [["a/0", "a/1", "b/0", "b/1"], ["z/0", "z/1", "z/2", "z/3"]])

            try flows.announce(through: client)
            try flows.startReceivers()
            let baseline = try CounterSnapshot(daemon)
            try flows.startSenders()
            try System.waitUntil("both flows to cross sluiced") {
                let now = try CounterSnapshot(daemon)
                return try now.portGrowth("a", since: baseline, \.txPackets) > 300
                    && now.portGrowth("b", since: baseline, \.txPackets) > 300
            }

            // Off: under both flows nothing moves.
            #expect(try CounterSnapshot(daemon).pmdRxGrowth(lcore: 2, since: baseline) == 0, "lcore 2 polls only z")
            #expect(try status().runs == 0)

            // Turned on at run time, in place (no port touched) and persisted.
            let running = try client.call(ConfigMethods.get).yaml
            let changed = running.replacingOccurrences(
                of: "rxq-rebalance-interval: 0", with: "rxq-rebalance-interval: 2"
            )
            .replacingOccurrences(of: "rxq-rebalance-improvement: 25", with: "rxq-rebalance-improvement: 10")
            let applied = try client.call(ConfigMethods.apply, ConfigApplyParams(document: changed))
            #expect(applied.applied && applied.changes.map(\.action) == ["update-eal"], "\(applied)")
            let on = try status()
            #expect(on.intervalSeconds == 2 && on.improvementPercent == 10 && on.nextCheckSeconds != nil, "\(on)")
            let state = try String(contentsOfFile: daemon.stateFile, encoding: .utf8)
            #expect(state.contains("rxq-rebalance-interval: 2"), "\(state)")

            // lcore 2 polls only z (no rx) until a tap queue moves there: its receiving proves the move.
            try System.waitUntil("a loaded queue to move to lcore 2 by itself", timeout: .seconds(90)) {
                try CounterSnapshot(daemon).pmdRxGrowth(lcore: 2, since: baseline) > 200
            }
            let moment = try CounterSnapshot(daemon)
            try System.waitUntil("both PMDs to receive after the periodic rebalance") {
                let now = try CounterSnapshot(daemon)
                return try now.pmdRxGrowth(lcore: 1, since: moment) > 200
                    && now.pmdRxGrowth(lcore: 2, since: moment) > 200
            }
            let counted = try status()
            #expect(counted.applied >= 1 && counted.runs >= counted.applied, "\(counted)")
            #expect(counted.failed == 0, "\(counted)")
            #expect(daemon.log.contains("periodic rx queue rebalance: busiest PMD"), "\(daemon.log)")
            let after = try pmds()
            #expect(after[1].rxQueues.filter { $0.hasPrefix("z/") } == ["z/0", "z/1", "z/2", "z/3"], "pinned stay")
            #expect(after[1].rxQueues.contains { !$0.hasPrefix("z/") }, "\(after)")
            #expect(Set(after.flatMap(\.rxQueues)).count == 8, "every queue polled by exactly one PMD: \(after)")

            let sent = try flows.stopSenders()
            try System.waitUntil("sluiced to forward everything sent", timeout: .seconds(60)) {
                let now = try CounterSnapshot(daemon)
                return try now.portGrowth("b", since: baseline, \.txPackets) >= sent.ab
                    && now.portGrowth("a", since: baseline, \.txPackets) >= sent.ba
            }
            try flows.expectEveryPacketOnce(sent: sent)
            let final = try CounterSnapshot(daemon)
            #expect(final.newDrops(since: baseline).isEmpty, "no drops: \(final.newDrops(since: baseline))")
            #expect(try final.portGrowth("a", since: baseline, \.rxPackets) == sent.ab)
            #expect(try final.portGrowth("b", since: baseline, \.rxPackets) == sent.ba)
            #expect(try daemon.stop() == 0, "\(daemon.log)")
        }
    }
}
