import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    @Suite struct PortSecurityStageTests {
        typealias Drop = PortSecurityStage.Drop
        static let a = Host.a, b = Host.b, c = Host.c, d = Host.d
        static let stranger = IPv4Address(10, 0, 0, 99)
        static let extra = IPv4Address(10, 0, 0, 100)

        /// Port 0: A's MAC, A's IPv4 and 10.0.0.100, A's IPv6. Port 1: no port security. Port 2: C's MAC only
        /// (any address). Port 3: D's MAC and IPv4, an empty IPv6 list (only :: and link-local).
        static func bridge() -> BridgeTables {
            BridgeTables(ports: [
                BridgePortSpec(allowedMAC: a.mac, allowedIPv4: [a.ipv4, extra], allowedIPv6: [a.ipv6]),
                BridgePortSpec(),
                BridgePortSpec(allowedMAC: c.mac),
                BridgePortSpec(allowedMAC: d.mac, allowedIPv4: [d.ipv4], allowedIPv6: []),
            ])
        }

        static func ipv4(from mac: EthernetAddress, src: IPv4Address, tags: [(UInt16, UInt16)] = []) -> [UInt8] {
            F.ethernet(
                dst: b.mac, src: mac, tags: tags, type: 0x0800,
                F.ipv4(src: src, dst: b.ipv4, proto: 17, F.udp(src: 1, dst: 2, [])))
        }

        static func ipv6(from host: Host, src: String) -> [UInt8] {
            F.ping6(from: host, to: b, srcIP: IPv6Address(src)!)
        }

        static func arp(from mac: EthernetAddress, sha: EthernetAddress, spa: IPv4Address) -> [UInt8] {
            F.ethernet(dst: F.broadcast, src: mac, type: 0x0806, F.arp(op: 1, sha: sha, spa: spa, tpa: b.ipv4))
        }

        /// Frames from port 0 and what port security must make of each (nil: passes).
        static let portZero: [(frame: [UInt8], drop: Drop?)] = [
            (F.udp4(from: a, to: b), nil),
            (ipv4(from: b.mac, src: a.ipv4), Drop.sourceMAC),
            (ipv4(from: a.mac, src: stranger), Drop.sourceIPv4),
            (ipv4(from: a.mac, src: extra), nil),  // the second address on the list
            // DHCP discover: 0.0.0.0 -> 255.255.255.255, UDP 68 -> 67, to broadcast.
            (
                F.ethernet(
                    dst: F.broadcast, src: a.mac, type: 0x0800,
                    F.ipv4(
                        src: IPv4Address(0, 0, 0, 0), dst: IPv4Address(255, 255, 255, 255), proto: 17,
                        F.udp(src: 68, dst: 67, [1, 1, 6, 0]))), nil
            ),
            (F.ping6(from: a, to: b), nil),
            (ipv6(from: a, src: "2001:db8::99"), Drop.sourceIPv6),
            (ipv6(from: a, src: "::"), nil),  // duplicate address detection
            (ipv6(from: a, src: "fe80::1"), nil),  // link-local
            (ipv6(from: a, src: "febf:ffff::1"), nil),  // still fe80::/10
            (ipv6(from: a, src: "fec0::1"), Drop.sourceIPv6),  // just past it
            (F.arpRequest(from: a, for: b.ipv4), nil),
            (arp(from: a.mac, sha: b.mac, spa: a.ipv4), Drop.arpMAC),
            (arp(from: a.mac, sha: a.mac, spa: stranger), Drop.arpIP),
            (arp(from: a.mac, sha: a.mac, spa: IPv4Address(0, 0, 0, 0)), nil),  // ARP probe (RFC 5227)
            (ipv4(from: a.mac, src: stranger, tags: F.dot1q(0xa000)), Drop.sourceIPv4),  // priority-tagged: L3 at 18
            (ipv4(from: a.mac, src: a.ipv4, tags: F.dot1q(0xa000)), nil),
            (F.ethernet(dst: b.mac, src: a.mac, type: 0x88b5, [1, 2, 3]), nil),  // neither IP nor ARP
            (F.ethernet(dst: b.mac, src: b.mac, type: 0x88b5, [1, 2, 3]), Drop.sourceMAC),
            (arp(from: b.mac, sha: b.mac, spa: b.ipv4), Drop.sourceMAC),  // the MAC is checked first
        ]

        /// Runs the parse stage (port security reads its headers) and then `stage` over `frames` from `ingress`;
        /// returns the bytes of the survivors and checks their headers stayed with them.
        static func run(
            _ stage: inout PortSecurityStage, _ frames: [[UInt8]], ingress: UInt16, env: TestDPDK.Environment
        ) -> [[UInt8]] {
            var parse = ParseStage()
            var burst = PacketBurst(capacity: 32)
            env.fill(&burst, frames: frames, ingress: ingress)
            _ = parse.run(&burst, since: readTSC())
            #expect(burst.count == frames.count, "the test frames all parse")
            _ = stage.run(&burst, since: readTSC())
            var survivors: [[UInt8]] = []
            for i in 0..<burst.count {
                let data = bytes(of: burst.packets[i])
                var headers = PacketHeaders()
                _ = data.withUnsafeBytes { PacketParser.parse($0.baseAddress!, length: $0.count, into: &headers) }
                #expect(burst.meta[i].headers == headers, "survivor \(i) kept its own headers")
                survivors.append(data)
            }
            burst.releaseDropped()
            burst.packets.freeAll()
            return survivors
        }

        @Test("port with MAC, IPv4 and IPv6 lists: every rule, in one burst, byte-exact survivors")
        func fullPolicy() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = PortSecurityStage(bridge: tables.view)
                let survivors = Self.run(&stage, Self.portZero.map(\.frame), ingress: 0, env: env)
                #expect(survivors == Self.portZero.filter { $0.drop == nil }.map(\.frame))
                var drops = [UInt64](repeating: 0, count: 5)
                for case (_, let drop?) in Self.portZero { drops[drop.index] += 1 }
                #expect(drops == [3, 2, 2, 1, 1])
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 20, packetsOut: 11, drops: drops))
            }
        }

        @Test("a port without port security passes everything untouched, spoofed or not")
        func portWithoutSecurity() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = PortSecurityStage(bridge: tables.view)
                let frames = Self.portZero.map(\.frame)
                #expect(Self.run(&stage, frames, ingress: 1, env: env) == frames)
                // An ingress beyond the bridge's ports has no policy either.
                #expect(Self.run(&stage, frames, ingress: 9, env: env) == frames)
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 2, packetsIn: 40, packetsOut: 40, drops: [0, 0, 0, 0, 0]))
            }
        }

        @Test("MAC-only port security: any address, but only the port's MAC as source and ARP sender")
        func macOnly() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = PortSecurityStage(bridge: tables.view)
                let c = Self.c
                let frames: [(frame: [UInt8], passes: Bool)] = [
                    (Self.ipv4(from: c.mac, src: Self.stranger), true),
                    (Self.ipv6(from: c, src: "2001:db8::1234"), true),
                    (Self.arp(from: c.mac, sha: c.mac, spa: Self.stranger), true),
                    (Self.arp(from: c.mac, sha: Self.a.mac, spa: c.ipv4), false),  // arp-sender-mac
                    (F.udp4(from: Self.a, to: Self.b), false),  // source-mac
                ]
                let survivors = Self.run(&stage, frames.map(\.frame), ingress: 2, env: env)
                #expect(survivors == frames.filter(\.passes).map(\.frame))
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 5, packetsOut: 3, drops: [1, 0, 0, 1, 0]))
            }
        }

        @Test("an empty IPv6 list allows only :: and link-local sources")
        func emptyIPv6List() throws {
            try TestDPDK.run { env in
                let tables = Self.bridge()
                defer { withExtendedLifetime(tables) {} }
                var stage = PortSecurityStage(bridge: tables.view)
                let d = Self.d
                let frames: [(frame: [UInt8], passes: Bool)] = [
                    (F.udp4(from: d, to: Self.b), true),
                    (F.ping6(from: d, to: Self.b), false),
                    (Self.ipv6(from: d, src: "fe80::d"), true),
                    (Self.ipv6(from: d, src: "::"), true),
                    (F.arpRequest(from: d, for: Self.b.ipv4), true),
                    (Self.ipv4(from: d.mac, src: Self.a.ipv4), false),
                ]
                let survivors = Self.run(&stage, frames.map(\.frame), ingress: 3, env: env)
                #expect(survivors == frames.filter(\.passes).map(\.frame))
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(calls: 1, packetsIn: 6, packetsOut: 4, drops: [0, 1, 1, 0, 0]))
            }
        }

        @Test("descriptor names the stage and its drop reasons in code order")
        func descriptor() {
            let tables = Self.bridge()
            defer { withExtendedLifetime(tables) {} }
            let stage = PortSecurityStage(bridge: tables.view)
            #expect(stage.descriptor.name == "port-security")
            #expect(
                stage.descriptor.dropReasons == [
                    "source-mac", "source-ipv4", "source-ipv6", "arp-sender-mac", "arp-sender-ip",
                ])
            let reasons: [Drop] = [.sourceMAC, .sourceIPv4, .sourceIPv6, .arpMAC, .arpIP]
            #expect(reasons.map(\.rawValue) == [0, 1, 2, 3, 4])
        }
    }
}
