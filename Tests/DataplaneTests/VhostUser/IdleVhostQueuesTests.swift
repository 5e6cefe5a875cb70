import Testing

@testable import Dataplane

/// The PMD's adaptive skipping of long-idle vhost-user rx queues: polled every iteration until 64 empty polls
/// in a row, then every 8th iteration (staggered by position) until a poll returns packets.
@Suite struct IdleVhostQueuesTests {
    /// Iterations in `count` consecutive ones in which queue `q` is polled (and comes back empty).
    static func polls(_ idle: inout IdleVhostQueues, queue q: Int, iterations count: Int) -> Int {
        var polled = 0
        for _ in 0..<count {
            idle.nextIteration()
            if !idle.skips(q) {
                polled += 1
                idle.record(q, received: 0)
            }
        }
        return polled
    }

    @Test func aQueueIsPolledEveryIterationUntilLongIdleThenEveryEighth() {
        var idle = IdleVhostQueues()
        defer { idle.deallocate() }
        #expect(Self.polls(&idle, queue: 3, iterations: 64) == 64)
        #expect(Self.polls(&idle, queue: 3, iterations: 800) == 100)
        // Another position is independent, and comes due in other iterations.
        #expect(Self.polls(&idle, queue: 4, iterations: 64) == 64)
        var dueTogether = 0
        for _ in 0..<64 {
            idle.nextIteration()
            if !idle.skips(3) && !idle.skips(4) { dueTogether += 1 }
        }
        #expect(dueTogether == 0)
    }

    @Test func packetsMakeAQueueBusyAgainAtOnceAndTheWaitIsBounded() {
        var idle = IdleVhostQueues()
        defer { idle.deallocate() }
        _ = Self.polls(&idle, queue: 0, iterations: 64)
        // Long idle: the next poll comes within 8 iterations (the latency bound).
        var waited = 0
        repeat {
            idle.nextIteration()
            waited += 1
        } while idle.skips(0)
        #expect(waited <= IdleVhostQueues.period)
        idle.record(0, received: 5)
        #expect(Self.polls(&idle, queue: 0, iterations: 64) == 64)
    }

    @Test func aNewGenerationForgetsTheStreaks() {
        var idle = IdleVhostQueues()
        defer { idle.deallocate() }
        _ = Self.polls(&idle, queue: 1, iterations: 64)
        #expect(Self.polls(&idle, queue: 1, iterations: 8) == 1)
        idle.reset(count: 2)
        #expect(Self.polls(&idle, queue: 1, iterations: 8) == 8)
        // Positions past the tracked ones are always polled.
        #expect(Self.polls(&idle, queue: IdleVhostQueues.capacity, iterations: 200) == 200)
    }
}
