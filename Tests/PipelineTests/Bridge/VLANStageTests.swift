import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    @Suite struct VLANStageTests {
        typealias Drop = VLANStage.Drop

        /// Port 0: access VLAN 10. Port 1: trunk 10, 20 without native VLAN. Port 2: trunk 10, 20, native 30.
        /// Port 3: access VLAN 20.
        static func bridge() -> BridgeTables {
            BridgeTables(ports: [
                BridgePortSpec(vlanMode: .access(vlan: 10)),
                BridgePortSpec(vlanMode: .trunk(allowed: [10, 20], native: nil)),
                BridgePortSpec(vlanMode: .trunk(allowed: [10, 20], native: 30)),
                BridgePortSpec(vlanMode: .access(vlan: 20)),
            ])
        }

        enum Outcome: Equatable {
            /// Kept, in `vlan`, with the tag flag.
            case kept(vlan: UInt16, tagged: Bool)
            case dropped(Drop)
        }

        static func frame(_ tci: UInt16?) -> [UInt8] {
            F.udp4(from: Host.a, to: Host.b, tags: tci.map { F.dot1q($0) } ?? [])
        }

        /// Per ingress port: frames (nil: untagged, else the TCI) and what the stage must do with each.
        static let cases: [(ingress: UInt16, frames: [(tci: UInt16?, outcome: Outcome)])] = [
            (
                0,
                [
                    (nil, .kept(vlan: 10, tagged: false)),
                    (0xa000, .kept(vlan: 10, tagged: true)),  // priority-tagged (PCP 5, VID 0): the access VLAN
                    (10, .dropped(Drop.taggedOnAccess)),  // even with the port's own VLAN
                    (20, .dropped(Drop.taggedOnAccess)),
                    (0x600a, .dropped(Drop.taggedOnAccess)),
                ]
            ),
            (
                1,
                [
                    (10, .kept(vlan: 10, tagged: true)),
                    (0xe014, .kept(vlan: 20, tagged: true)),  // PCP 7, VID 20
                    (30, .dropped(Drop.notAllowed)),
                    (nil, .dropped(Drop.untaggedOnTrunk)),
                    (0x2000, .dropped(Drop.untaggedOnTrunk)),  // priority-tagged counts as untagged
                    (4095, .dropped(Drop.notAllowed)),
                ]
            ),
            (
                2,
                [
                    (nil, .kept(vlan: 30, tagged: false)),  // the native VLAN
                    (0x2000, .kept(vlan: 30, tagged: true)),
                    (30, .kept(vlan: 30, tagged: true)),  // the native VLAN may also arrive tagged
                    (10, .kept(vlan: 10, tagged: true)),
                    (40, .dropped(Drop.notAllowed)),
                ]
            ),
            (3, [(nil, .kept(vlan: 20, tagged: false))]),
        ]

        @Test("assigns each frame its VLAN by the ingress port's mode and drops what the port may not carry")
        func golden() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var parse = ParseStage()
                var stage = VLANStage(bridge: tables.view)
                var burst = PacketBurst(capacity: 32)
                var expectedDrops: [UInt64] = [0, 0, 0]
                var expectedIn: UInt64 = 0
                var expectedOut: UInt64 = 0
                for (ingress, frames) in Self.cases {
                    env.fill(&burst, frames: frames.map { Self.frame($0.tci) }, ingress: ingress)
                    _ = parse.run(&burst, since: readTSC())
                    _ = stage.run(&burst, since: readTSC())
                    let kept = frames.filter { if case .kept = $0.outcome { true } else { false } }
                    #expect(burst.count == kept.count, "port \(ingress)")
                    for (i, expected) in kept.enumerated() where i < burst.count {
                        #expect(
                            bytes(of: burst.packets[i]) == Self.frame(expected.tci),
                            "port \(ingress) #\(i): bytes untouched")
                        #expect(
                            Outcome.kept(vlan: burst.meta[i].vlan, tagged: burst.meta[i].tagged) == expected.outcome,
                            "port \(ingress) #\(i)")
                        #expect(burst.meta[i].egress == PacketMeta.noEgress)
                    }
                    for case .dropped(let reason) in frames.map(\.outcome) { expectedDrops[reason.index] += 1 }
                    expectedIn += UInt64(frames.count)
                    expectedOut += UInt64(kept.count)
                    burst.releaseDropped()
                    burst.packets.freeAll()
                }
                #expect(expectedDrops == [3, 3, 2])
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 4, packetsIn: 17, packetsOut: 9, drops: expectedDrops))
                #expect(expectedIn == 17 && expectedOut == 9)
            }
        }

        @Test("the bridge tables: per-VLAN members and untagged ports, trunk rows")
        func bridgeTables() {
            let tables = Self.bridge()
            defer { withExtendedLifetime(tables) {} }
            let view = tables.view
            #expect(view.vlanMembers(10).slots == [0, 1, 2] && view.vlanUntagged(10).slots == [0])
            #expect(view.vlanMembers(20).slots == [1, 2, 3] && view.vlanUntagged(20).slots == [3])
            #expect(view.vlanMembers(30).slots == [2] && view.vlanUntagged(30).slots == [2])
            #expect(
                view.vlanMembers(0).slots == [] && view.vlanMembers(40).slots == []
                    && view.vlanMembers(4095).slots == [])
            #expect((0..<4).map { view.ports[$0].trunk } == [false, true, true, false])
            #expect((0..<4).map { view.ports[$0].untaggedVLAN } == [10, 0, 30, 20])
        }

        @Test("descriptor names the stage and its drop reasons in code order")
        func descriptor() {
            let tables = Self.bridge()
            defer { withExtendedLifetime(tables) {} }
            let stage = VLANStage(bridge: tables.view)
            #expect(stage.descriptor.name == "vlan")
            #expect(stage.descriptor.dropReasons == ["tagged-on-access", "vlan-not-allowed", "untagged-on-trunk"])
            #expect([Drop.taggedOnAccess, Drop.notAllowed, Drop.untaggedOnTrunk].map(\.rawValue) == [0, 1, 2])
        }
    }
}
