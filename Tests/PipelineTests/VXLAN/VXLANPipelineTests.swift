import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    /// Both VXLAN stages wired into `SwitchPipeline` and bound from a generation's tables, on loopback ports:
    /// port 0 is a VM on VLAN 100 (VNI 1000), port 1 a host on VLAN 1, port 2 the uplink (access VLAN 1: it
    /// still carries ordinary bridged traffic), port 3 unused. X is the remote VTEP in slot 0.
    @Suite struct VXLANPipelineTests {
        static let uplink: UInt16 = 2
        static let local = IPv4Address(192, 0, 2, 1), x = IPv4Address(192, 0, 2, 2)
        static let uplinkMAC = EthernetAddress(rawValue: 0x02_00_00_00_00_01)
        static let xMAC = EthernetAddress(rawValue: 0x02_00_00_00_00_02)
        static let spec = VXLANSpec(
            uplink: uplink, local: local, vnis: [(vni: 1000, vlan: 100)], remotes: [x], flood: [100: [0]],
            sourceMAC: uplinkMAC, ttl: 64, mtu: 1500)

        /// `inner` as X sends it to the local VTEP (VNI 1000).
        static func fromX(_ inner: [UInt8], vni: UInt32 = 1000) -> [UInt8] {
            let header = VXLANEncapHeader(
                destinationMAC: uplinkMAC, sourceMAC: xMAC, underlayVLAN: 0, source: x, destination: local, ttl: 64,
                vni: vni)
            var frame = [UInt8](repeating: 0, count: header.length) + inner
            frame.withUnsafeMutableBytes {
                VXLANEncap.write(header, at: $0.baseAddress!, innerLength: inner.count, sourcePort: 0xc001)
            }
            return frame
        }

        /// The VNI, outer source and inner frame of a frame the uplink sent to X, nil if it is not one.
        static func toX(_ frame: [UInt8]) -> (vni: UInt32, inner: [UInt8])? {
            let verdict = frame.withUnsafeBytes {
                VXLANDecap.classify($0.baseAddress!, length: frame.count, local: x, underlayVLAN: 0)
            }
            guard case .tunnel(let vni, let offset, let source) = verdict, source == local,
                Array(frame[0..<12]) == F.bytes(xMAC) + F.bytes(uplinkMAC)
            else { return nil }
            return (vni, Array(frame[offset...]))
        }

        @Test("decap on the uplink, encap of known unicast and of floods, split horizon, ordinary uplink traffic")
        func endToEnd() throws {
            try TestDPDK.run { env in
                let bridge = BridgeTables(ports: [
                    BridgePortSpec(vlanMode: .access(vlan: 100)), BridgePortSpec(vlanMode: .access(vlan: 1)),
                    BridgePortSpec(vlanMode: .access(vlan: 1)), BridgePortSpec(bridged: false),
                ])
                let table = MACTable(capacity: 256, ports: MACOwner.count, seed: 3)
                let vxlan = VXLANTables(Self.spec)
                let hops = VXLANNextHops()
                let fixture = VXLANPipelineFixture(env, bridge: bridge, table: table, vxlan: vxlan, hops: hops)
                var burst = PacketBurst(capacity: 32)
                func send(_ frames: [[UInt8]], on port: Int) {
                    #expect(env.inject(frames: frames, port: port, queue: 1) == frames.count)
                    let result = pollOnce(
                        &fixture.pipeline, burst: &burst, port: env.ports[port], queue: 1, ingress: UInt16(port))
                    #expect(result.leftOver == 0)
                }

                // 1. From X: A (behind X) floods VLAN 100: the VM gets the inner frame, no copy goes back to a
                // VTEP (split horizon), A is learned behind X. Padding after the outer packet is cut.
                let aToB = F.udp4(from: Host.a, to: Host.b)
                send([Self.fromX(aToB) + [0, 0, 0, 0]], on: 2)
                #expect(env.drainOutputs() == [[aToB], [], [], []])
                #expect(table.view.lookup(vlan: 100, mac: Host.a.mac.rawValue) == MACOwner.remoteVTEP(0))

                // 2. B answers A: known behind X, but X's next hop is unresolved: dropped and counted.
                let bToA = F.udp4(from: Host.b, to: Host.a)
                send([bToA], on: 0)
                #expect(env.drainOutputs() == [[], [], [], []])
                #expect(fixture.pipeline.vxlanEncap.snapshot.drops[0] == 1)  // next-hop-unresolved

                // 3. Resolved: encapsulated once toward X on the uplink, VNI 1000.
                hops.resolve(slot: 0, mac: Self.xMAC)
                send([bToA], on: 0)
                var out = env.drainOutputs()
                #expect(out[0].isEmpty && out[1].isEmpty && out[3].isEmpty && out[2].count == 1)
                #expect(out[2].first.flatMap(Self.toX).map { [$0.vni] } == [1000])
                #expect(out[2].first.flatMap(Self.toX)?.inner == bToA)

                // 4. B broadcasts: VLAN 100 has no other local port, so the copy to X is the whole flood
                // (transmit counts no flood-no-ports).
                let broadcast = F.arpRequest(from: Host.b, for: Host.a.ipv4)
                send([broadcast], on: 0)
                out = env.drainOutputs()
                #expect(out[2].count == 1 && out[2].first.flatMap(Self.toX)?.inner == broadcast)
                #expect(out[0].isEmpty && out[1].isEmpty)
                #expect(
                    fixture.pipeline.transmit.snapshot.drops.allSatisfy { $0 == 0 },
                    "\(fixture.pipeline.transmit.snapshot)")
                #expect(fixture.pipeline.vxlanEncap.snapshot.events == [1, 1])

                // 5. Ordinary traffic on the uplink stays bridged (VLAN 1 to port 1); an unknown VNI is
                // counted; ARP for the VTEP address is punted.
                let c = F.udp4(from: Host.c, to: Host.d)
                let forVTEP = F.arpRequest(from: Host.e, for: Self.local)
                send([c, Self.fromX(aToB, vni: 2000), forVTEP], on: 2)
                #expect(env.drainOutputs() == [[], [c], [], []])
                #expect(fixture.pipeline.vxlanDecap.snapshot.drops[6] == 1)  // unknown-vni
                #expect(fixture.pipeline.vxlanDecap.snapshot.events == [1, 1])
                let punted = fixture.punt.nextPunted()
                #expect(punted.map { bytes(of: Mbuf($0.mbuf)) } == forVTEP)
                if let punted { Mbuf(punted.mbuf).free() }

                // 6. Bursts from other ports never reach the decap stage.
                #expect(fixture.pipeline.vxlanDecap.snapshot.calls == 2)
            }
        }
    }
}
