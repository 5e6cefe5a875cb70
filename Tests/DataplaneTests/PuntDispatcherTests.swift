import Pipeline
import Testing

@testable import Dataplane

/// The control-thread end of the punt path, with made-up mbuf pointers and a recording `release`: no DPDK.
@Suite struct PuntDispatcherTests {
    final class Released {
        var mbufs: [OpaquePointer] = []
    }

    static func mbuf(_ n: Int) -> OpaquePointer { OpaquePointer(bitPattern: 0x2000 + n * 64)! }

    static let arp = PuntKind(rawValue: 1)
    static let capture = PuntKind(rawValue: 2)

    @Test func eachKindGoesToItsHandlerWithItsPMDAndPort() {
        let released = Released()
        let dispatcher = PuntDispatcher(pmdCount: 2, capacity: 16) { released.mbufs.append($0) }
        var arpSeen: [(OpaquePointer, UInt16, Int)] = []
        var captureSeen: [OpaquePointer] = []
        dispatcher.register(Self.arp) { arpSeen.append(($0.mbuf, $0.port, $0.pmd)) }
        dispatcher.register(Self.capture) { captureSeen.append($0.mbuf) }
        #expect(dispatcher.paths[0].punt(Self.mbuf(1), kind: Self.arp, port: 3))
        #expect(dispatcher.paths[1].punt(Self.mbuf(2), kind: Self.capture, port: 4))
        #expect(dispatcher.paths[1].punt(Self.mbuf(3), kind: Self.arp, port: 5))
        #expect(dispatcher.paths[1].punt(Self.mbuf(4), kind: PuntKind(rawValue: 99), port: 5))
        #expect(dispatcher.service() == 4)
        #expect(arpSeen.map(\.0) == [Self.mbuf(1), Self.mbuf(3)])
        #expect(arpSeen.map(\.1) == [3, 5])
        #expect(arpSeen.map(\.2) == [0, 1])
        #expect(captureSeen == [Self.mbuf(2)])
        // Nobody handles kind 99: freed and counted.
        #expect(released.mbufs == [Self.mbuf(4)])
        let totals = Dictionary(uniqueKeysWithValues: dispatcher.totals().map { ($0.name, $0.value) })
        #expect(totals["punted"] == 4)
        #expect(totals["handled"] == 3)
        #expect(totals["unhandled"] == 1)
        #expect(dispatcher.service() == 0)

        dispatcher.unregister(Self.capture)
        #expect(dispatcher.paths[0].punt(Self.mbuf(5), kind: Self.capture, port: 0))
        dispatcher.service()
        #expect(released.mbufs == [Self.mbuf(4), Self.mbuf(5)])
    }

    /// One service takes at most `serviceBudget` packets per PMD; the rest wait for the next pass.
    @Test func serviceIsBudgeted() {
        let dispatcher = PuntDispatcher(pmdCount: 1, capacity: 1024) { _ in }
        var handled = 0
        dispatcher.register(Self.arp) { _ in handled += 1 }
        let total = PuntDispatcher.serviceBudget + 10
        for n in 0..<total { #expect(dispatcher.paths[0].punt(Self.mbuf(n), kind: Self.arp, port: 0)) }
        #expect(dispatcher.service() == PuntDispatcher.serviceBudget)
        #expect(dispatcher.service() == 10)
        #expect(handled == total)
    }

    /// Injection never blocks: a full ring frees the packet and counts it; a PMD index that does not
    /// exist is refused the same way.
    @Test func injectionRefusedWhenFull() {
        let released = Released()
        let dispatcher = PuntDispatcher(pmdCount: 1, capacity: 2) { released.mbufs.append($0) }
        #expect(dispatcher.inject(Self.mbuf(1), port: 0, kind: Self.arp))
        #expect(dispatcher.inject(Self.mbuf(2), port: 0, kind: Self.arp))
        #expect(!dispatcher.inject(Self.mbuf(3), port: 0, kind: Self.arp))
        #expect(!dispatcher.inject(Self.mbuf(4), port: 0, kind: Self.arp, pmd: 5))
        #expect(released.mbufs == [Self.mbuf(3), Self.mbuf(4)])
        let totals = Dictionary(uniqueKeysWithValues: dispatcher.totals().map { ($0.name, $0.value) })
        #expect(totals["injected"] == 2)
        #expect(totals["inject-ring-full"] == 1)
        // Stopped PMDs never send what is queued: drain frees it.
        dispatcher.drain()
        #expect(released.mbufs == [Self.mbuf(3), Self.mbuf(4), Self.mbuf(1), Self.mbuf(2)])
    }
}
