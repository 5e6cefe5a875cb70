import DPDK
import Pipeline
import Testing

extension DPDKBackedTests {
    @Suite struct PatchStageTests {
        /// 0 <-> 1 both ways, 3 -> 2 one way, 2 unpatched.
        static let peers: [UInt16?] = [1, 0, nil, 2]

        @Test("sets every packet's egress to the ingress port's peer, keeping the burst intact")
        func setsEgressFromPeer() throws {
            try TestDPDK.run { env in
                var stage = PatchStage(peers: Self.peers)
                var burst = PacketBurst(capacity: 32)
                for (ingress, egress) in [(0, 1), (1, 0), (3, 2)] as [(UInt16, UInt16)] {
                    let tagBase = UInt32(ingress) * 100
                    env.fill(&burst, tags: tagBase..<tagBase + 7, ingress: ingress)
                    let pointers = (0..<burst.count).map { burst.packets[$0].raw }
                    _ = stage.run(&burst, since: readTSC())
                    #expect(burst.count == 7)
                    #expect((0..<7).map { burst.packets[$0].raw } == pointers)
                    #expect((0..<7).map { burst.meta[$0].egress } == Array(repeating: egress, count: 7))
                    #expect(burst.dropped.count == 0)
                    burst.packets.freeAll()
                }
                #expect(stage.snapshot.ignoringCycles() == StageSnapshot(calls: 3, packetsIn: 21, packetsOut: 21, drops: [0]))
            }
        }

        @Test("an unpatched ingress drops the whole burst as unpatched-port; release frees the mbufs", arguments: [2, 4, 200] as [UInt16])
        func unpatchedIngressDropsAll(ingress: UInt16) throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                var stage = PatchStage(peers: Self.peers)
                var burst = PacketBurst(capacity: 32)
                env.fill(&burst, tags: 0..<6, ingress: ingress)
                _ = stage.run(&burst, since: readTSC())
                #expect(burst.count == 0)
                #expect(tags(of: burst.dropped) == [0, 1, 2, 3, 4, 5])
                #expect(stage.snapshot.ignoringCycles() == StageSnapshot(calls: 1, packetsIn: 6, packetsOut: 0, drops: [6]))
                #expect(env.pool.available == before - 6)
                burst.releaseDropped()
                #expect(env.pool.available == before)
            }
        }

        @Test("an empty peer table patches nothing")
        func emptyPeerTable() throws {
            try TestDPDK.run { env in
                var stage = PatchStage(peers: [])
                var burst = PacketBurst(capacity: 4)
                env.fill(&burst, tags: 0..<3, ingress: 0)
                stage.process(&burst)
                #expect(burst.count == 0 && burst.dropped.count == 3)
                #expect(stage.snapshot.drops == [3])
                burst.releaseDropped()
            }
        }

        @Test("counters stay consistent over many bursts: in = out + unpatched-port drops")
        func countersConsistent() throws {
            try TestDPDK.run { env in
                var stage = PatchStage(peers: Self.peers)
                var burst = PacketBurst(capacity: 32)
                var expectedIn: UInt64 = 0, expectedOut: UInt64 = 0
                for round in 0..<20 {
                    let ingress = UInt16(round % 4)
                    let count = (round * 7) % 33
                    env.fill(&burst, tags: (0..<UInt32(count)), ingress: ingress)
                    _ = stage.run(&burst, since: readTSC())
                    expectedIn += UInt64(count)
                    if ingress != 2 { expectedOut += UInt64(count) }
                    burst.releaseDropped()
                    burst.packets.freeAll()
                }
                let counters = stage.snapshot
                #expect(counters.calls == 20)
                #expect(counters.packetsIn == expectedIn)
                #expect(counters.packetsOut == expectedOut)
                #expect(counters.drops == [expectedIn - expectedOut])
                #expect(counters.packetsIn == counters.packetsOut + counters.drops[0])
                #expect(counters.ignoringCycles() == StageSnapshot(calls: 20, packetsIn: 307, packetsOut: 221, drops: [86]))
            }
        }

        @Test("descriptor names the stage and its drop reasons")
        func descriptor() {
            let stage = PatchStage(peers: [1, 0])
            #expect(stage.descriptor.name == "patch")
            #expect(stage.descriptor.dropReasons == ["unpatched-port"])
            #expect(stage.counters.block.count == StageCounters.firstDrop + 1)
        }
    }
}
