import Packet

/// The VTEP's underlay neighbour cache (IPv4 → MAC), kept on the control thread: entries learned from ARP
/// expire unless refreshed, and requests for an address are rate-limited, both per address and overall.
/// Time is passed in (seconds on any monotonic clock), so tests run on a virtual clock.
///
/// What the VXLAN punt handler will drive: it calls `learn` for every ARP packet's sender on the uplink,
/// `requestsDue(now:)` once per control-loop pass to know which ARP requests to send, and publishes the
/// resolved next hops to the encap tables.
public struct UnderlayNeighbours: Sendable {
    public struct Entry: Equatable, Sendable {
        public var mac: EthernetAddress
        /// When it was last confirmed (an ARP packet from it).
        public var confirmed: Double
    }

    /// How long a confirmed entry is used without a new confirmation.
    public var lifetime: Double
    /// Age at which a used entry is refreshed with a new request (before it expires).
    public var refreshAfter: Double
    /// The shortest interval between two requests for one address.
    public var retryInterval: Double
    /// The most requests `requestsDue` returns per second over all addresses.
    public var requestsPerSecond: Int

    public private(set) var entries: [IPv4Address: Entry] = [:]
    /// Addresses traffic needs (next hops), with when a request for each was last sent.
    private var wanted: [IPv4Address: Double?] = [:]
    private var windowStart = -Double.infinity
    private var sentInWindow = 0

    public init(
        lifetime: Double = 300, refreshAfter: Double = 240, retryInterval: Double = 1, requestsPerSecond: Int = 10
    ) {
        precondition(refreshAfter < lifetime && retryInterval > 0 && requestsPerSecond > 0)
        self.lifetime = lifetime
        self.refreshAfter = refreshAfter
        self.retryInterval = retryInterval
        self.requestsPerSecond = requestsPerSecond
    }

    /// The MAC of `address` if it is resolved and has not expired.
    public func lookup(_ address: IPv4Address, now: Double) -> EthernetAddress? {
        guard let entry = entries[address], now - entry.confirmed < lifetime else { return nil }
        return entry.mac
    }

    /// Records what an ARP packet said about its sender. Only addresses the VTEP needs (or already knows)
    /// are kept, so a flood of ARP from the underlay cannot fill the cache.
    public mutating func learn(_ address: IPv4Address, mac: EthernetAddress, now: Double) {
        guard wanted[address] != nil || entries[address] != nil else { return }
        entries[address] = Entry(mac: mac, confirmed: now)
    }

    /// Sets the addresses the VTEP needs resolved (the next hops of its remote VTEPs); others are forgotten.
    public mutating func need(_ addresses: Set<IPv4Address>) {
        wanted = wanted.filter { addresses.contains($0.key) }
        for address in addresses where wanted[address] == nil { wanted[address] = .some(nil) }
        entries = entries.filter { addresses.contains($0.key) }
    }

    /// The addresses to send an ARP request for now: needed ones that are unresolved, expired or due for a
    /// refresh, each at most once per `retryInterval`, at most `requestsPerSecond` per second in all. The
    /// longest-waiting go first (never requested, then the oldest request; ties by address), so addresses
    /// that never answer cannot starve the others. Marks them as requested.
    public mutating func requestsDue(now: Double) -> [IPv4Address] {
        if now - windowStart >= 1 {
            windowStart = now
            sentInWindow = 0
        }
        var due: [IPv4Address] = []
        let order = wanted.keys.sorted { a, b in
            let (lastA, lastB) = (wanted[a] ?? nil, wanted[b] ?? nil)
            if lastA != lastB { return (lastA ?? -Double.infinity) < (lastB ?? -Double.infinity) }
            return a < b
        }
        for address in order {
            guard sentInWindow < requestsPerSecond else { break }
            if let last = wanted[address] ?? nil, now - last < retryInterval { continue }
            if let entry = entries[address], now - entry.confirmed < refreshAfter { continue }
            due.append(address)
            wanted[address] = .some(now)
            sentInWindow += 1
        }
        return due
    }

    /// The addresses the VTEP needs resolved (its remote VTEPs' next hops), in address order.
    public var needed: [IPv4Address] { wanted.keys.sorted() }

    /// Drops expired entries; returns how many.
    @discardableResult
    public mutating func expire(now: Double) -> Int {
        let before = entries.count
        entries = entries.filter { now - $0.value.confirmed < lifetime }
        return before - entries.count
    }
}
