import Testing

@testable import Dataplane

/// The PMD's list of rx queues worth polling: ethdev queues always, vhost-user queues only with a guest and an
/// enabled virtqueue; rebuilt when the generation or the vhost state epoch changes, and only then.
@Suite struct LiveRxQueuesTests {
    /// A deterministic double of a generation's rx queues and of the vhost callbacks: each queue is an ethdev
    /// queue or a vhost-user queue that may receive or not; every change bumps the epoch, as the callbacks do.
    struct FakeQueues {
        enum Queue: Equatable {
            case ethdev
            case vhost(live: Bool)
        }
        var queues: [Queue]
        var epoch: UInt64 = 0
        var generation: UInt64 = 1

        mutating func set(_ q: Int, live: Bool) {
            queues[q] = .vhost(live: live)
            epoch += 1
        }

        func mayReceive(_ q: Int) -> Bool { queues[q] != .vhost(live: false) }

        /// What one PMD iteration does: rebuild if stale, then the positions it polls.
        func iterate(_ live: inout LiveRxQueues) -> [Int] {
            if live.isStale(generation: generation, epoch: epoch) {
                live.rebuild(generation: generation, epoch: epoch, queueCount: queues.count) { mayReceive($0) }
            }
            return (0..<live.pollCount).map { live.position($0) }
        }
    }

    @Test func queuesWithoutAGuestAreNotPolledEthdevQueuesAlwaysAre() {
        var live = LiveRxQueues()
        defer { live.deallocate() }
        // An ethdev queue, then 6 vhost-user queues without guests, then a live one, then another ethdev queue.
        var fake = FakeQueues(
            queues: [.ethdev] + Array(repeating: .vhost(live: false), count: 6) + [.vhost(live: true), .ethdev])
        #expect(fake.iterate(&live) == [0, 7, 8])
        #expect(live.rebuilds == 1)
        // Nothing changed: no rebuild, whatever the number of iterations.
        for _ in 0..<100 { #expect(fake.iterate(&live) == [0, 7, 8]) }
        #expect(live.rebuilds == 1)
        // A guest attaches (the epoch moves): its queue is polled from the next iteration on, in position order.
        fake.set(3, live: true)
        #expect(fake.iterate(&live) == [0, 3, 7, 8])
        #expect(live.rebuilds == 2)
        // A guest leaves, another disables its virtqueue: both drop out.
        fake.set(3, live: false)
        fake.set(7, live: false)
        #expect(fake.iterate(&live) == [0, 8])
        #expect(live.rebuilds == 3)
    }

    @Test func aNewGenerationRebuildsEvenAtTheSameEpoch() {
        var live = LiveRxQueues()
        defer { live.deallocate() }
        var fake = FakeQueues(queues: [.vhost(live: true), .vhost(live: false)])
        #expect(fake.iterate(&live) == [0])
        // The new generation's queues sit at other positions; the vhost epoch did not move.
        fake.generation = 2
        fake.queues = [.vhost(live: false), .ethdev, .vhost(live: true)]
        #expect(fake.iterate(&live) == [1, 2])
        #expect(live.rebuilds == 2)
    }

    /// A change that races with a rebuild (the epoch read first, then the states) is listed one iteration later.
    @Test func aChangeDuringARebuildIsSeenAtTheNextIteration() {
        var live = LiveRxQueues()
        defer { live.deallocate() }
        var fake = FakeQueues(queues: [.vhost(live: false), .vhost(live: false)])
        let epochRead = fake.epoch
        live.rebuild(generation: fake.generation, epoch: epochRead, queueCount: 2) { q in
            if q == 1 { fake.set(0, live: true) }  // the callback runs between the reads of queues 0 and 1
            return fake.mayReceive(q)
        }
        #expect(live.pollCount == 0)
        #expect(fake.iterate(&live) == [0])
    }

    @Test func positionsPastTheCapacityAreAlwaysPolled() {
        var live = LiveRxQueues()
        defer { live.deallocate() }
        let count = LiveRxQueues.capacity + 2
        live.rebuild(generation: 1, epoch: 0, queueCount: count) { q in q == 5 }
        #expect(live.pollCount == 3)
        #expect((0..<3).map { live.position($0) } == [5, LiveRxQueues.capacity, LiveRxQueues.capacity + 1])
    }
}
