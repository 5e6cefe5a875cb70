import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Rx queues moved between PMDs by their measured load (docs/rxq-balance.md), with two PMDs sharing CPU 1.
    @Suite("Rx queue rebalancing")
    struct RxqRebalance {
        static let macA = "02:00:00:00:7a:01", macB = "02:00:00:00:7a:02"
        static let portAB = 9997, portBA = 9996

        /// Port z (idle, pinned to lcore 2 with four queues) makes the start-up assignment put every queue of
        /// the tap ports a and b on lcore 1, unpinned. Hosts A and B send to each other: both flows load lcore
        /// 1. A rebalance under traffic moves one loaded queue to lcore 2 (a dry run first moves nothing);
        /// `sluicectl pmds --json` shows the move and both PMDs then receive; every packet sent across it
        /// arrives exactly once.
        @Test func rebalanceMovesALoadedQueueWithoutLoss() throws {
            let layout = try RxqBalanceLayout(
                prefix: "rq", label: "rxq-rebalance", macA: Self.macA, macB: Self.macB, portAB: Self.portAB,
                portBA: Self.portBA)
            let (daemon, flows) = (layout.daemon, layout.flows)
            try layout.start()
            let client = try daemon.client()
            let ctl = System.binary("sluicectl")
            func pmds() throws -> [PMDStatus] { try layout.pmds() }
            let before = try pmds()
            #expect(before.map(\.rxQueues) == [["a/0", "a/1", "b/0", "b/1"], ["z/0", "z/1", "z/2", "z/3"]])
            #expect(before[1].rxQueueLoads?.allSatisfy(\.pinned) == true)
            #expect(before[0].rxQueueLoads?.contains(where: \.pinned) == false)

            try flows.announce(through: client)
            try flows.startReceivers()
            let baseline = try CounterSnapshot(daemon)
            try flows.startSenders()
            try System.waitUntil("both flows to cross sluiced") {
                let now = try CounterSnapshot(daemon)
                return try now.portGrowth("a", since: baseline, \.txPackets) > 300
                    && now.portGrowth("b", since: baseline, \.txPackets) > 300
            }
            #expect(try CounterSnapshot(daemon).pmdRxGrowth(lcore: 2, since: baseline) == 0, "lcore 2 polls only z")

            // The loaded queues, measured on lcore 1: the busiest queue of each tap port carries its flow (the
            // other may have received an announcement). Their shares of the PMD differ by run (cold caches, the
            // first bursts, the other flow's transmit), so each is only required to beat its port's other queue.
            let measured = try pmds()
            let loads = measured[0].rxQueueLoads ?? []
            let loaded = ["a", "b"].compactMap { port in
                loads.filter { $0.queue.hasPrefix("\(port)/") }.max { $0.busyCycles < $1.busyCycles }
            }.filter { $0.busyCycles > 0 }.map(\.queue)
            #expect(Set(loaded.map { $0.prefix(1) }) == ["a", "b"], "\(measured)")

            // A dry run proposes one loaded queue to lcore 2 and moves nothing.
            let dry = try client.call(RxqBalanceMethods.rebalance, RxqRebalanceParams(dryRun: true))
            #expect(!dry.applied)
            #expect(dry.moves.contains { $0.fromLcore == 1 && $0.toLcore == 2 && loaded.contains($0.queue) }, "\(dry)")
            #expect(dry.improvementPercent > 0, "\(dry)")
            #expect(try pmds().map(\.rxQueues) == measured.map(\.rxQueues))

            // Applied through sluicectl, under traffic.
            let answer = try System.must([ctl, "pmds", "rebalance", "--json", "--socket", daemon.socketPath])
            let plan = try JSONDecoder().decode(RxqRebalancePlan.self, from: Data(answer.utf8))
            #expect(plan.applied, "\(plan)")
            let movedLoaded = plan.moves.filter { loaded.contains($0.queue) }
            #expect(movedLoaded.count == 1 && movedLoaded.first?.toLcore == 2, "\(plan)")
            let after = try pmds()
            if let moved = movedLoaded.first {
                #expect(after[1].rxQueues.contains(moved.queue) && !after[0].rxQueues.contains(moved.queue))
            }
            #expect(after[1].rxQueues.filter { $0.hasPrefix("z/") } == ["z/0", "z/1", "z/2", "z/3"], "pinned stay")
            #expect(Set(after.flatMap(\.rxQueues)).count == 8, "every queue polled by exactly one PMD: \(after)")

            // Both PMDs now receive one flow each.
            let moment = try CounterSnapshot(daemon)
            try System.waitUntil("both PMDs to receive after the rebalance") {
                let now = try CounterSnapshot(daemon)
                return try now.pmdRxGrowth(lcore: 1, since: moment) > 200
                    && now.pmdRxGrowth(lcore: 2, since: moment) > 200
            }

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
