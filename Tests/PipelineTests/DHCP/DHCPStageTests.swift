import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    /// The DHCP stage on real mbufs, after the parse stage: requests from DHCP ports punted (kind 4, their
    /// port), rate limited per port, oversized ones dropped; everything else untouched.
    @Suite struct DHCPStageTests {
        typealias Drop = DHCPStage.Drop
        static let dhcpPort: UInt16 = 1
        static let otherDHCPPort: UInt16 = 3
        static let plainPort: UInt16 = 2

        /// The DHCP ports (never freed: shared by every test).
        static let enabled = PortSet.allocate([Int(dhcpPort), Int(otherDHCPPort)])

        /// `size` tokens, refilled at one per 1000 s: nothing refills while a test runs.
        static func view(size: UInt64 = 32) -> DHCPView {
            DHCPView(
                enabled: enabled,
                bucket: TokenBucketSpec(tokens: 1, perSeconds: 1000, size: size, oneTimeBurst: 0, tscHz: EAL.tscHz))
        }

        /// A client's broadcast request: 0.0.0.0:`src` → 255.255.255.255:`dst`, `length` bytes of DHCP.
        static func request(
            from host: Host = Host.a, src: UInt16 = 68, dst: UInt16 = 67, length: Int = 300,
            tags: [(UInt16, UInt16)] = [], marker: UInt8 = 0
        ) -> [UInt8] {
            var message = [UInt8](repeating: 0, count: length)
            message[0] = 1
            message[4] = marker
            return F.ethernet(
                dst: F.broadcast, src: host.mac, tags: tags, type: 0x0800,
                F.ipv4(
                    src: IPv4Address(rawValue: 0), dst: IPv4Address(rawValue: .max), proto: 17,
                    F.udp(src: src, dst: dst, message)))
        }

        /// Parses `frames` from `ingress`, runs `stage`; the survivors' bytes and the punted entries' port and
        /// bytes (their mbufs freed).
        static func run(
            _ stage: inout DHCPStage, _ frames: [[UInt8]], ingress: UInt16, punt: PuntPath?, env: TestDPDK.Environment
        ) -> (kept: [[UInt8]], punted: [(port: UInt16, bytes: [UInt8])]) {
            var burst = PacketBurst(capacity: 32)
            env.fill(&burst, frames: frames, ingress: ingress)
            var parse = ParseStage()
            _ = parse.run(&burst, since: readTSC())
            _ = stage.run(&burst, since: readTSC())
            let kept = (0..<burst.count).map { bytes(of: burst.packets[$0]) }
            var punted: [(port: UInt16, bytes: [UInt8])] = []
            while let entry = punt?.punts.dequeue() {
                #expect(entry.kind == .dhcp && entry.kind.rawValue == 4)
                let mbuf = Mbuf(entry.mbuf)
                punted.append((entry.port, bytes(of: mbuf)))
                mbuf.free()
            }
            #expect(burst.count + burst.dropped.count + punted.count == frames.count)
            burst.releaseDropped()
            burst.packets.freeAll()
            return (kept, punted)
        }

        @Test("requests from a DHCP port are punted with their port; other packets and ports pass untouched")
        func puntsRequests() throws {
            try TestDPDK.run { env in
                let punt = PuntPath.allocate(capacity: 64)
                defer { punt.deallocate() }
                var stage = DHCPStage(view: Self.view(), punt: punt, tsc: readTSC())
                let first = Self.request(marker: 1)
                let tagged = Self.request(tags: F.dot1q(100), marker: 2)
                let ordinary = F.udp4(from: Host.a, to: Host.b)
                let toServerFromElsewhere = Self.request(src: 1234)
                let reply = Self.request(src: 67, dst: 68)
                let out = Self.run(
                    &stage, [first, ordinary, tagged, toServerFromElsewhere, reply], ingress: Self.dhcpPort,
                    punt: punt, env: env)
                #expect(out.kept == [ordinary, toServerFromElsewhere, reply])
                #expect(out.punted.map(\.port) == [Self.dhcpPort, Self.dhcpPort])
                #expect(out.punted.map(\.bytes) == [first, tagged])
                #expect(stage.snapshot.events == [2])
                #expect(stage.snapshot.drops == [0, 0, 0])
                // The same request from a port without DHCP: bridged as before (to a server on the uplink).
                let plain = Self.run(&stage, [first], ingress: Self.plainPort, punt: punt, env: env)
                #expect(plain.kept == [first] && plain.punted.isEmpty)
                #expect(stage.snapshot.events == [2])
            }
        }

        @Test("each port's requests are limited by its own bucket; the excess is dropped and counted")
        func rateLimitPerPort() throws {
            try TestDPDK.run { env in
                let punt = PuntPath.allocate(capacity: 64)
                defer { punt.deallocate() }
                var stage = DHCPStage(view: Self.view(size: 3), punt: punt, tsc: readTSC())
                let requests = (0..<5).map { Self.request(marker: UInt8($0)) }
                let out = Self.run(&stage, requests, ingress: Self.dhcpPort, punt: punt, env: env)
                #expect(out.kept.isEmpty)
                #expect(out.punted.map(\.bytes) == Array(requests[0..<3]))
                #expect(stage.snapshot.drops[Drop.rateLimited.rawValue] == 2)
                // Later bursts of the same port: still empty.
                let again = Self.run(&stage, [requests[0]], ingress: Self.dhcpPort, punt: punt, env: env)
                #expect(again.punted.isEmpty)
                #expect(stage.snapshot.drops[Drop.rateLimited.rawValue] == 3)
                // Another port has its own bucket; ordinary traffic of the limited port is not limited.
                let other = Self.run(&stage, [requests[1]], ingress: Self.otherDHCPPort, punt: punt, env: env)
                #expect(other.punted.map(\.port) == [Self.otherDHCPPort])
                let ordinary = F.udp4(from: Host.a, to: Host.b)
                let passing = Self.run(&stage, [ordinary, ordinary], ingress: Self.dhcpPort, punt: punt, env: env)
                #expect(passing.kept == [ordinary, ordinary])
                #expect(stage.snapshot.events == [4])
            }
        }

        @Test("an oversized request and one the punt ring refuses are dropped under their reasons")
        func dropReasons() throws {
            try TestDPDK.run { env in
                let punt = PuntPath.allocate(capacity: 2)
                defer { punt.deallocate() }
                var stage = DHCPStage(view: Self.view(), punt: punt, tsc: readTSC())
                let largest = Self.request(length: DHCPView.defaultMaximumFrame - 42)
                let oversized = Self.request(length: DHCPView.defaultMaximumFrame - 41)
                #expect(largest.count == DHCPView.defaultMaximumFrame)
                // The ring takes `capacity` requests (the largest first); the next one finds it full.
                let fits = [largest] + (1..<punt.punts.capacity).map { Self.request(marker: UInt8($0)) }
                let out = Self.run(
                    &stage, [oversized] + fits + [Self.request(marker: 99)], ingress: Self.dhcpPort, punt: punt,
                    env: env)
                #expect(out.kept.isEmpty)
                #expect(out.punted.map(\.bytes) == fits)
                #expect(stage.snapshot.drops == [1, 0, 1])
                // Without a punt path (a PMD built without one) requests are dropped, not bridged.
                var alone = DHCPStage(view: Self.view(), punt: nil, tsc: readTSC())
                let none = Self.run(&alone, [Self.request()], ingress: Self.dhcpPort, punt: nil, env: env)
                #expect(none.kept.isEmpty && none.punted.isEmpty)
                #expect(alone.snapshot.drops == [0, 0, 1])
            }
        }
        @Test("ARP requests for the port's server are punted; other ARP, and ARP on other ports, pass")
        func puntsARPForTheServer() throws {
            try TestDPDK.run { env in
                let punt = PuntPath.allocate(capacity: 64)
                defer { punt.deallocate() }
                let server = Host(2).ipv4
                let tables = DHCPTables(
                    servers: (0..<PortLimit.maxPorts).map { $0 == Int(Self.dhcpPort) ? server : nil },
                    bucket: TokenBucketSpec(tokens: 1, perSeconds: 1000, size: 32, oneTimeBurst: 0, tscHz: EAL.tscHz))
                #expect(tables.view.enabled.slots == [Int(Self.dhcpPort)])
                #expect(tables.view.serves(Self.dhcpPort) && !tables.view.serves(Self.plainPort))
                var stage = DHCPStage(view: tables.view, punt: punt, tsc: readTSC())
                let forServer = F.arpRequest(from: Host.a, for: server)
                let forOther = F.arpRequest(from: Host.a, for: Host(9).ipv4)
                let out = Self.run(&stage, [forOther, forServer], ingress: Self.dhcpPort, punt: punt, env: env)
                #expect(out.kept == [forOther])
                #expect(out.punted.map(\.bytes) == [forServer])
                #expect(stage.snapshot.events == [1])
            }
        }
    }
}
