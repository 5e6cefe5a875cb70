import DPDK
import Pipeline
import Testing

extension DPDKBackedTests {
    @Suite struct TransmitStageTests {
        typealias Drop = TransmitStage.Drop
        /// These tests send packets that bypass the bridge (VLAN 0, as from patched ports): the bridge's
        /// membership and tagging tables are not consulted, so any four ports do.
        static let bridge = BridgeTables(ports: Array(repeating: BridgePortSpec(), count: 4))

        /// Fills `burst` with frames tagged 0..<egress.count from `ingress` and sets their egress.
        static func fill(_ burst: inout PacketBurst, env: TestDPDK.Environment, egress: [UInt16], ingress: UInt16 = 0) {
            env.fill(&burst, tags: 0..<UInt32(egress.count), ingress: ingress)
            for (i, port) in egress.enumerated() { burst.meta[i].egress = port }
        }

        @Test("sends each packet to its egress port, in order per port, and counts packets and bytes per port")
        func scattersByEgress() throws {
            try TestDPDK.run { env in
                let targets = env.targets()
                var stage = TransmitStage(targets: targets, bridge: Self.bridge.view, capacity: 32)
                var burst = PacketBurst(capacity: 32)
                let egress: [UInt16] = [2, 0, 2, 1, 0, 2, 1, 1, 2, 0]
                Self.fill(&burst, env: env, egress: egress)
                _ = stage.run(&burst, since: readTSC())
                #expect(burst.count == 0 && burst.dropped.count == 0)
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 10, packetsOut: 10, drops: txDrops()))
                let expected: [[UInt32]] = [[1, 4, 9], [3, 6, 7], [0, 2, 5, 8], []]
                for port in 0..<4 {
                    #expect(env.drain(port: port, queue: 0) == frames(expected[port]), "port \(port)")
                    #expect(env.drain(port: port, queue: 1) == [], "port \(port) queue 1")
                    #expect(
                        PortSnapshot(targets[port].counters)
                            == PortSnapshot(txPackets: UInt64(expected[port].count), txBytes: bytes(expected[port])),
                        "port \(port)")
                }
            }
        }

        @Test("preserves per-port order in full bursts, burst after burst")
        func orderInFullBursts() throws {
            try TestDPDK.run { env in
                let targets = env.targets()
                var stage = TransmitStage(targets: targets, bridge: Self.bridge.view, capacity: 32)
                var burst = PacketBurst(capacity: 32)
                var expected: [[Frame]] = Array(repeating: [], count: 4)
                var next: UInt32 = 0
                for round in 0..<5 {
                    env.fill(&burst, tags: next..<next + 32, ingress: UInt16(round % 4))
                    for i in 0..<32 {
                        let tag = next + UInt32(i)
                        let port = Int((tag &* 2_654_435_761) >> 30)  // scrambled but deterministic
                        burst.meta[i].egress = UInt16(port)
                        expected[port].append(frames([tag])[0])
                    }
                    next += 32
                    _ = stage.run(&burst, since: readTSC())
                    #expect(burst.count == 0)
                }
                #expect(expected.allSatisfy { $0.count > 10 })  // every port really got a share
                for port in 0..<4 {
                    #expect(env.drain(port: port, queue: 0) == expected[port], "port \(port)")
                    let counters = PortSnapshot(targets[port].counters)
                    #expect(counters.txPackets == UInt64(expected[port].count))
                    #expect(counters.txBytes == UInt64(expected[port].reduce(0) { $0 + $1.length }))
                }
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 5, packetsIn: 160, packetsOut: 160, drops: txDrops()))
            }
        }

        @Test("transmits on the target's own tx queue")
        func usesTargetQueue() throws {
            try TestDPDK.run { env in
                let targets = env.targets(queue: 1)
                var stage = TransmitStage(targets: targets, bridge: Self.bridge.view, capacity: 8)
                var burst = PacketBurst(capacity: 8)
                Self.fill(&burst, env: env, egress: [3, 3, 0])
                stage.process(&burst)
                #expect(env.drain(port: 3, queue: 0) == [])
                #expect(env.drain(port: 3, queue: 1) == frames([0, 1]))
                #expect(env.drain(port: 0, queue: 1) == frames([2]))
            }
        }

        @Test("drops packets without a valid egress as no-egress and for disabled ports as port-down")
        func noEgressAndPortDown() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                let targets = env.targets(enabled: [true, false, true, true])
                var stage = TransmitStage(targets: targets, bridge: Self.bridge.view, capacity: 16)
                var burst = PacketBurst(capacity: 16)
                //                      0  1                     2  3  4  5     6  7
                Self.fill(&burst, env: env, egress: [0, PacketMeta.noEgress, 1, 3, 4, 1, 1000, 0])
                _ = stage.run(&burst, since: readTSC())
                #expect(burst.count == 0)
                // Dropped packets wait in the burst, in order, to be freed in one call.
                #expect(tags(of: burst.dropped) == [1, 2, 4, 5, 6])
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(
                            calls: 1, packetsIn: 8, packetsOut: 3, drops: txDrops(noEgress: 3, portDown: 2)))
                #expect(env.pool.available == before - 8)
                burst.releaseDropped()
                #expect(env.pool.available == before - 3)
                #expect(env.drain(port: 0, queue: 0) == frames([0, 7]))
                #expect(env.drain(port: 3, queue: 0) == frames([3]))
                #expect(env.drain(port: 1, queue: 0) == [])
                // port-down is the stage's drop, not the port's: the disabled port's counters stay at zero.
                #expect(PortSnapshot(targets[1].counters) == PortSnapshot())
                #expect(PortSnapshot(targets[0].counters) == PortSnapshot(txPackets: 2, txBytes: bytes([0, 7])))
            }
        }

        @Test("with no targets every packet is no-egress")
        func noTargets() throws {
            try TestDPDK.run { env in
                var stage = TransmitStage(targets: [], bridge: Self.bridge.view, capacity: 4)
                var burst = PacketBurst(capacity: 4)
                Self.fill(&burst, env: env, egress: [0, 1, PacketMeta.noEgress])
                _ = stage.run(&burst, since: readTSC())
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 3, packetsOut: 0, drops: txDrops(noEgress: 3)))
                burst.releaseDropped()
            }
        }

        @Test("a full tx queue: the packets it refuses are dropped, counted by the stage and the port, and freed")
        func txQueueFull() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                #expect(
                    env.inject(tags: 1000..<1000 + UInt32(TestDPDK.ringCapacity), port: 1, queue: 0)
                        == TestDPDK.ringCapacity)
                let targets = env.targets()
                var stage = TransmitStage(targets: targets, bridge: Self.bridge.view, capacity: 8)
                var burst = PacketBurst(capacity: 8)
                Self.fill(&burst, env: env, egress: [1, 0, 1, 1])
                _ = stage.run(&burst, since: readTSC())
                #expect(burst.count == 0 && burst.dropped.count == 0)
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 4, packetsOut: 1, drops: txDrops(txQueueFull: 3)))
                #expect(PortSnapshot(targets[1].counters) == PortSnapshot(txDropped: 3))
                #expect(PortSnapshot(targets[0].counters) == PortSnapshot(txPackets: 1, txBytes: bytes([1])))
                // The refused packets were freed at once: only the fillers and the one sent are in use.
                #expect(env.pool.available == before - TestDPDK.ringCapacity - 1)
                #expect(env.drain(port: 1, queue: 0) == frames(1000..<1000 + UInt32(TestDPDK.ringCapacity)))
                #expect(env.drain(port: 0, queue: 0) == frames([1]))
            }
        }

        @Test("a nearly full tx queue takes what fits, in order; only the rest is dropped")
        func txQueuePartiallyFull() throws {
            try TestDPDK.run { env in
                let room = 2
                let fillers = 1000..<1000 + UInt32(TestDPDK.ringCapacity - room)
                #expect(env.inject(tags: fillers, port: 2, queue: 0) == fillers.count)
                let targets = env.targets()
                var stage = TransmitStage(targets: targets, bridge: Self.bridge.view, capacity: 8)
                var burst = PacketBurst(capacity: 8)
                Self.fill(&burst, env: env, egress: [2, 2, 2, 2, 2])
                _ = stage.run(&burst, since: readTSC())
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 5, packetsOut: 2, drops: txDrops(txQueueFull: 3)))
                #expect(
                    PortSnapshot(targets[2].counters)
                        == PortSnapshot(txPackets: 2, txBytes: bytes([0, 1]), txDropped: 3))
                #expect(env.drain(port: 2, queue: 0) == frames(fillers) + frames([0, 1]))
            }
        }

        @Test("counters stay consistent: in = out + no-egress + port-down + tx-queue-full")
        func countersConsistent() throws {
            try TestDPDK.run { env in
                let targets = env.targets(enabled: [true, true, false, true])
                var stage = TransmitStage(targets: targets, bridge: Self.bridge.view, capacity: 32)
                var burst = PacketBurst(capacity: 32)
                _ = env.inject(tags: 5000..<5000 + UInt32(TestDPDK.ringCapacity - 10), port: 3, queue: 0)
                for round in 0..<6 {
                    let egress = (0..<32).map { UInt16(($0 + round) % 5) }  // 4 is no port: no-egress
                    Self.fill(&burst, env: env, egress: egress)
                    _ = stage.run(&burst, since: readTSC())
                    burst.releaseDropped()
                }
                let c = stage.snapshot
                #expect(c.packetsIn == c.packetsOut + c.drops.reduce(0, +))
                // Per round 32 packets over 5 egress values; port 3 has room for 10 in all.
                let perEgress = (0..<5).map { e in
                    (0..<6).reduce(0) { sum, round in sum + (0..<32).filter { ($0 + round) % 5 == e }.count }
                }
                #expect(perEgress.reduce(0, +) == 192)
                let expectedOut = UInt64(perEgress[0] + perEgress[1] + 10)
                #expect(
                    c.ignoringCycles()
                        == StageSnapshot(
                            calls: 6, packetsIn: 192, packetsOut: expectedOut,
                            drops: txDrops(
                                noEgress: UInt64(perEgress[4]), portDown: UInt64(perEgress[2]),
                                txQueueFull: UInt64(perEgress[3] - 10))))
                #expect(PortSnapshot(targets[3].counters).txDropped == UInt64(perEgress[3] - 10))
                #expect(env.drain(port: 0, queue: 0).count == perEgress[0])
                #expect(env.drain(port: 1, queue: 0).count == perEgress[1])
                #expect(env.drain(port: 3, queue: 0).count == TestDPDK.ringCapacity)
            }
        }

        @Test("descriptor names the stage and its drop reasons in code order")
        func descriptor() {
            let stage = TransmitStage(targets: [], bridge: Self.bridge.view, capacity: 4)
            #expect(stage.descriptor.name == "transmit")
            #expect(
                stage.descriptor.dropReasons == [
                    "no-egress", "port-down", "tx-queue-full", "flood-no-ports", "vlan-not-member", "copy-failed",
                    "no-headroom", "qos-to-vm",
                ])
            #expect(stage.descriptor.eventNames == [])
            let codes = [
                Drop.noEgress, Drop.portDown, Drop.txQueueFull, Drop.floodNoPorts, Drop.notMember, Drop.copyFailed,
                Drop.noHeadroom, Drop.qosToVM,
            ]
            #expect(codes.map(\.rawValue) == Array(0..<8))
            #expect(stage.counters.block.count == StageCounters.firstDrop + 8)
        }
    }

    @Suite struct TxTargetTests {
        @Test("send takes ownership of all packets: sent ones go to the driver, the rest are freed and counted")
        func sendOwnership() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                #expect(
                    env.inject(tags: 1000..<1000 + UInt32(TestDPDK.ringCapacity - 3), port: 0, queue: 1) == TestDPDK
                        .ringCapacity - 3)
                let target = TxTarget(port: env.ports[0], queue: 1, counters: .allocate(), enabled: true)
                var burst = MbufBurst(capacity: 8)
                for tag: UInt32 in 0..<8 {
                    burst.append(env.frame(tag: tag, length: TestDPDK.Environment.length(ofTag: tag)))
                }
                let sent = target.send(burst.slots, count: burst.count)
                burst.count = 0  // ownership left with send()
                #expect(sent == 3)
                #expect(
                    PortSnapshot(target.counters) == PortSnapshot(txPackets: 3, txBytes: bytes(0..<3), txDropped: 5))
                #expect(env.pool.available == before - TestDPDK.ringCapacity)
                #expect(env.drain(port: 0, queue: 1).suffix(3) == frames(0..<3)[...])
            }
        }
    }
}

/// The transmit stage's drop counters in code order (`TransmitStage.Drop`), zero unless given.
func txDrops(
    noEgress: UInt64 = 0, portDown: UInt64 = 0, txQueueFull: UInt64 = 0, floodNoPorts: UInt64 = 0,
    notMember: UInt64 = 0,
    copyFailed: UInt64 = 0, noHeadroom: UInt64 = 0, qosToVM: UInt64 = 0
) -> [UInt64] {
    [noEgress, portDown, txQueueFull, floodNoPorts, notMember, copyFailed, noHeadroom, qosToVM]
}
