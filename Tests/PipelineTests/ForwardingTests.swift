import DPDK
import Pipeline
import Testing

// End to end through the real rx path: frames are injected on a port's queue 1 (its "wire"), polled from
// queue 1 the way a PMD does (`pollOnce`), and the processor transmits on queue 0, where the test reads
// back what left on each port.
extension DPDKBackedTests {
    @Suite struct ForwardingPipelineTests {
        @Test("a mixed set of bursts: forwarded, port-down, unpatched and tx-queue-full, all accounted for")
        func mixedBursts() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                // 0 <-> 1, 2 -> 3 (3 is down), 3 unpatched.
                let targets = env.targets(enabled: [true, true, true, false])
                var pipeline = ForwardingPipeline(
                    patch: PatchStage(peers: [1, 0, 3, nil]), transmit: TransmitStage(targets: targets, capacity: 32))
                // Port 0's tx ring has room for one more frame only.
                let fillers = 9000..<9000 + UInt32(TestDPDK.ringCapacity - 1)
                #expect(env.inject(tags: fillers, port: 0, queue: 0) == fillers.count)
                #expect(env.inject(tags: 0..<5, port: 0, queue: 1) == 5)  // -> port 1
                #expect(env.inject(tags: 10..<13, port: 1, queue: 1) == 3)  // -> port 0, one fits
                #expect(env.inject(tags: 20..<24, port: 2, queue: 1) == 4)  // -> port 3: down
                #expect(env.inject(tags: 30..<32, port: 3, queue: 1) == 2)  // unpatched
                var burst = PacketBurst(capacity: 32)
                for port in 0..<4 {
                    let result = pollOnce(&pipeline, burst: &burst, port: env.ports[port], queue: 1, ingress: UInt16(port))
                    #expect(result.received == [5, 3, 4, 2][port], "port \(port)")
                    #expect(result.leftOver == 0, "the pipeline hands on or drops every packet")
                }
                #expect(StageSnapshot(pipeline.patch.counters, reasons: 1).ignoringCycles()
                    == StageSnapshot(calls: 4, packetsIn: 14, packetsOut: 12, drops: [2]))
                #expect(StageSnapshot(pipeline.transmit.counters, reasons: 3).ignoringCycles()
                    == StageSnapshot(calls: 4, packetsIn: 12, packetsOut: 6, drops: [0, 4, 2]))
                #expect(PortSnapshot(targets[0].counters) == PortSnapshot(txPackets: 1, txBytes: bytes([10]), txDropped: 2))
                #expect(PortSnapshot(targets[1].counters) == PortSnapshot(txPackets: 5, txBytes: bytes(0..<5)))
                #expect(PortSnapshot(targets[2].counters) == PortSnapshot())
                #expect(PortSnapshot(targets[3].counters) == PortSnapshot())
                #expect(env.pool.available == before - TestDPDK.ringCapacity - 5)
                #expect(env.drain(port: 0, queue: 0) == frames(fillers) + frames([10]))
                #expect(env.drain(port: 1, queue: 0) == frames(0..<5))
                #expect(env.drain(port: 2, queue: 0) == [])
                #expect(env.drain(port: 3, queue: 0) == [])
                let stages = pipeline.stages
                #expect(stages.map(\.name) == ["patch", "transmit"])
                #expect(stages[0].counters.block.base == pipeline.patch.counters.block.base)
                #expect(stages[1].counters.block.base == pipeline.transmit.counters.block.base)
            }
        }

        @Test("process() charges each stage the cycles since the previous stage boundary")
        func cyclesAccumulate() throws {
            try TestDPDK.run { env in
                var pipeline = ForwardingPipeline(
                    patch: PatchStage(peers: [1, 0]), transmit: TransmitStage(targets: env.targets(), capacity: 32))
                var burst = PacketBurst(capacity: 32)
                let start = readTSC()
                env.fill(&burst, tags: 0..<16, ingress: 0)
                pipeline.process(&burst)
                let end = readTSC()
                let patch = StageSnapshot(pipeline.patch.counters, reasons: 1)
                let transmit = StageSnapshot(pipeline.transmit.counters, reasons: 3)
                #expect(patch.cycles > 0 && transmit.cycles > 0)
                #expect(patch.cycles + transmit.cycles <= end - start)
                #expect(env.drain(port: 1, queue: 0) == frames(0..<16))
            }
        }
    }

    @Suite struct IOForwarderTests {
        @Test("forwards whole bursts to the ingress port's peer, in order, counting tx per port")
        func forwardsWholeBursts() throws {
            try TestDPDK.run { env in
                let targets = env.targets()
                var forwarder = IOForwarder(peers: [1, 0, 3, 2], targets: targets)
                #expect(forwarder.stages.isEmpty)
                #expect(env.inject(tags: 0..<32, port: 0, queue: 1) == 32)
                #expect(env.inject(tags: 100..<107, port: 3, queue: 1) == 7)
                var burst = PacketBurst(capacity: 32)
                #expect(pollOnce(&forwarder, burst: &burst, port: env.ports[0], queue: 1, ingress: 0) == (32, 0))
                #expect(pollOnce(&forwarder, burst: &burst, port: env.ports[3], queue: 1, ingress: 3) == (7, 0))
                #expect(env.drain(port: 1, queue: 0) == frames(0..<32))
                #expect(env.drain(port: 2, queue: 0) == frames(100..<107))
                #expect(PortSnapshot(targets[1].counters) == PortSnapshot(txPackets: 32, txBytes: bytes(0..<32)))
                #expect(PortSnapshot(targets[2].counters) == PortSnapshot(txPackets: 7, txBytes: bytes(100..<107)))
                #expect(PortSnapshot(targets[0].counters) == PortSnapshot())
                #expect(PortSnapshot(targets[3].counters) == PortSnapshot())
            }
        }

        @Test("leaves an unpatched port's burst in place for the PMD loop to free", arguments: [2, 9] as [UInt16])
        func unpatchedLeftInBurst(ingress: UInt16) throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                let targets = env.targets()
                var forwarder = IOForwarder(peers: [1, 0, nil], targets: targets)
                var burst = PacketBurst(capacity: 8)
                env.fill(&burst, tags: 0..<5, ingress: ingress)
                forwarder.process(&burst)
                #expect(tags(of: burst.packets) == [0, 1, 2, 3, 4])
                #expect(burst.dropped.count == 0)
                #expect(targets.allSatisfy { PortSnapshot($0.counters) == PortSnapshot() })
                burst.packets.freeAll()
                #expect(env.pool.available == before)
            }
        }

        @Test("what a full tx queue refuses is freed and counted as tx-dropped")
        func txQueueFull() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                let fillers = 9000..<9000 + UInt32(TestDPDK.ringCapacity - 4)
                #expect(env.inject(tags: fillers, port: 1, queue: 0) == fillers.count)
                let targets = env.targets()
                var forwarder = IOForwarder(peers: [1, 0], targets: targets)
                var burst = PacketBurst(capacity: 16)
                env.fill(&burst, tags: 0..<10, ingress: 0)
                forwarder.process(&burst)
                #expect(burst.count == 0)
                #expect(PortSnapshot(targets[1].counters) == PortSnapshot(txPackets: 4, txBytes: bytes(0..<4), txDropped: 6))
                #expect(env.pool.available == before - TestDPDK.ringCapacity)
                #expect(env.drain(port: 1, queue: 0) == frames(fillers) + frames(0..<4))
            }
        }
    }
}
