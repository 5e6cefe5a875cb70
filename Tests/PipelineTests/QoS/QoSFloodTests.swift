import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    /// To-vm policing of flooded frames, inside transmit's flood expansion, on real mbufs and ports.
    @Suite struct QoSFloodTests {
        typealias VLAN = TransmitVLANTests

        /// Runs `floods` untagged VLAN 10 floods from port 0 through a transmit stage bound to tables where
        /// slot 1 is limited to-vm by a packet bucket of `tokens` that does not refill during the test, and the
        /// ports of `enabled` are up. Returns the stage's drops and the frames each port received.
        static func run(
            floods: Int, tokens: UInt64, enabled: [Int], env: TestDPDK.Environment
        ) -> (stage: StageSnapshot, outputs: [[[UInt8]]], fixture: QoSFixture) {
            let bridge = VLAN.bridge()
            let fixture = QoSFixture(
                QoSDirectionSpec(bytes: nil, packets: QoSStageTests.frozen(size: tokens), maxFrame: 1518),
                tsc: readTSC())
            let targets = UnsafeMutablePointer<TxTarget>.allocate(capacity: ForwardingTables.maxPorts)
            let envTargets = env.targets()
            for slot in 0..<ForwardingTables.maxPorts {
                var target = envTargets[min(slot, envTargets.count - 1)]
                target.enabled = slot < envTargets.count
                (targets + slot).initialize(to: target)
            }
            let enabledSet = PortSet.allocate(enabled)
            defer {
                targets.deinitialize(count: ForwardingTables.maxPorts)
                targets.deallocate()
                enabledSet.deallocate()
            }
            var stage = TransmitStage(targets: envTargets, bridge: bridge.view, capacity: 32)
            let tables = ForwardingTables(
                bridge: bridge.view, peers: fixture.peers, targets: targets, enabled: enabledSet,
                rxQueues: fixture.queues, rxQueueCount: 0, generationID: 1, qos: fixture.tables)
            stage.bind(tables)
            VLAN.run(
                &stage,
                Array(repeating: VLAN.Packet(frame: VLAN.untagged, vlan: 10, egress: PacketMeta.flood), count: floods),
                ingress: 0, env: env)
            let outputs = (0..<4).map { env.drainPackets(port: $0).map(\.bytes) }
            let snapshot = stage.snapshot.ignoringCycles()
            withExtendedLifetime(bridge) {}
            return (snapshot, outputs, fixture)
        }

        @Test("each flood copy to a port limited to-vm takes its tokens; without tokens the port gets no copy")
        func policesCopies() throws {
            try TestDPDK.run { env in
                let (stage, outputs, fixture) = Self.run(floods: 4, tokens: 2, enabled: [0, 1, 2, 3], env: env)
                let tagged = F.pushTag(VLAN.untagged, tci: 10)
                #expect(outputs[0].isEmpty)
                #expect(outputs[1] == Array(repeating: VLAN.untagged, count: 2), "slot 1: two tokens, two copies")
                #expect(outputs[2] == Array(repeating: tagged, count: 4), "unlimited ports get every flood")
                #expect(outputs[3] == Array(repeating: tagged, count: 4))
                // packets-in + copies = packets-out + drops: 4 floods to 3 ports each are 8 copies.
                #expect(stage == StageSnapshot(calls: 1, packetsIn: 4, packetsOut: 10, drops: txDrops(qosToVM: 2)))
                #expect(fixture.counter(.toVM, QoSCounters.passedPackets) == 2)
                #expect(fixture.counter(.toVM, QoSCounters.passedBytes) == UInt64(2 * VLAN.untagged.count))
                #expect(fixture.counter(.toVM, QoSCounters.heldOrDropped) == 2)
                #expect(fixture.counter(.toVM, QoSCounters.droppedBytes) == UInt64(2 * VLAN.untagged.count))
                #expect(fixture.counter(.fromVM, QoSCounters.passedPackets) == 0, "from-vm untouched")
            }
        }

        @Test("a flood whose only port is out of tokens is dropped as qos-to-vm, and its mbuf freed")
        func dropsFloodWithoutPorts() throws {
            try TestDPDK.run { env in
                let free = env.pool.available
                let (stage, outputs, fixture) = Self.run(floods: 3, tokens: 2, enabled: [0, 1], env: env)
                #expect(outputs[1] == Array(repeating: VLAN.untagged, count: 2))
                #expect(outputs[0].isEmpty && outputs[2].isEmpty && outputs[3].isEmpty)
                #expect(stage == StageSnapshot(calls: 1, packetsIn: 3, packetsOut: 2, drops: txDrops(qosToVM: 1)))
                #expect(fixture.counter(.toVM, QoSCounters.heldOrDropped) == 1)
                #expect(env.pool.available == free, "every mbuf is back in the pool")
            }
        }

        @Test("the trace of a flood names the ports whose copies are policed, and the qos stage says transmit does it")
        func traceNamesPolicedPorts() {
            let bridge = VLAN.bridge()
            let table = MACTable(capacity: 64, ports: 4, limits: [], seed: 7)
            var context = TraceContext(
                bridge: bridge.view, peers: [], enabled: [0, 1, 2, 3], macTable: table.view,
                portNames: ["a", "b", "c", "d"])
            context.qosToVM = [1]
            let trace = withExtendedLifetime((bridge, table)) {
                SwitchPipeline.trace(VLAN.untagged, ingress: 0, in: context)
            }
            let qos = trace.steps.first { $0.stage == "qos" }
            let transmit = trace.steps.first { $0.stage == "transmit" }
            #expect(qos?.facts == [TraceFact("to-vm", "flood: transmit polices each copy")])
            #expect(transmit?.facts.contains(TraceFact("to-vm", "policed: b (copy passes while tokens last)")) == true)
            #expect(transmit?.outputs.count == 3)
        }
    }
}
