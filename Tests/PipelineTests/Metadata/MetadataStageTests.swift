import DPDK
import Packet
import Pipeline
import Synchronization
import Testing

/// The metadata stage on real mbufs: golden frames both ways (checksums recomputed from scratch), the
/// identity by port, ARP answers, every drop reason, the NAT table's expiry on a given clock.
final class MetadataFixture {
    static let vmA: UInt16 = 0, vmB: UInt16 = 1, service: UInt16 = 2, other: UInt16 = 3
    static let tscHz: UInt64 = 1_000_000_000
    static let start: UInt64 = 5_000_000_000_000

    let nat = MetadataNAT()
    let buckets = MetadataTables.allocateBuckets()
    let tables: MetadataTables

    init(hopLimit: UInt8 = 1, rateOfA: UInt64? = nil, burstOfA: UInt64 = 1) {
        let spec = MetadataSpec(
            service: MF.service, servicePort: MF.servicePort, serviceSlot: Self.service, serviceMAC: MF.serviceMAC,
            gatewayMAC: MF.gatewayMAC, hopLimit: hopLimit,
            clients: [
                MetadataClient(slot: Self.vmA, address: MF.poolA, requestsPerSecond: rateOfA, burst: burstOfA),
                MetadataClient(slot: Self.vmB, address: MF.poolB),
            ])
        tables = MetadataTables(spec, nat: nat, buckets: buckets, tscHz: Self.tscHz, now: Self.start)
    }

    deinit { UnsafeMutableRawPointer(buckets).deallocate() }
}

extension DPDKBackedTests {
    @Suite struct MetadataStageTests {
        typealias Drop = MetadataStage.Drop
        typealias Event = MetadataStage.Event
        static let a = Host.a, b = Host.b

        /// Parses `frames` from `ingress` and runs the stage on them at `now`; the frames left in the burst.
        static func run(
            _ stage: inout MetadataStage, _ frames: [[UInt8]], ingress: UInt16, now: UInt64 = MetadataFixture.start,
            env: TestDPDK.Environment
        ) -> [[UInt8]] {
            var burst = PacketBurst(capacity: 32)
            env.fill(&burst, frames: frames, ingress: ingress)
            for i in 0..<burst.count {
                let mbuf = burst.packets[i]
                let problem = PacketParser.parse(
                    UnsafeRawPointer(mbuf.data), length: mbuf.dataLength, into: &burst.meta[i].headers)
                precondition(problem == nil, "test frames parse")
            }
            stage.process(&burst, now: now)
            let kept = (0..<burst.count).map { Array(UnsafeRawBufferPointer(burst.packets[$0].bytes)) }
            burst.releaseDropped()
            burst.packets.freeAll()
            return kept
        }

        static func drops(_ stage: borrowing MetadataStage) -> [String: UInt64] {
            var counts: [String: UInt64] = [:]
            for (i, name) in MetadataStage.dropReasons.enumerated() {
                let value = stage.counters.block.load(StageCounters.firstDrop + i)
                if value != 0 { counts[name] = value }
            }
            return counts
        }

        static func events(_ stage: borrowing MetadataStage) -> [String: UInt64] {
            var counts: [String: UInt64] = [:]
            for (i, name) in MetadataStage.eventNames.enumerated() {
                let value = stage.counters.block.load(stage.counters.firstEvent + i)
                if value != 0 { counts[name] = value }
            }
            return counts
        }

        @Test("a guest's request leaves on the service port from its pool address; the reply comes back to it")
        func requestAndReply() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                var stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                let payload = Array("GET /latest/meta-data/instance-id HTTP/1.1\r\n\r\n".utf8)
                let request = MF.request(from: Self.a, flags: MF.psh | MF.ack, payload: payload)
                let ordinary = F.udp4(from: Self.a, to: Self.b)
                let kept = Self.run(&stage, [ordinary, request], ingress: MetadataFixture.vmA, env: env)
                #expect(kept == [ordinary])
                // Written out independently: pool source, service destination and port, host MAC from Sluice's.
                let toService = MF.tcp(
                    dstMAC: MF.serviceMAC, srcMAC: MF.gatewayMAC, src: MF.poolA, dst: MF.service, sport: 40001,
                    dport: MF.servicePort, flags: MF.psh | MF.ack, payload: payload)
                let sent = env.drainBytes(port: Int(MetadataFixture.service))
                #expect(sent == [toService], "\(sent.map(hex))")
                #expect(sent.allSatisfy(MF.checksumsValid))

                let answer = Array("i-0a".utf8)
                let reply = MF.reply(to: MF.poolA, flags: MF.psh | MF.ack, ttl: 64, payload: answer)
                #expect(Self.run(&stage, [reply], ingress: MetadataFixture.service, env: env).isEmpty)
                // Back from the intercepted address and port, to the guest's address, with the MACs it used
                // swapped, TTL clamped to 1.
                let toGuest = MF.tcp(
                    dstMAC: Self.a.mac, srcMAC: MF.routerMAC, src: MF.intercept, dst: Self.a.ipv4, sport: 80,
                    dport: 40001, flags: MF.psh | MF.ack, ttl: 1, payload: answer)
                let delivered = env.drainBytes(port: Int(MetadataFixture.vmA))
                #expect(delivered == [toGuest], "\(delivered.map(hex))")
                #expect(delivered.allSatisfy(MF.checksumsValid))
                #expect(Self.events(stage) == ["intercepted": 1, "translated": 1])
                #expect(Self.drops(stage).isEmpty)
            }
        }

        @Test("the TTL is clamped to the hop limit, never raised; the guest may address any MAC")
        func hopLimitAndAnyMAC() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture(hopLimit: 3)
                var stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                // Addressed straight to the MAC Sluice answers ARP with.
                _ = Self.run(
                    &stage, [MF.request(from: Self.a, to: MF.gatewayMAC, sport: 50000)], ingress: MetadataFixture.vmA,
                    env: env)
                _ = env.drainBytes(port: Int(MetadataFixture.service))
                _ = Self.run(
                    &stage,
                    [MF.reply(to: MF.poolA, dport: 50000, ttl: 64), MF.reply(to: MF.poolA, dport: 50000, ttl: 2)],
                    ingress: MetadataFixture.service, env: env)
                let delivered = env.drainBytes(port: Int(MetadataFixture.vmA))
                #expect(delivered.map { $0[22] } == [3, 2])
                #expect(delivered.allSatisfy { Array($0[6..<12]) == F.bytes(MF.gatewayMAC) })
                #expect(delivered.allSatisfy(MF.checksumsValid))
            }
        }

        @Test("a VM spoofing another's address and MAC arrives from its own pool address; replies reach only it")
        func identityIsThePort() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                var stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                let spoofed = MF.request(from: Self.b, srcIP: Self.a.ipv4, srcMAC: Self.a.mac)
                _ = Self.run(&stage, [spoofed], ingress: MetadataFixture.vmB, env: env)
                let sent = env.drainBytes(port: Int(MetadataFixture.service))
                #expect(sent.count == 1 && Array(sent[0][26..<30]) == F.bytes(MF.poolB))
                // A reply to A's pool address for B's flow: A has no such flow.
                _ = Self.run(&stage, [MF.reply(to: MF.poolA)], ingress: MetadataFixture.service, env: env)
                #expect(Self.drops(stage) == ["no-flow": 1])
                _ = Self.run(&stage, [MF.reply(to: MF.poolB)], ingress: MetadataFixture.service, env: env)
                let delivered = env.drainBytes(port: Int(MetadataFixture.vmB))
                #expect(delivered.count == 1 && Array(delivered[0][0..<6]) == F.bytes(Self.a.mac))
                env.expectOutputs([:], "nothing reached A")
            }
        }

        @Test("ARP for the intercepted address is answered to the guest; ARP for pool addresses to the host")
        func arpAnswers() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                var stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                let asked = F.arpRequest(from: Self.a, for: MF.intercept)
                let other = F.arpRequest(from: Self.a, for: Self.b.ipv4)
                #expect(Self.run(&stage, [asked, other], ingress: MetadataFixture.vmA, env: env) == [other])
                let answer = F.ethernet(
                    dst: Self.a.mac, src: MF.gatewayMAC, type: 0x0806,
                    F.arp(op: 2, sha: MF.gatewayMAC, spa: MF.intercept, tha: Self.a.mac, tpa: Self.a.ipv4))
                #expect(env.drainBytes(port: Int(MetadataFixture.vmA)) == [answer])

                let host = Host(0x01)
                let forPool = F.arpRequest(from: host, for: MF.poolB)
                let notOurs = F.arpRequest(from: host, for: IPv4Address(169, 254, 200, 99))
                #expect(Self.run(&stage, [forPool, notOurs], ingress: MetadataFixture.service, env: env) == [notOurs])
                let poolAnswer = F.ethernet(
                    dst: host.mac, src: MF.gatewayMAC, type: 0x0806,
                    F.arp(op: 2, sha: MF.gatewayMAC, spa: MF.poolB, tha: host.mac, tpa: host.ipv4))
                #expect(env.drainBytes(port: Int(MetadataFixture.service)) == [poolAnswer])
                #expect(Self.events(stage) == ["arp-answered": 2])
            }
        }

        @Test("ports that are neither served nor the service are not looked at")
        func otherPortsUntouched() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                var stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                let frames = [MF.request(from: Self.a), F.arpRequest(from: Self.a, for: MF.intercept)]
                #expect(Self.run(&stage, frames, ingress: MetadataFixture.other, env: env) == frames)
                var offStage = MetadataStage(metadata: .off, targets: env.targets(), capacity: 32)
                #expect(Self.run(&offStage, frames, ingress: MetadataFixture.vmA, env: env) == frames)
                #expect(Self.events(stage).isEmpty && Self.drops(stage).isEmpty)
            }
        }

        @Test("other traffic to the intercepted address, and to pool addresses not from the service, is dropped")
        func otherTrafficDropped() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                var stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                let udp = F.ethernet(
                    dst: MF.routerMAC, src: Self.a.mac, type: 0x0800,
                    F.ipv4(src: Self.a.ipv4, dst: MF.intercept, proto: 17, F.udp(src: 5000, dst: 80, [1, 2])))
                let ping = F.ethernet(
                    dst: MF.routerMAC, src: Self.a.mac, type: 0x0800,
                    F.ipv4(src: Self.a.ipv4, dst: MF.intercept, proto: 1, F.echo()))
                let otherPort = MF.request(from: Self.a, dport: 443)
                #expect(Self.run(&stage, [udp, ping, otherPort], ingress: MetadataFixture.vmA, env: env).isEmpty)
                #expect(Self.drops(stage) == ["other-to-intercept": 3])
                let notService = MF.reply(to: MF.poolA, from: IPv4Address(10, 99, 0, 2))
                let wrongPort = MF.reply(to: MF.poolA, sport: 8080)
                let ordinary = F.udp4(from: Host(0x01), to: Self.b)
                #expect(
                    Self.run(&stage, [notService, wrongPort, ordinary], ingress: MetadataFixture.service, env: env) == [
                        ordinary
                    ])
                #expect(Self.drops(stage) == ["other-to-intercept": 3, "not-from-service": 2])
            }
        }

        @Test("new connections over the rate limit are dropped; the bucket refills with time; B is not limited")
        func rateLimit() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture(rateOfA: 2, burstOfA: 2)
                var stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                let t0 = MetadataFixture.start
                let syns = (0..<5).map { MF.request(from: Self.a, sport: 41000 + UInt16($0)) }
                _ = Self.run(&stage, syns, ingress: MetadataFixture.vmA, now: t0, env: env)
                #expect(env.drainBytes(port: Int(MetadataFixture.service)).count == 2)
                #expect(Self.drops(stage) == ["rate-limited": 3])
                // Segments of an open connection are not requests: never limited.
                let data = MF.request(from: Self.a, sport: 41000, flags: MF.ack)
                _ = Self.run(&stage, [data, data], ingress: MetadataFixture.vmA, now: t0, env: env)
                #expect(env.drainBytes(port: Int(MetadataFixture.service)).count == 2)
                // Half a second later: one token (2 per second).
                _ = Self.run(&stage, syns, ingress: MetadataFixture.vmA, now: t0 + 500_000_000, env: env)
                #expect(env.drainBytes(port: Int(MetadataFixture.service)).count == 1)
                #expect(Self.drops(stage) == ["rate-limited": 7])
                let fromB = (0..<5).map { MF.request(from: Self.b, sport: 41000 + UInt16($0)) }
                _ = Self.run(&stage, fromB, ingress: MetadataFixture.vmB, now: t0, env: env)
                #expect(env.drainBytes(port: Int(MetadataFixture.service)).count == 5)
            }
        }

        @Test("flows expire after the idle timeout, or the linger after a FIN or RST; then replies are dropped")
        func expiry() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                var stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                let t0 = MetadataFixture.start
                let idle: UInt64 = 60_000_000_000
                let linger: UInt64 = 2_000_000_000
                _ = Self.run(
                    &stage, [MF.request(from: Self.a, sport: 1000), MF.request(from: Self.a, sport: 2000)],
                    ingress: MetadataFixture.vmA, now: t0, env: env)
                _ = env.drainBytes(port: Int(MetadataFixture.service))
                #expect(fixture.nat.flows(slot: 0).count == 2)
                // The service closes flow 1000 (FIN): linger applies to it only.
                _ = Self.run(
                    &stage, [MF.reply(to: MF.poolA, dport: 1000, flags: MF.fin | MF.ack)],
                    ingress: MetadataFixture.service, now: t0 + 1, env: env)
                #expect(env.drainBytes(port: Int(MetadataFixture.vmA)).count == 1)
                #expect(fixture.nat.flows(slot: 0).filter(\.flow.closing).map(\.flow.guestPort) == [1000])
                #expect(fixture.nat.expire(now: t0 + linger, idle: idle, linger: linger) == 0)
                #expect(fixture.nat.expire(now: t0 + 1 + linger, idle: idle, linger: linger) == 1)
                #expect(fixture.nat.flows(slot: 0).map(\.flow.guestPort) == [2000])
                // The guest keeps flow 2000 alive; idle expiry counts from its last packet.
                _ = Self.run(
                    &stage, [MF.request(from: Self.a, sport: 2000, flags: MF.ack)], ingress: MetadataFixture.vmA,
                    now: t0 + 10, env: env)
                _ = env.drainBytes(port: Int(MetadataFixture.service))
                #expect(fixture.nat.expire(now: t0 + 9 + idle, idle: idle, linger: linger) == 0)
                #expect(fixture.nat.expire(now: t0 + 10 + idle, idle: idle, linger: linger) == 1)
                _ = Self.run(
                    &stage, [MF.reply(to: MF.poolA, dport: 1000), MF.reply(to: MF.poolA, dport: 2000)],
                    ingress: MetadataFixture.service, now: t0 + 11 + idle, env: env)
                #expect(Self.drops(stage) == ["no-flow": 2])
                // A RST from the guest marks its flow closing too; a new SYN on the same port reopens it.
                _ = Self.run(
                    &stage,
                    [MF.request(from: Self.a, sport: 3000), MF.request(from: Self.a, sport: 3000, flags: MF.rst)],
                    ingress: MetadataFixture.vmA, now: t0, env: env)
                #expect(fixture.nat.flows(slot: 0).map(\.flow.closing) == [true])
                _ = Self.run(
                    &stage, [MF.request(from: Self.a, sport: 3000)], ingress: MetadataFixture.vmA, now: t0, env: env)
                #expect(fixture.nat.flows(slot: 0).map(\.flow.closing) == [false])
                _ = env.drainBytes(port: Int(MetadataFixture.service))
            }
        }

        @Test("a full NAT table and a busy entry drop the request under their reasons")
        func natFullAndBusy() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                var stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                // Every entry of A's table taken: 256 flows, sent in bursts of 32.
                for round in 0..<(MetadataNAT.entriesPerPort / 32) {
                    let syns = (0..<32).map { MF.request(from: Self.a, sport: UInt16(10000 + round * 32 + $0)) }
                    _ = Self.run(&stage, syns, ingress: MetadataFixture.vmA, env: env)
                    _ = env.drainBytes(port: Int(MetadataFixture.service))
                }
                // Probing is bounded (`MetadataNAT.probes`): the last guest ports find their entries taken before
                // the table is quite full; each of them is refused, none overwrites a live flow.
                let full = Self.drops(stage)["nat-full"] ?? 0
                #expect(full > 0)
                #expect(Self.drops(stage).keys.sorted() == ["nat-full"])
                #expect(fixture.nat.flows(slot: 0).count + Int(full) == MetadataNAT.entriesPerPort)
                // B's entries held by another writer (odd sequence numbers): its request is refused, not waited for.
                let words = fixture.nat.view.words
                let bBase = Int(MetadataFixture.vmB) * MetadataNAT.entriesPerPort * MetadataNAT.wordsPerEntry
                for entry in 0..<MetadataNAT.entriesPerPort {
                    words[bBase + entry * MetadataNAT.wordsPerEntry].store(1, ordering: .relaxed)
                }
                _ = Self.run(&stage, [MF.request(from: Self.b)], ingress: MetadataFixture.vmB, env: env)
                #expect(Self.drops(stage) == ["nat-full": full, "nat-busy": 1])
                env.expectOutputs([:])
            }
        }

        @Test("a service port that is down or full: the requests are counted and freed")
        func egressDownAndFull() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture()
                var enabled = [true, true, false, true]
                var stage = MetadataStage(
                    metadata: fixture.tables.view, targets: env.targets(enabled: enabled), capacity: 32)
                _ = Self.run(&stage, [MF.request(from: Self.a)], ingress: MetadataFixture.vmA, env: env)
                #expect(Self.drops(stage) == ["egress-down": 1])
                enabled[2] = true
                var open = MetadataStage(
                    metadata: fixture.tables.view, targets: env.targets(enabled: enabled), capacity: 32)
                let filler = [[UInt8]](repeating: F.udp4(from: Self.a, to: Self.b), count: TestDPDK.ringCapacity)
                #expect(env.inject(frames: filler, port: Int(MetadataFixture.service), queue: 0) == filler.count)
                _ = Self.run(&open, [MF.request(from: Self.a, sport: 777)], ingress: MetadataFixture.vmA, env: env)
                #expect(Self.drops(open) == ["tx-queue-full": 1])
                #expect(env.drainBytes(port: Int(MetadataFixture.service)).count == filler.count)
            }
        }

        /// An untagged IPv4 TCP frame whose lengths leave room for both headers (checksums can be computed).
        static func isSaneTCP(_ frame: [UInt8]) -> Bool {
            guard frame.count >= 34, frame[12] == 8, frame[13] == 0, frame[23] == 6 else { return false }
            let ihl = Int(frame[14] & 0x0f) * 4
            let total = Int(frame[16]) << 8 | Int(frame[17])
            return ihl >= 20 && 14 + total <= frame.count && ihl + 20 <= total
        }

        @Test("random and mutated frames on both sides: no crash, every packet accounted for, sums right")
        func fuzz() throws {
            try TestDPDK.run { env in
                let fixture = MetadataFixture(rateOfA: 1000, burstOfA: 50)
                var stage = MetadataStage(metadata: fixture.tables.view, targets: env.targets(), capacity: 32)
                var seed: UInt64 = 0x5eed
                func next() -> UInt64 {
                    seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return seed >> 33
                }
                for round in 0..<200 {
                    let fromVM = round % 2 == 0
                    var frames: [[UInt8]] = []
                    for _ in 0..<(1 + Int(next() % 16)) {
                        let sport = UInt16(40000 + next() % 8)
                        var frame =
                            fromVM
                            ? MF.request(from: Self.a, sport: sport, flags: UInt8(next() & 0x1f))
                            : MF.reply(
                                to: next() % 2 == 0 ? MF.poolA : MF.poolB, dport: sport, flags: UInt8(next() & 0x1f))
                        // Mutate a byte past the Ethernet addresses (types, ports, addresses, flags), then keep
                        // only frames the parser accepts, as the stage only ever sees those.
                        let at = 12 + Int(next() % UInt64(frame.count - 12))
                        if next() % 2 == 0 { frame[at] = UInt8(truncatingIfNeeded: next()) }
                        if Self.isSaneTCP(frame) { MF.fixChecksums(&frame) }
                        var headers = PacketHeaders()
                        let ok = frame.withUnsafeBytes {
                            PacketParser.parse($0.baseAddress!, length: frame.count, into: &headers) == nil
                        }
                        if ok { frames.append(frame) }
                    }
                    let before = stage.counters.block.loadAll()
                    let ingress = fromVM ? MetadataFixture.vmA : MetadataFixture.service
                    let kept = Self.run(&stage, frames, ingress: ingress, env: env)
                    let after = stage.counters.block.loadAll()
                    let counted = zip(before, after).enumerated().filter { $0.offset >= StageCounters.firstDrop }
                        .map { $0.element.1 - $0.element.0 }.reduce(0, +)
                    var sent = 0
                    for port in 0..<TestDPDK.portCount {
                        for frame in env.drainBytes(port: port) {
                            sent += 1
                            if Self.isSaneTCP(frame) {
                                #expect(MF.checksumsValid(frame), "\(hex(frame))")
                            }
                        }
                    }
                    // Drops and events (sent packets are events) cover exactly what left the burst.
                    #expect(kept.count + Int(counted) == frames.count, "round \(round)")
                    #expect(sent <= frames.count - kept.count)
                }
            }
        }
    }
}
