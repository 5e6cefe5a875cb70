import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    /// What the parse stage notes about a burst (`PacketBurst.parsed`), and the gates `SwitchPipeline` asks
    /// with it: the DHCP and metadata stages run for exactly the bursts that hold a packet for them.
    @Suite struct ParsedBurstTests {
        typealias MD = MetadataFixture
        static let a = Host.a, b = Host.b

        /// Parses `frames` arriving on `ingress` with the intercept of `fixture` and the DHCP ports of
        /// `DHCPStageTests.view()` (1 and 3); hands the burst to `body`.
        static func parsed(
            _ frames: [[UInt8]], ingress: UInt16, fixture: MetadataFixture, env: TestDPDK.Environment,
            _ body: (borrowing PacketBurst) -> Void
        ) {
            var burst = PacketBurst(capacity: 32)
            env.fill(&burst, frames: frames, ingress: ingress)
            let bridge = BridgeTables(ports: [])
            var parse = ParseStage(bridge: bridge.view, metadata: fixture.tables.view, dhcp: DHCPStageTests.view())
            _ = parse.run(&burst, since: readTSC())
            body(burst)
            burst.releaseDropped()
            burst.packets.freeAll()
        }

        @Test("parse notes the union of the packets' flags; a malformed frame adds nothing")
        func flagsUnion() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                let truncatedARP = Array(F.arpRequest(from: Self.a, for: Self.b.ipv4)[0..<20])
                Self.parsed(
                    [F.udp4(from: Self.a, to: Self.b), truncatedARP], ingress: MD.other, fixture: fixture, env: env
                ) { burst in
                    let (count, parsed) = (burst.count, burst.parsed)
                    #expect(count == 1)
                    #expect(parsed.flags == [.ipv4, .udp])
                    #expect(!parsed.toIntercept)
                }
                let request = DHCPStageTests.request(marker: 1)
                Self.parsed(
                    [F.udp4(from: Self.a, to: Self.b), F.ping6(from: Self.a, to: Self.b), request], ingress: MD.other,
                    fixture: fixture, env: env
                ) { burst in
                    let parsed = burst.parsed
                    #expect(
                        parsed.flags
                            == [
                                .ipv4, .udp, .ipv6, .icmpv6, .dhcpClient, .broadcastDestination, .multicastDestination,
                            ])
                }
            }
        }

        @Test("a burst from a port with neither DHCP nor the intercept is not summarised: it claims everything")
        func otherPortsPayNothing() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                // Slot 2: the intercept's service port, without DHCP; not a VM port the intercept serves.
                Self.parsed([F.udp4(from: Self.a, to: Self.b)], ingress: MD.service, fixture: fixture, env: env) {
                    burst in
                    let parsed = burst.parsed
                    #expect(parsed.flags.rawValue == .max && parsed.toIntercept)
                }
            }
        }

        @Test("a packet to the intercepted address is noted only on a port the intercept serves")
        func interceptByPort() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                let stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                let ordinary = [F.udp4(from: Self.a, to: Self.b), F.ping4(from: Self.a, to: Self.b)]
                let toIntercept = MF.request(from: Self.a)
                Self.parsed(ordinary, ingress: MD.vmA, fixture: fixture, env: env) { burst in
                    let (noted, wanted) = (burst.parsed.toIntercept, stage.wants(burst))
                    #expect(!noted && !wanted)
                }
                Self.parsed(ordinary + [toIntercept], ingress: MD.vmA, fixture: fixture, env: env) { burst in
                    let (noted, wanted) = (burst.parsed.toIntercept, stage.wants(burst))
                    #expect(noted && wanted)
                }
                // Tagged (the stage drops it as other-to-intercept): still the stage's.
                let tagged = F.pushTag(toIntercept, tci: 7)
                Self.parsed(ordinary + [tagged], ingress: MD.vmB, fixture: fixture, env: env) { burst in
                    let (noted, wanted) = (burst.parsed.toIntercept, stage.wants(burst))
                    #expect(noted && wanted)
                }
                Self.parsed(ordinary + [toIntercept], ingress: MD.other, fixture: fixture, env: env) { burst in
                    let (noted, wanted) = (burst.parsed.toIntercept, stage.wants(burst))
                    #expect(!noted && !wanted)
                }
                // ARP (answered for the intercepted address) makes a served port's burst the stage's.
                let arp = F.arpRequest(from: Self.a, for: MF.intercept)
                Self.parsed(ordinary + [arp], ingress: MD.vmA, fixture: fixture, env: env) { burst in
                    let (noted, wanted) = (burst.parsed.toIntercept, stage.wants(burst))
                    #expect(!noted && wanted)
                }
                Self.parsed([arp], ingress: MD.other, fixture: fixture, env: env) { burst in
                    let wanted = stage.wants(burst)
                    #expect(!wanted)
                }
                // Every burst from the service port is the stage's.
                Self.parsed(ordinary, ingress: MD.service, fixture: fixture, env: env) { burst in
                    let wanted = stage.wants(burst)
                    #expect(wanted)
                }
            }
        }

        @Test("the DHCP stage wants a DHCP port's bursts that hold a client message or ARP, and no others")
        func dhcpGate() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                let stage = DHCPStage(view: DHCPStageTests.view(), punt: nil, tsc: readTSC())
                let ordinary = [F.udp4(from: Self.a, to: Self.b), F.ping4(from: Self.a, to: Self.b)]
                let port = DHCPStageTests.dhcpPort
                let cases: [(frames: [[UInt8]], ingress: UInt16, wanted: Bool)] = [
                    (ordinary, port, false),
                    (ordinary + [DHCPStageTests.request()], port, true),
                    (ordinary + [DHCPStageTests.request(tags: F.dot1q(100))], port, true),
                    (ordinary + [F.arpRequest(from: Self.a, for: Self.b.ipv4)], port, true),
                    // A server's reply (67 → 68) and a request to another port are not client messages.
                    (ordinary + [DHCPStageTests.request(src: 67, dst: 68)], port, false),
                    (ordinary + [DHCPStageTests.request(src: 1234)], port, false),
                    (ordinary + [DHCPStageTests.request()], DHCPStageTests.plainPort, false),
                ]
                for (index, one) in cases.enumerated() {
                    Self.parsed(one.frames, ingress: one.ingress, fixture: fixture, env: env) { burst in
                        let wanted = stage.wants(burst)
                        #expect(wanted == one.wanted, "case \(index)")
                    }
                }
            }
        }
    }
}
