import Packet
import Testing

@testable import Dataplane

/// The underlay neighbour cache on a virtual clock.
@Suite struct UnderlayNeighbourTests {
    static let gateway = IPv4Address(192, 0, 2, 254)
    static let peer = IPv4Address(192, 0, 2, 2)
    static let mac = EthernetAddress(rawValue: 0x5254_0000_00fe)

    @Test func resolvesRefreshesAndExpires() {
        var cache = UnderlayNeighbours(lifetime: 300, refreshAfter: 240, retryInterval: 1, requestsPerSecond: 10)
        cache.need([Self.gateway])
        #expect(cache.lookup(Self.gateway, now: 0) == nil)
        #expect(cache.requestsDue(now: 0) == [Self.gateway])
        // Retried once per second while unanswered.
        #expect(cache.requestsDue(now: 0.5) == [])
        #expect(cache.requestsDue(now: 1.0) == [Self.gateway])
        cache.learn(Self.gateway, mac: Self.mac, now: 1.2)
        #expect(cache.lookup(Self.gateway, now: 1.2) == Self.mac)
        #expect(cache.requestsDue(now: 100) == [])
        // Refreshed before it expires; still used meanwhile.
        #expect(cache.requestsDue(now: 241.2) == [Self.gateway])
        #expect(cache.lookup(Self.gateway, now: 250) == Self.mac)
        // Unanswered: gone after its lifetime.
        #expect(cache.lookup(Self.gateway, now: 301.2) == nil)
        #expect(cache.expire(now: 301.2) == 1)
        #expect(cache.entries.isEmpty)
    }

    @Test func learnsOnlyWhatItNeeds() {
        var cache = UnderlayNeighbours()
        cache.need([Self.gateway])
        cache.learn(Self.peer, mac: Self.mac, now: 0)
        #expect(cache.lookup(Self.peer, now: 0) == nil)
        cache.learn(Self.gateway, mac: Self.mac, now: 0)
        cache.need([Self.peer])
        #expect(cache.lookup(Self.gateway, now: 0) == nil)
        #expect(cache.requestsDue(now: 0) == [Self.peer])
    }

    @Test func requestsAreRateLimitedOverall() {
        var cache = UnderlayNeighbours(retryInterval: 1, requestsPerSecond: 3)
        let addresses = (1...10).map { IPv4Address(10, 0, 0, UInt8($0)) }
        cache.need(Set(addresses))
        #expect(cache.requestsDue(now: 0) == Array(addresses[0..<3]))
        #expect(cache.requestsDue(now: 0.5) == [])
        // None answers: the longest-waiting go first, so every address gets its request in turn.
        #expect(cache.requestsDue(now: 1) == Array(addresses[3..<6]))
        #expect(cache.requestsDue(now: 2) == Array(addresses[6..<9]))
        #expect(cache.requestsDue(now: 3) == [addresses[9]] + Array(addresses[0..<2]))
    }
}
