import DPDK
import Pipeline
import Testing

// End to end through the real rx path: frames are injected on a port's queue 1 (its "wire"), polled from
// queue 1 the way a PMD does (`pollOnce`), and the processor transmits on queue 0, where the test reads
// back what left on each port.
extension DPDKBackedTests {
    /// `SwitchPipeline` with patched ports: their bursts take the patch stage straight to transmit. (The bridge
    /// path is covered byte by byte in SwitchPipelineTests.)
    @Suite struct PatchedPipelineTests {
        @Test(
            "a mixed set of bursts: forwarded, port-down, bridged with nowhere to flood, and tx-queue-full, all accounted for"
        )
        func mixedBursts() throws {
            try TestDPDK.run { env in
                let before = env.pool.available
                // 0 <-> 1, 2 -> 3 (3 is down), 3 unpatched: it is the bridge's only port (VLAN 1).
                let targets = env.targets(enabled: [true, true, true, false])
                let bridge = BridgeTables(ports: [
                    BridgePortSpec(bridged: false), BridgePortSpec(bridged: false), BridgePortSpec(bridged: false),
                    BridgePortSpec(vlanMode: .access(vlan: 1)),
                ])
                let table = MACTable(capacity: 64, ports: 4, seed: 1)
                defer { withExtendedLifetime((bridge, table)) {} }
                var pipeline = makeSwitchPipeline(
                    peers: [1, 0, 3, nil], bridge: bridge, table: table, targets: targets)
                // Port 0's tx ring has room for one more frame only.
                let fillers = 9000..<9000 + UInt32(TestDPDK.ringCapacity - 1)
                #expect(env.inject(tags: fillers, port: 0, queue: 0) == fillers.count)
                #expect(env.inject(tags: 0..<5, port: 0, queue: 1) == 5)  // -> port 1
                #expect(env.inject(tags: 10..<13, port: 1, queue: 1) == 3)  // -> port 0, one fits
                #expect(env.inject(tags: 20..<24, port: 2, queue: 1) == 4)  // -> port 3: down
                // Unpatched: to the bridge. The tag frames parse (EtherType 0xa5a5, unknown), their source
                // a4:a5:... is learned once on port 3; #30's destination 1e:00:00:00:a5:a5 is unknown
                // unicast and #31's 1f:... multicast: both flood VLAN 1, which has no other port.
                #expect(env.inject(tags: 30..<32, port: 3, queue: 1) == 2)
                var burst = PacketBurst(capacity: 32)
                for port in 0..<4 {
                    let result = pollOnce(
                        &pipeline, burst: &burst, port: env.ports[port], queue: 1, ingress: UInt16(port))
                    #expect(result.received == [5, 3, 4, 2][port], "port \(port)")
                    #expect(result.leftOver == 0, "the pipeline hands on or drops every packet")
                }
                #expect(
                    pipeline.patch.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 3, packetsIn: 12, packetsOut: 12, drops: []))
                for stage in [pipeline.parse.snapshot, pipeline.portSecurity.snapshot, pipeline.vlan.snapshot] {
                    #expect(
                        stage.calls == 1 && stage.packetsIn == 2 && stage.packetsOut == 2
                            && stage.drops.allSatisfy { $0 == 0 })
                }
                #expect(
                    pipeline.l2.snapshot.ignoringCycles()
                        == StageSnapshot(
                            calls: 1, packetsIn: 2, packetsOut: 2, drops: [0, 0], events: [1, 0, 0, 0, 0, 2, 1]))
                #expect(
                    pipeline.transmit.snapshot.ignoringCycles()
                        == StageSnapshot(
                            calls: 4, packetsIn: 14, packetsOut: 6,
                            drops: txDrops(portDown: 4, txQueueFull: 2, floodNoPorts: 2)))
                #expect(
                    PortSnapshot(targets[0].counters) == PortSnapshot(txPackets: 1, txBytes: bytes([10]), txDropped: 2))
                #expect(PortSnapshot(targets[1].counters) == PortSnapshot(txPackets: 5, txBytes: bytes(0..<5)))
                #expect(PortSnapshot(targets[2].counters) == PortSnapshot())
                #expect(PortSnapshot(targets[3].counters) == PortSnapshot())
                #expect(env.pool.available == before - TestDPDK.ringCapacity - 5)
                #expect(env.drain(port: 0, queue: 0) == frames(fillers) + frames([10]))
                #expect(env.drain(port: 1, queue: 0) == frames(0..<5))
                #expect(env.drain(port: 2, queue: 0) == [])
                #expect(env.drain(port: 3, queue: 0) == [])
                #expect(table.count == 1)
                let stages = pipeline.stages
                #expect(
                    stages.map(\.name) == [
                        "patch", "vxlan-decap", "parse", "port-security", "vlan", "dhcp", "metadata", "l2",
                        "security-groups", "qos", "vxlan-encap", "transmit",
                    ])
                #expect(stages[0].counters.block.base == pipeline.patch.counters.block.base)
                #expect(stages[1].counters.block.base == pipeline.vxlanDecap.counters.block.base)
                #expect(stages[2].counters.block.base == pipeline.parse.counters.block.base)
                #expect(stages[3].counters.block.base == pipeline.portSecurity.counters.block.base)
                #expect(stages[4].counters.block.base == pipeline.vlan.counters.block.base)
                #expect(stages[5].counters.block.base == pipeline.dhcp.counters.block.base)
                #expect(stages[6].counters.block.base == pipeline.metadata.counters.block.base)
                #expect(stages[7].counters.block.base == pipeline.l2.counters.block.base)
                #expect(stages[8].counters.block.base == pipeline.securityGroups.counters.block.base)
                #expect(stages[9].counters.block.base == pipeline.qos.counters.block.base)
                #expect(stages[10].counters.block.base == pipeline.vxlanEncap.counters.block.base)
                #expect(stages[11].counters.block.base == pipeline.transmit.counters.block.base)
                #expect(stages[7].eventNames == L2Stage.eventNames)
            }
        }

        @Test(
            "process() charges each stage the cycles since the previous stage boundary; patched bursts skip the bridge")
        func cyclesAccumulate() throws {
            try TestDPDK.run { env in
                let bridge = BridgeTables(ports: [BridgePortSpec(bridged: false), BridgePortSpec(bridged: false)])
                let table = MACTable(capacity: 64, ports: 4, seed: 1)
                defer { withExtendedLifetime((bridge, table)) {} }
                var pipeline = makeSwitchPipeline(peers: [1, 0], bridge: bridge, table: table, targets: env.targets())
                var burst = PacketBurst(capacity: 32)
                let start = readTSC()
                env.fill(&burst, tags: 0..<16, ingress: 0)
                pipeline.process(&burst)
                let end = readTSC()
                let patch = pipeline.patch.snapshot
                let transmit = pipeline.transmit.snapshot
                #expect(patch.cycles > 0 && transmit.cycles > 0)
                #expect(patch.cycles + transmit.cycles <= end - start)
                for stage in [
                    pipeline.parse.snapshot, pipeline.portSecurity.snapshot, pipeline.vlan.snapshot,
                    pipeline.l2.snapshot,
                ] {
                    #expect(stage.calls == 0 && stage.packetsIn == 0 && stage.cycles == 0)
                }
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

        @Test("with fewer targets than peers, a burst for a port without a target is left in place")
        func peerWithoutTarget() throws {
            try TestDPDK.run { env in
                // Port 1's peer is port 0, which has no tx target here: there is nothing to send on.
                var forwarder = IOForwarder(peers: [1, 0], targets: [])
                var burst = PacketBurst(capacity: 8)
                env.fill(&burst, tags: 0..<3, ingress: 1)
                forwarder.process(&burst)
                #expect(tags(of: burst.packets) == [0, 1, 2])
                burst.packets.freeAll()
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
                #expect(
                    PortSnapshot(targets[1].counters) == PortSnapshot(txPackets: 4, txBytes: bytes(0..<4), txDropped: 6)
                )
                #expect(env.pool.available == before - TestDPDK.ringCapacity)
                #expect(env.drain(port: 1, queue: 0) == frames(fillers) + frames(0..<4))
            }
        }
    }
}
