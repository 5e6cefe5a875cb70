import DPDK
import Pipeline
import Testing

/// A stage for testing compaction: drops packets whose tag is odd, keeps the others.
struct DropOddTagsStage: PipelineStage, ~Copyable {
    static let name = "drop-odd-tags"
    enum Drop: Int, StageReason {
        case oddTag
        var name: String { "odd-tag" }
    }
    let counters = DropOddTagsStage.allocateCounters()

    mutating func bind(_ tables: borrowing ForwardingTables) {}

    mutating func process(_ burst: inout PacketBurst) {
        var slot = 0
        for i in 0..<burst.count {
            if burst.packets[i].data.loadUnaligned(as: UInt32.self) % 2 == 1 {
                counters.drop(.oddTag)
                burst.drop(i)
            } else {
                burst.keep(i, at: &slot)
            }
        }
        burst.endCompaction(keeping: slot)
    }
}

extension DPDKBackedTests {
    @Suite struct MbufBurstTests {
        @Test("deinit returns the buffers the burst still owns to the pool")
        func deinitFreesOwned() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                do {
                    var burst = MbufBurst(capacity: 16)
                    for tag: UInt32 in 0..<10 { burst.append(env.frame(tag: tag, length: 64)) }
                    #expect(env.pool.available == before - 10)
                    #expect(burst.count == 10 && !burst.isFull && !burst.isEmpty)
                }
                #expect(env.pool.available == before)
            }
        }

        @Test("removeFirst gives up the first buffers without freeing them and keeps the rest in order")
        func removeFirstKeepsOrder() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                var burst = MbufBurst(capacity: 8)
                for tag: UInt32 in 0..<6 { burst.append(env.frame(tag: tag, length: 64)) }
                let handedOff = [burst[0], burst[1]]
                burst.removeFirst(2)
                #expect(tags(of: burst) == [2, 3, 4, 5])
                #expect(env.pool.available == before - 6)
                for mbuf in handedOff { mbuf.free() }  // the "driver" now frees what it took
                #expect(env.pool.available == before - 4)
                burst.removeFirst(0)
                #expect(tags(of: burst) == [2, 3, 4, 5])
                let rest = (0..<4).map { burst[$0] }
                burst.removeFirst(4)
                #expect(burst.count == 0 && burst.isEmpty)
                #expect(env.pool.available == before - 4)
                for mbuf in rest { mbuf.free() }
                #expect(env.pool.available == before)
            }
        }

        @Test("free(from:) frees the tail; freeAll frees everything")
        func freeTailAndAll() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                var burst = MbufBurst(capacity: 8)
                for tag: UInt32 in 0..<8 { burst.append(env.frame(tag: tag, length: 64)) }
                #expect(burst.count == 8 && burst.isFull)
                burst.free(from: 5)
                #expect(tags(of: burst) == [0, 1, 2, 3, 4])
                #expect(env.pool.available == before - 5)
                burst.free(from: 5)  // nothing past the end
                #expect(burst.count == 5)
                burst.freeAll()
                #expect(burst.count == 0 && burst.isEmpty)
                #expect(env.pool.available == before)
            }
        }
    }

    @Suite struct PacketBurstTests {
        @Test("beginBurst resets the metadata of the received packets and records the ingress")
        func beginBurstResetsMeta() throws {
            try TestDPDK.run { env in
                var burst = PacketBurst(capacity: 8)
                for i in 0..<8 { burst.meta[i].egress = 42 }
                env.fill(&burst, tags: 0..<5, ingress: 3)
                #expect(burst.ingress == 3)
                #expect(burst.count == 5 && burst.capacity == 8)
                #expect((0..<5).map { burst.meta[$0].egress } == Array(repeating: PacketMeta.noEgress, count: 5))
                #expect((5..<8).map { burst.meta[$0].egress } == [42, 42, 42])
            }
        }

        @Test("keep/drop/endCompaction keep survivors in order with their metadata; dropped are freed on release")
        func compactionPreservesOrderAndMeta() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                var burst = PacketBurst(capacity: 16)
                env.fill(&burst, tags: [10, 11, 12, 13, 15, 16, 17, 18, 20, 21], ingress: 1)
                for i in 0..<burst.count {
                    burst.meta[i].egress = UInt16(burst.packets[i].data.loadUnaligned(as: UInt32.self)) + 100
                }
                var stage = DropOddTagsStage()
                stage.process(&burst)
                #expect(tags(of: burst.packets) == [10, 12, 16, 18, 20])
                #expect((0..<burst.count).map { burst.meta[$0].egress } == [110, 112, 116, 118, 120])
                #expect(tags(of: burst.dropped) == [11, 13, 15, 17, 21])
                #expect(stage.snapshot.drops == [5])
                // Dropped packets are still owned (by `dropped`) until released.
                #expect(env.pool.available == before - 10)
                burst.releaseDropped()
                #expect(burst.dropped.count == 0)
                #expect(env.pool.available == before - 5)
                #expect(tags(of: burst.packets) == [10, 12, 16, 18, 20])
            }
        }

        @Test("a burst whose packets are all kept is unchanged")
        func keepAll() throws {
            try TestDPDK.run { env in
                var burst = PacketBurst(capacity: 4)
                env.fill(&burst, tags: [2, 4, 6, 8], ingress: 0)
                let pointers = (0..<4).map { burst.packets[$0].raw }
                var stage = DropOddTagsStage()
                stage.process(&burst)
                #expect((0..<burst.count).map { burst.packets[$0].raw } == pointers)
                #expect(burst.dropped.count == 0)
            }
        }

        @Test("deinit frees both the packets and the dropped packets it still owns")
        func deinitFreesPacketsAndDropped() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                do {
                    var burst = PacketBurst(capacity: 8)
                    env.fill(&burst, tags: 0..<8, ingress: 0)
                    var stage = DropOddTagsStage()
                    stage.process(&burst)
                    #expect(burst.count == 4 && burst.dropped.count == 4)
                    #expect(env.pool.available == before - 8)
                }
                #expect(env.pool.available == before)
            }
        }
    }

    @Suite struct StageCounterTests {
        @Test("run() counts calls, packets in and out, drops and exactly the cycles since the previous stage")
        func runAccounting() throws {
            try TestDPDK.run { env in
                var stage = DropOddTagsStage()
                var burst = PacketBurst(capacity: 32)
                var expectedCycles: UInt64 = 0
                let batches: [[UInt32]] = [
                    Array(0..<10), [1, 3, 5], [], [2, 4, 6, 8, 10, 12, 14, 16], Array(100..<132),
                ]
                for batch in batches {
                    env.fill(&burst, tags: batch, ingress: 0)
                    let start = readTSC()
                    let end = stage.run(&burst, since: start)
                    #expect(end >= start)
                    expectedCycles += end - start
                    burst.releaseDropped()
                    burst.packets.freeAll()
                }
                let counters = stage.snapshot
                #expect(
                    counters.ignoringCycles()
                        == StageSnapshot(
                            calls: 5, packetsIn: 53, packetsOut: 5 + 0 + 0 + 8 + 16, drops: [5 + 3 + 0 + 0 + 16]))
                #expect(counters.packetsIn == counters.packetsOut + counters.drops.reduce(0, +))
                #expect(counters.cycles == expectedCycles)
                #expect(counters.cycles > 0)
                let descriptor = stage.descriptor
                #expect(descriptor.name == "drop-odd-tags")
                #expect(descriptor.dropReasons == ["odd-tag"])
                #expect(descriptor.counters.block.base == stage.counters.block.base)
            }
        }

        @Test("counter blocks start at zero, on a cache line of their own")
        func counterBlockLayout() {
            let block = CounterBlock.allocate(count: 7)
            defer { block.deallocate() }
            #expect(block.loadAll() == Array(repeating: 0, count: 7))
            #expect(UInt(bitPattern: block.base) % 64 == 0)
            block.add(2, 40)
            block.increment(2)
            block.increment(6)
            #expect(block.loadAll() == [0, 0, 41, 0, 0, 0, 1])
        }
    }
}

/// Every stage reads and writes `PacketMeta` per packet: its layout is part of the fast path's cost.
@Suite struct PacketMetaLayoutTests {
    @Test("the metadata is 32 bytes and a burst's array starts on a cache line: no entry straddles two lines")
    func twoEntriesPerCacheLine() {
        #expect(MemoryLayout<PacketMeta>.stride == 32)
        let burst = PacketBurst(capacity: 32)
        #expect(UInt(bitPattern: burst.meta) % 64 == 0)
    }
}
