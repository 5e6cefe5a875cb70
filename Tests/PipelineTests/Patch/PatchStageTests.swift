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
                #expect(
                    stage.snapshot.ignoringCycles() == StageSnapshot(calls: 3, packetsIn: 21, packetsOut: 21, drops: [])
                )
            }
        }

        @Test(
            "a burst from an unpatched port passes untouched (it goes to the bridge)",
            arguments: [2, 4, 200] as [UInt16])
        func unpatchedIngressPasses(ingress: UInt16) throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                var stage = PatchStage(peers: Self.peers)
                let patched = stage.isPatched(ingress)
                #expect(!patched)
                var burst = PacketBurst(capacity: 32)
                env.fill(&burst, tags: 0..<6, ingress: ingress)
                let pointers = (0..<burst.count).map { burst.packets[$0].raw }
                _ = stage.run(&burst, since: readTSC())
                #expect(burst.count == 6 && burst.dropped.count == 0)
                #expect((0..<6).map { burst.packets[$0].raw } == pointers)
                #expect((0..<6).map { burst.meta[$0].egress } == Array(repeating: PacketMeta.noEgress, count: 6))
                #expect(
                    stage.snapshot.ignoringCycles() == StageSnapshot(calls: 1, packetsIn: 6, packetsOut: 6, drops: []))
                #expect(env.pool.available == before - 6)
                burst.packets.freeAll()
                #expect(env.pool.available == before)
            }
        }

        @Test("isPatched: exactly the ports with a peer")
        func isPatched() {
            let stage = PatchStage(peers: Self.peers)
            var patched: [Bool] = []
            for port: UInt16 in [0, 1, 2, 3, 4, 200, .max] { patched.append(stage.isPatched(port)) }
            #expect(patched == [true, true, false, true, false, false, false])
            let empty = PatchStage(peers: [])
            let emptyPatched = empty.isPatched(0) || empty.isPatched(1)
            #expect(!emptyPatched)
        }

        @Test("an empty peer table patches nothing and drops nothing")
        func emptyPeerTable() throws {
            try TestDPDK.run { env in
                var stage = PatchStage(peers: [])
                var burst = PacketBurst(capacity: 4)
                env.fill(&burst, tags: 0..<3, ingress: 0)
                stage.process(&burst)
                #expect(burst.count == 3 && burst.dropped.count == 0)
                #expect((0..<3).map { burst.meta[$0].egress } == Array(repeating: PacketMeta.noEgress, count: 3))
                burst.packets.freeAll()
            }
        }

        @Test("counters stay consistent over many bursts: in = out, patched or not")
        func countersConsistent() throws {
            try TestDPDK.run { env in
                var stage = PatchStage(peers: Self.peers)
                var burst = PacketBurst(capacity: 32)
                var expectedIn: UInt64 = 0
                var patchedEgress = 0
                for round in 0..<20 {
                    let ingress = UInt16(round % 4)
                    let count = (round * 7) % 33
                    env.fill(&burst, tags: (0..<UInt32(count)), ingress: ingress)
                    _ = stage.run(&burst, since: readTSC())
                    expectedIn += UInt64(count)
                    if ingress != 2 {
                        patchedEgress +=
                            (0..<burst.count).filter { burst.meta[$0].egress == Self.peers[Int(ingress)] }.count
                    }
                    burst.releaseDropped()
                    burst.packets.freeAll()
                }
                let counters = stage.snapshot
                #expect(
                    counters.ignoringCycles() == StageSnapshot(calls: 20, packetsIn: 307, packetsOut: 307, drops: []))
                #expect(counters.packetsIn == expectedIn)
                // Bursts from ports 0, 1 and 3 all got their peer as egress: 307 less port 2's 86.
                #expect(patchedEgress == 221)
            }
        }

        @Test("descriptor names the stage; it has no drop reasons")
        func descriptor() {
            let stage = PatchStage(peers: [1, 0])
            #expect(stage.descriptor.name == "patch")
            #expect(stage.descriptor.dropReasons == [])
            #expect(stage.descriptor.eventNames == [])
            #expect(stage.counters.block.count == StageCounters.firstDrop)
        }
    }
}
