import DPDK
import Packet
import Pipeline
import Testing

// The transmit stage on a host of `PortLimit.maxPorts` (1024) port slots: floods walk the VLAN's member list,
// membership and the enabled set are port sets, and the ports with pending packets are a list, whatever the
// slot numbers. The four loopback ports of the test environment stand in for slots far apart in the range.
extension DPDKBackedTests {
    @Suite struct TransmitManyPortsTests {
        typealias VLAN = TransmitVLANTests
        static let flood = PacketMeta.flood
        /// Slot -> loopback port: the ingress 0, and slots 3, 700 and 1023.
        static let wired = [0: 0, 3: 1, 700: 2, 1023: 3]

        /// 1024 ports, all in VLAN 20 but slots 0, 3 and 1023 (access VLAN 10) and 700 (trunk 10 and 20, no
        /// native VLAN): VLAN 10 has 4 members among 1024 ports.
        static func bridge() -> BridgeTables {
            var specs = Array(repeating: BridgePortSpec(vlanMode: .access(vlan: 20)), count: PortLimit.maxPorts)
            for slot in [0, 3, 1023] { specs[slot] = BridgePortSpec(vlanMode: .access(vlan: 10)) }
            specs[700] = BridgePortSpec(vlanMode: .trunk(allowed: [10, 20], native: nil))
            return BridgeTables(ports: specs)
        }

        /// A target per slot: the wired slots' loopback ports (up unless in `down`), every other slot down.
        static func targets(_ env: TestDPDK.Environment, down: Set<Int> = []) -> [TxTarget] {
            let wiredTargets = env.targets()
            return (0..<PortLimit.maxPorts).map { slot in
                var target = wiredTargets[wired[slot] ?? 0]
                target.enabled = wired[slot] != nil && !down.contains(slot)
                return target
            }
        }

        /// Runs `packets` from `ingress` (VLAN 10, untagged); `excluding` is the exclusion set of packet 0.
        static func run(
            _ stage: inout TransmitStage, _ packets: [VLAN.Packet], ingress: UInt16, env: TestDPDK.Environment,
            excluding: [Int] = []
        ) -> [OpaquePointer] {
            var burst = PacketBurst(capacity: 32)
            for packet in packets { burst.packets.append(env.mbuf(packet.frame)) }
            burst.beginBurst(ingress: ingress)
            for (i, packet) in packets.enumerated() {
                _ = packet.frame.withUnsafeBytes {
                    PacketParser.parse($0.baseAddress!, length: $0.count, into: &burst.meta[i].headers)
                }
                burst.meta[i].vlan = packet.vlan
                burst.meta[i].egress = packet.egress
            }
            if !excluding.isEmpty {
                burst.floodExcludes.at(0).removeAll()
                for slot in excluding { burst.floodExcludes.at(0).add(slot) }
                burst.meta[0].floodExclude = 1
            }
            let buffers = (0..<burst.count).map { burst.packets[$0].raw }
            _ = stage.run(&burst, since: readTSC())
            #expect(burst.count == 0, "the stage hands on or drops every packet")
            burst.releaseDropped()
            return buffers
        }

        @Test("a flood in a VLAN of 4 of 1024 ports reaches members 3, 700 and 1023, tagged where 700 is a trunk")
        func sparseFlood() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                #expect(tables.view.floodMembers(10).map { Int($0) } == [0, 3, 700, 1023])
                #expect(tables.view.floodMembers(20).count == PortLimit.maxPorts - 3)
                var stage = TransmitStage(targets: Self.targets(env), bridge: tables.view, capacity: 32)
                let original = Self.run(
                    &stage, [VLAN.Packet(frame: VLAN.untagged, vlan: 10, egress: Self.flood)], ingress: 0, env: env)[0]
                let out = (0..<4).map { env.drainPackets(port: $0) }
                #expect(out[0].isEmpty, "never back to the ingress port")
                #expect(out[1].map(\.bytes) == [VLAN.untagged])
                #expect(out[2].map(\.bytes) == [F.pushTag(VLAN.untagged, tci: 10)])
                #expect(out[3].map(\.bytes) == [VLAN.untagged])
                #expect(out[3].first?.buffer == original, "the original goes to the last member, slot 1023")
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 1, packetsOut: 3, drops: txDrops()))
            }
        }

        @Test("a flood skips members that are down, the ingress and the excluded; with none left it is dropped")
        func floodSkipsDownAndExcluded() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = TransmitStage(targets: Self.targets(env, down: [3]), bridge: tables.view, capacity: 32)
                // From slot 1023: slot 3 is down, slot 700 excluded: only slot 0 gets it.
                _ = Self.run(
                    &stage, [VLAN.Packet(frame: VLAN.untagged, vlan: 10, egress: Self.flood)], ingress: 1023, env: env,
                    excluding: [700])
                env.expectOutputs([0: [VLAN.untagged]], "slot 0 only")
                // From slot 0 with 700 and 1023 excluded and 3 down: no port.
                _ = Self.run(
                    &stage, [VLAN.Packet(frame: VLAN.untagged, vlan: 10, egress: Self.flood)], ingress: 0, env: env,
                    excluding: [700, 1023])
                env.expectOutputs([:], "no port left")
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 2, packetsIn: 2, packetsOut: 1, drops: txDrops(floodNoPorts: 1)))
            }
        }

        @Test("unicast to far slots: members get their packets in order, non-members and down ports are dropped")
        func unicastToFarSlots() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = TransmitStage(targets: Self.targets(env), bridge: tables.view, capacity: 32)
                let a = F.udp4(from: Host.a, to: Host.b, payload: [1])
                let b = F.udp4(from: Host.a, to: Host.b, payload: [2])
                let c = F.udp4(from: Host.a, to: Host.b, payload: [3])
                _ = Self.run(
                    &stage,
                    [
                        VLAN.Packet(frame: a, vlan: 10, egress: 1023), VLAN.Packet(frame: b, vlan: 10, egress: 3),
                        VLAN.Packet(frame: c, vlan: 10, egress: 1023), VLAN.Packet(frame: a, vlan: 10, egress: 700),
                        VLAN.Packet(frame: b, vlan: 10, egress: 512), VLAN.Packet(frame: c, vlan: 20, egress: 3),
                    ], ingress: 0, env: env)
                env.expectOutputs(
                    [1: [b], 2: [F.pushTag(a, tci: 10)], 3: [a, c]],
                    "1023 gets a then c, 3 gets b, 700 gets a tagged")
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(
                            calls: 1, packetsIn: 6, packetsOut: 4, drops: txDrops(portDown: 1, notMember: 1)))
            }
        }
    }
}
