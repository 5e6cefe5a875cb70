import DPDK
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    @Suite struct L2StageTests {
        typealias Event = L2Stage.Event
        static let flood = PacketMeta.flood, none = PacketMeta.noEgress

        /// The L2 stage's events in code order (`L2Stage.Event`), zero unless given.
        static func events(
            learned: UInt64 = 0, moved: UInt64 = 0, limit: UInt64 = 0, tableFull: UInt64 = 0,
            staticConflict: UInt64 = 0,
            flooded: UInt64 = 0, unknownUnicast: UInt64 = 0
        ) -> [UInt64] {
            [learned, moved, limit, tableFull, staticConflict, flooded, unknownUnicast]
        }

        /// Runs `stage` over `frames` from `ingress` in `vlan` (what the VLAN stage would have set) and returns the
        /// egress of each packet, `none` for one the stage dropped. Survivors keep their bytes and VLAN.
        static func run(
            _ stage: inout L2Stage, _ frames: [[UInt8]], ingress: UInt16, vlan: UInt16, env: TestDPDK.Environment
        ) -> [UInt16] {
            var burst = PacketBurst(capacity: 32)
            env.fill(&burst, frames: frames, ingress: ingress)
            for i in 0..<burst.count { burst.meta[i].vlan = vlan }
            let buffers = (0..<burst.count).map { burst.packets[$0].raw }
            _ = stage.run(&burst, since: readTSC())
            var egress: [UInt16] = []
            var next = 0
            for (index, buffer) in buffers.enumerated() {
                if next < burst.count && burst.packets[next].raw == buffer {
                    #expect(bytes(of: burst.packets[next]) == frames[index])
                    #expect(burst.meta[next].vlan == vlan)
                    egress.append(burst.meta[next].egress)
                    next += 1
                } else {
                    egress.append(none)
                }
            }
            #expect(next == burst.count && burst.dropped.count == frames.count - next)
            burst.releaseDropped()
            burst.packets.freeAll()
            return egress
        }

        /// (VLAN, MAC, port) of every entry in the table.
        static func entries(_ table: MACTable) -> Set<[UInt64]> {
            Set(table.entries(now: 0).map { [UInt64($0.vlan), $0.mac, UInt64($0.port)] })
        }

        static func entry(_ vlan: UInt16, _ host: Host, _ port: UInt64) -> [UInt64] {
            [UInt64(vlan), host.mac.rawValue, port]
        }

        @Test("learns sources, forwards known unicast, floods the rest, drops same-port, notices moves")
        func learnAndForward() throws {
            try TestDPDK.run { env in
                let table = MACTable(capacity: 256, ports: 4, seed: 7)
                defer { withExtendedLifetime(table) {} }
                var stage = L2Stage(table: table.view, tscHz: EAL.tscHz)
                let (a, b, c) = (Host.a, Host.b, Host.c)
                // A on port 0 to B, not known yet: learned A, unknown unicast, flood.
                #expect(Self.run(&stage, [F.udp4(from: a, to: b)], ingress: 0, vlan: 10, env: env) == [Self.flood])
                #expect(Self.entries(table) == [Self.entry(10, a, 0)])
                #expect(stage.snapshot.events == Self.events(learned: 1, flooded: 1, unknownUnicast: 1))
                // B answers from port 1: learned B, A is known on port 0.
                #expect(Self.run(&stage, [F.udp4(from: b, to: a)], ingress: 1, vlan: 10, env: env) == [0])
                // A again (refresh: no event), to B, to broadcast and to two multicast groups.
                let fromA = [
                    F.udp4(from: a, to: b), F.arpRequest(from: a, for: b.ipv4),
                    F.ethernet(
                        dst: F.ipv4Multicast, src: a.mac, type: 0x0800,
                        F.ipv4(
                            src: a.ipv4, dst: IPv4Address(224, 0, 0, 251), proto: 17, F.udp(src: 5353, dst: 5353, []))),
                    F.ethernet(
                        dst: F.ipv6Multicast, src: a.mac, type: 0x86dd,
                        F.ipv6(src: a.ipv6, dst: IPv6Address("ff02::1")!, next: 58, F.echo(type: 128))),
                ]
                #expect(
                    Self.run(&stage, fromA, ingress: 0, vlan: 10, env: env) == [1, Self.flood, Self.flood, Self.flood])
                #expect(stage.snapshot.events == Self.events(learned: 2, flooded: 4, unknownUnicast: 1))
                // A shows up on port 2: a move; frames to A now go to port 2.
                #expect(Self.run(&stage, [F.udp4(from: a, to: b)], ingress: 2, vlan: 10, env: env) == [1])
                #expect(Self.run(&stage, [F.udp4(from: b, to: a)], ingress: 1, vlan: 10, env: env) == [2])
                #expect(Self.entries(table) == [Self.entry(10, a, 2), Self.entry(10, b, 1)])
                // C behind port 1 talks to B, also behind port 1: learned C, and the frame is dropped (B hears it
                // on its own segment). Then one to A from the same burst: forwarded.
                #expect(
                    Self.run(&stage, [F.udp4(from: c, to: b), F.udp4(from: c, to: a)], ingress: 1, vlan: 10, env: env)
                        == [Self.none, 2])
                // Sources that are never learned: zero and group addresses. Their frames are still forwarded.
                let unlearnable = [
                    F.ethernet(dst: b.mac, src: .zero, type: 0x88b5),
                    F.ethernet(dst: b.mac, src: F.ipv4Multicast, type: 0x88b5),
                    F.ethernet(dst: b.mac, src: .broadcast, type: 0x88b5),
                ]
                #expect(Self.run(&stage, unlearnable, ingress: 3, vlan: 10, env: env) == [1, 1, 1])
                #expect(Self.entries(table) == [Self.entry(10, a, 2), Self.entry(10, b, 1), Self.entry(10, c, 1)])
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(
                            calls: 7, packetsIn: 13, packetsOut: 12, drops: [1, 0],
                            events: Self.events(learned: 3, moved: 1, flooded: 4, unknownUnicast: 1)))
            }
        }

        @Test("the same MAC in two VLANs is two entries: no move, and lookups stay in their VLAN")
        func vlanSeparation() throws {
            try TestDPDK.run { env in
                let table = MACTable(capacity: 256, ports: 4, seed: 7)
                defer { withExtendedLifetime(table) {} }
                var stage = L2Stage(table: table.view, tscHz: EAL.tscHz)
                let (m, x) = (Host.e, Host.f)
                #expect(
                    Self.run(&stage, [F.arpRequest(from: m, for: x.ipv4)], ingress: 0, vlan: 10, env: env) == [
                        Self.flood
                    ])
                #expect(
                    Self.run(&stage, [F.arpRequest(from: m, for: x.ipv4)], ingress: 1, vlan: 20, env: env) == [
                        Self.flood
                    ])
                #expect(Self.entries(table) == [Self.entry(10, m, 0), Self.entry(20, m, 1)])
                #expect(Self.run(&stage, [F.udp4(from: x, to: m)], ingress: 2, vlan: 10, env: env) == [0])
                #expect(Self.run(&stage, [F.udp4(from: x, to: m)], ingress: 3, vlan: 20, env: env) == [1])
                // X is learned in VLANs 10, 20 and 30 (on ports 2, 3, 2); in VLAN 30 M is unknown.
                #expect(Self.run(&stage, [F.udp4(from: x, to: m)], ingress: 2, vlan: 30, env: env) == [Self.flood])
                #expect(stage.snapshot.events == Self.events(learned: 5, flooded: 3, unknownUnicast: 1))
                #expect(table.count == 5)
            }
        }

        @Test("a port at its learn limit learns no new MAC and takes no MAC over; its frames still go out")
        func learnLimit() throws {
            try TestDPDK.run { env in
                let table = MACTable(capacity: 256, ports: 4, limits: [2, 100, 100, 100], seed: 7)
                defer { withExtendedLifetime(table) {} }
                var stage = L2Stage(table: table.view, tscHz: EAL.tscHz)
                let (a, b, c, d) = (Host.a, Host.b, Host.c, Host.d)
                #expect(Self.run(&stage, [F.udp4(from: d, to: a)], ingress: 1, vlan: 10, env: env) == [Self.flood])
                let three = [a, b, c].map { F.arpRequest(from: $0, for: d.ipv4) }
                #expect(
                    Self.run(&stage, three, ingress: 0, vlan: 10, env: env) == [Self.flood, Self.flood, Self.flood])
                #expect(table.learnedCount(port: 0) == 2)
                #expect(stage.snapshot.events == Self.events(learned: 3, limit: 1, flooded: 4, unknownUnicast: 1))
                // D moving to port 0 would be a third MAC there: refused, D stays on port 1. (The frame itself is for A,
                // on port 0: same-port drop.)
                #expect(Self.run(&stage, [F.udp4(from: d, to: a)], ingress: 0, vlan: 10, env: env) == [Self.none])
                // A moves to port 2, which frees a place on port 0; C (never learned) is unknown.
                #expect(
                    Self.run(&stage, [F.udp4(from: a, to: c), F.udp4(from: a, to: d)], ingress: 2, vlan: 10, env: env)
                        == [Self.flood, 1])
                #expect(Self.entries(table) == [Self.entry(10, d, 1), Self.entry(10, b, 0), Self.entry(10, a, 2)])
                #expect(
                    stage.snapshot.ignoringCycles()
                        == StageSnapshot(
                            calls: 4, packetsIn: 7, packetsOut: 6, drops: [1, 0],
                            events: Self.events(learned: 3, moved: 1, limit: 2, flooded: 5, unknownUnicast: 2)))
                #expect(table.limitReachedCount(port: 0) == 2)
            }
        }

        @Test("a MAC with a static entry on another port does not move; frames to it go to the static port")
        func staticEntry() throws {
            try TestDPDK.run { env in
                let table = MACTable(capacity: 256, ports: 4, seed: 7)
                defer { withExtendedLifetime(table) {} }
                #expect(table.addStatic(vlan: 10, mac: Host.e.mac.rawValue, port: 3))
                var stage = L2Stage(table: table.view, tscHz: EAL.tscHz)
                #expect(
                    Self.run(&stage, [F.udp4(from: Host.e, to: Host.a)], ingress: 0, vlan: 10, env: env) == [Self.flood]
                )
                #expect(Self.run(&stage, [F.udp4(from: Host.a, to: Host.e)], ingress: 1, vlan: 10, env: env) == [3])
                #expect(table.entry(vlan: 10, mac: Host.e.mac.rawValue, now: 0)?.port == 3)
                #expect(
                    stage.snapshot.events == Self.events(learned: 1, staticConflict: 1, flooded: 1, unknownUnicast: 1))
            }
        }

        /// A burst whose first and last frames carry the same MAC addresses takes the stage's conversation form
        /// (consecutive packets with the same keys share one learn and one lookup). Whatever the frames in
        /// between — the destination learned mid-burst, refused learns at the port's limit, a static entry,
        /// same-port drops, broadcasts, unlearnable sources — the stage must decide and count exactly what it
        /// decides and counts for the same frames handed over one per burst (the plain form).
        @Test("a one-conversation burst is decided and counted as its packets one by one")
        func conversationBurstsMatchPacketByPacket() throws {
            try TestDPDK.run { env in
                func makeTable() -> MACTable {
                    let table = MACTable(capacity: 256, ports: 4, limits: [2, 100, 100, 100], seed: 7)
                    _ = table.addStatic(vlan: 10, mac: Host.e.mac.rawValue, port: 3)
                    return table
                }
                let wholeTable = makeTable()
                let oneByOneTable = makeTable()
                defer { withExtendedLifetime((wholeTable, oneByOneTable)) {} }
                var whole = L2Stage(table: wholeTable.view, tscHz: EAL.tscHz)
                var oneByOne = L2Stage(table: oneByOneTable.view, tscHz: EAL.tscHz)
                let hosts = [Host.a, Host.b, Host.c, Host.d, Host.e]
                var random = FuzzRandom(seed: 0x5eed)
                func pick<T>(_ items: [T]) -> T { items[random.below(items.count)] }
                func middleFrame() -> [UInt8] {
                    switch random.below(8) {
                    case 0: F.arpRequest(from: pick(hosts), for: pick(hosts).ipv4)  // broadcast
                    case 1: F.ethernet(dst: pick(hosts).mac, src: .zero, type: 0x88b5)  // never learned
                    default: F.udp4(from: pick(hosts), to: pick(hosts))  // to itself sometimes: same-port
                    }
                }
                var kinds = Set<String>()
                for round in 0..<300 {
                    let ends = F.udp4(from: pick(hosts), to: pick(hosts))
                    let frames = [ends] + (0..<random.below(7)).map { _ in middleFrame() } + [ends]
                    let ingress = UInt16(random.below(4))
                    let burst = Self.run(&whole, frames, ingress: ingress, vlan: 10, env: env)
                    let packets = frames.flatMap { Self.run(&oneByOne, [$0], ingress: ingress, vlan: 10, env: env) }
                    #expect(burst == packets, "round \(round): egress")
                    #expect(whole.snapshot.events == oneByOne.snapshot.events, "round \(round): events")
                    #expect(whole.snapshot.drops == oneByOne.snapshot.drops, "round \(round): drops")
                    #expect(Self.entries(wholeTable) == Self.entries(oneByOneTable), "round \(round): entries")
                    if burst.contains(Self.none) { kinds.insert("drop") }
                    if burst.contains(Self.flood) { kinds.insert("flood") }
                    if burst.contains(where: { $0 < 4 }) { kinds.insert("unicast") }
                }
                // The frames reached every case the caches must get right.
                let events = whole.snapshot.events
                #expect(kinds == ["drop", "flood", "unicast"])
                #expect(events[Event.learned.rawValue] > 0 && events[Event.moved.rawValue] > 0)
                #expect(events[Event.limit.rawValue] > 0 && events[Event.staticConflict.rawValue] > 0)
            }
        }

        @Test("descriptor names the stage, its drop reasons and its events in code order")
        func descriptor() {
            let table = MACTable(capacity: 8, ports: 1, seed: 7)
            defer { withExtendedLifetime(table) {} }
            let stage = L2Stage(table: table.view, tscHz: 1)
            #expect(stage.descriptor.name == "l2")
            #expect(stage.descriptor.dropReasons == ["same-port", "split-horizon"])
            #expect(
                stage.descriptor.eventNames == [
                    "learned", "moved", "learn-limit", "table-full", "static-conflict", "flooded", "unknown-unicast",
                ])
            let events: [Event] = [.learned, .moved, .limit, .tableFull, .staticConflict, .flooded, .unknownUnicast]
            #expect(events.map(\.rawValue) == Array(0..<7))
            #expect(stage.counters.block.count == StageCounters.firstDrop + 2 + 7)
        }
    }
}
