import Packet
import Synchronization

/// A VM port the metadata intercept serves: its slot, its stable pool address (the identity the service
/// sees) and its request rate limit (new TCP connections per second and burst; nil: unlimited).
public struct MetadataClient: Sendable, Equatable {
    public var slot: UInt16
    public var address: IPv4Address
    public var requestsPerSecond: UInt64?
    public var burst: UInt64

    public init(slot: UInt16, address: IPv4Address, requestsPerSecond: UInt64? = nil, burst: UInt64 = 1) {
        self.slot = slot
        self.address = address
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }
}

/// What the metadata stage is built from (docs/metadata.md): the intercepted address and TCP port, the
/// service behind the service port, the MACs on the service side, the hop limit of replies and the clients.
public struct MetadataSpec: Sendable, Equatable {
    public var intercept: IPv4Address
    public var interceptPort: UInt16
    public var service: IPv4Address
    public var servicePort: UInt16
    /// The port slot that leads to the service (a `net_tap` port on the host, typically).
    public var serviceSlot: UInt16
    /// The service host's MAC on the service port: the destination of rewritten requests.
    public var serviceMAC: EthernetAddress
    /// Sluice's own MAC: the source of rewritten requests, and the answer to ARP for pool addresses (from the
    /// host) and for the intercepted address (from guests).
    public var gatewayMAC: EthernetAddress
    /// The largest IP TTL of a reply towards a guest (1: IMDSv2's default, the reply dies one hop further).
    public var hopLimit: UInt8
    public var clients: [MetadataClient]

    public init(
        intercept: IPv4Address = IPv4Address(169, 254, 169, 254), interceptPort: UInt16 = 80, service: IPv4Address,
        servicePort: UInt16, serviceSlot: UInt16, serviceMAC: EthernetAddress, gatewayMAC: EthernetAddress,
        hopLimit: UInt8 = 1, clients: [MetadataClient]
    ) {
        self.intercept = intercept
        self.interceptPort = interceptPort
        self.service = service
        self.servicePort = servicePort
        self.serviceSlot = serviceSlot
        self.serviceMAC = serviceMAC
        self.gatewayMAC = gatewayMAC
        self.hopLimit = hopLimit
        self.clients = clients
    }
}

/// What the metadata stage reads, as plain values and pointers: which slots are served (a port set, so an
/// ordinary burst from any other port costs one test), their pool addresses and rate limits, the shared
/// bucket state and the shared NAT table.
@frozen
public struct MetadataView: @unchecked Sendable {
    /// The served VM ports.
    public var enabled: PortSet
    /// The slots with a request rate limit.
    public var limited: PortSet
    /// The service port's slot, `PacketMeta.noEgress` when the intercept is off.
    public var serviceSlot: UInt16
    public var intercept: IPv4Address
    public var interceptPort: UInt16
    public var service: IPv4Address
    public var servicePort: UInt16
    public var serviceMAC: EthernetAddress
    public var gatewayMAC: EthernetAddress
    public var hopLimit: UInt8
    /// `maxPorts` entries: the pool address of each served slot.
    public var poolAddresses: UnsafePointer<UInt32>?
    /// `maxPorts` entries: the rate limit of each limited slot.
    public var limits: UnsafePointer<TokenBucketSpec>?
    /// Two words per slot (empty time, one-time burst): the request buckets, shared by every PMD.
    public var buckets: UnsafeMutablePointer<Atomic<UInt64>>?
    public var nat: MetadataNATView?

    /// The intercept off: no slot served.
    @inlinable public static var off: MetadataView {
        MetadataView(
            enabled: .none, limited: .none, serviceSlot: PacketMeta.noEgress, intercept: IPv4Address(rawValue: 0),
            interceptPort: 0, service: IPv4Address(rawValue: 0), servicePort: 0, serviceMAC: .zero, gatewayMAC: .zero,
            hopLimit: 1, poolAddresses: nil, limits: nil, buckets: nil, nat: nil)
    }

    public init(
        enabled: PortSet, limited: PortSet, serviceSlot: UInt16, intercept: IPv4Address, interceptPort: UInt16,
        service: IPv4Address, servicePort: UInt16, serviceMAC: EthernetAddress, gatewayMAC: EthernetAddress,
        hopLimit: UInt8, poolAddresses: UnsafePointer<UInt32>?, limits: UnsafePointer<TokenBucketSpec>?,
        buckets: UnsafeMutablePointer<Atomic<UInt64>>?, nat: MetadataNATView?
    ) {
        self.enabled = enabled
        self.limited = limited
        self.serviceSlot = serviceSlot
        self.intercept = intercept
        self.interceptPort = interceptPort
        self.service = service
        self.servicePort = servicePort
        self.serviceMAC = serviceMAC
        self.gatewayMAC = gatewayMAC
        self.hopLimit = hopLimit
        self.poolAddresses = poolAddresses
        self.limits = limits
        self.buckets = buckets
        self.nat = nat
    }

    /// Whether bursts from `ingress` go through the stage: a served VM port or the service port. One test
    /// for every other burst (what `SwitchPipeline` asks before calling the stage).
    @inlinable @inline(__always)
    public func serves(_ ingress: UInt16) -> Bool {
        ingress == serviceSlot || servesVM(ingress)
    }

    /// Whether `ingress` is a served VM port.
    @inlinable @inline(__always)
    public func servesVM(_ ingress: UInt16) -> Bool {
        Int(ingress) < PortLimit.maxPorts && enabled.contains(Int(ingress))
    }

    /// The served slot whose pool address is `address`, or -1. A scan of the served slots: replies are the
    /// service's few packets, not the bridge's traffic.
    @inlinable @inline(__always)
    public func slot(ofPoolAddress address: IPv4Address) -> Int {
        let pool = poolAddresses.unsafelyUnwrapped
        for word in 0..<PortSet.wordCount {
            var remaining = enabled.words[word]
            while remaining != 0 {
                let slot = word &<< 6 | remaining.trailingZeroBitCount
                remaining &= remaining &- 1
                if pool[slot] == address.rawValue { return slot }
            }
        }
        return -1
    }

    /// The request bucket of a limited slot.
    @inlinable @inline(__always)
    public func bucket(slot: Int) -> TokenBucketState {
        TokenBucketState(words: buckets.unsafelyUnwrapped + slot &* 2)
    }
}

/// The memory of one set of metadata tables, built off the fast path from a `MetadataSpec`; `view` is what
/// the stage reads. The NAT table and the buckets' state are given (they outlive a set of tables: the
/// dataplane keeps one of each); a new set resets the buckets of the slots it limits.
public final class MetadataTables: @unchecked Sendable {
    // @unchecked: immutable after init; the PMDs read it through `view`.
    public let view: MetadataView
    let pool: UnsafeMutablePointer<UInt32>
    let limits: UnsafeMutablePointer<TokenBucketSpec>
    let enabled: PortSet
    let limited: PortSet

    /// Allocates bucket state for every slot (two words each), for `MetadataTables.init(_:...)`.
    public static func allocateBuckets() -> UnsafeMutablePointer<Atomic<UInt64>> {
        let words = PortLimit.maxPorts * 2
        let raw = UnsafeMutableRawPointer.allocate(byteCount: words * 8, alignment: 64)
        let base = raw.bindMemory(to: Atomic<UInt64>.self, capacity: words)
        for i in 0..<words { (base + i).initialize(to: Atomic(0)) }
        return base
    }

    /// - Parameter resetting: which limited slots' buckets start again full (default: all of them); the
    ///   others keep their tokens across generations.
    public init(
        _ spec: MetadataSpec, nat: MetadataNAT, buckets: UnsafeMutablePointer<Atomic<UInt64>>, tscHz: UInt64,
        now: UInt64, resetting: (Int) -> Bool = { _ in true }
    ) {
        let maxPorts = PortLimit.maxPorts
        pool = .allocate(capacity: maxPorts)
        pool.initialize(repeating: 0, count: maxPorts)
        limits = .allocate(capacity: maxPorts)
        let unlimited = TokenBucketSpec(tokens: 1, size: 1, oneTimeBurst: 0, tscHz: max(tscHz, 1))
        limits.initialize(repeating: unlimited, count: maxPorts)
        enabled = PortSet.allocate()
        limited = PortSet.allocate()
        for client in spec.clients where Int(client.slot) < maxPorts {
            let slot = Int(client.slot)
            enabled.insert(slot)
            pool[slot] = client.address.rawValue
            if let rate = client.requestsPerSecond, rate > 0 {
                limited.insert(slot)
                limits[slot] = TokenBucketSpec(
                    tokens: rate, size: max(client.burst, 1), oneTimeBurst: 0, tscHz: max(tscHz, 1))
                if resetting(slot) { TokenBucketState(words: buckets + slot * 2).reset(limits[slot], at: now) }
            }
        }
        view = MetadataView(
            enabled: enabled, limited: limited, serviceSlot: spec.serviceSlot, intercept: spec.intercept,
            interceptPort: spec.interceptPort, service: spec.service, servicePort: spec.servicePort,
            serviceMAC: spec.serviceMAC, gatewayMAC: spec.gatewayMAC, hopLimit: spec.hopLimit,
            poolAddresses: UnsafePointer(pool), limits: UnsafePointer(limits), buckets: buckets, nat: nat.view)
    }

    deinit {
        pool.deallocate()
        limits.deallocate()
        enabled.deallocate()
        limited.deallocate()
    }
}
