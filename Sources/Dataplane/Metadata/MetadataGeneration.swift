import Config
import DPDK
import Packet
import Pipeline
import Synchronization

/// What outlives generations: the NAT table and the request buckets' state (shared by every PMD), and what
/// each slot was last built for, so that a new generation resets only the buckets whose limit or port
/// changed and clears the NAT entries of a slot whose port, pool address or service changed. Control
/// thread only; the PMDs reach the memory through their generation's `MetadataView`.
final class MetadataShared {
    nonisolated(unsafe) static var shared = MetadataShared()

    let nat = MetadataNAT()
    let buckets = MetadataTables.allocateBuckets()
    private var applied: [Int: Applied] = [:]

    struct Applied: Equatable {
        var port: ObjectIdentifier
        var address: IPv4Address
        var limit: MetadataRateLimit
        var service: IPv4Address
        var servicePort: Int
    }

    private init() {}

    /// Records what `slot` is built for now; returns whether its bucket must be reset (a new limit or port).
    /// A slot whose port, address or service changed loses its NAT entries.
    func apply(slot: Int, _ now: Applied?) -> Bool {
        let before = applied[slot]
        applied[slot] = now
        if let before,
            before.port != now?.port || before.address != now?.address || before.service != now?.service
                || before.servicePort != now?.servicePort
        {
            nat.clear(slot: slot)
        }
        return now != nil && (before?.port != now?.port || before?.limit != now?.limit)
    }
}

/// Builds a generation's metadata tables from the configuration (nil: the intercept is off).
enum MetadataGeneration {
    static func tables(config: SluiceConfig, slots: [Port?], slotOf: [String: Int], tscHz: UInt64) -> MetadataTables? {
        let shared = MetadataShared.shared
        var built: [Int: MetadataShared.Applied] = [:]
        var clients: [MetadataClient] = []
        let metadata = config.metadata
        let serviceSlot = metadata.flatMap { slotOf[$0.servicePort] }
        if let metadata, let serviceSlot {
            for client in config.metadataClients {
                guard let slot = slotOf[client.port], let port = slots[slot] else { continue }
                built[slot] = MetadataShared.Applied(
                    port: ObjectIdentifier(port), address: client.address, limit: client.rateLimit,
                    service: metadata.serviceAddress, servicePort: metadata.serviceTCPPort)
                clients.append(
                    MetadataClient(
                        slot: UInt16(slot), address: client.address,
                        requestsPerSecond: UInt64(client.rateLimit.requestsPerSecond),
                        burst: UInt64(client.rateLimit.burst)))
            }
            _ = serviceSlot
        }
        var reset = Set<Int>()
        for slot in 0..<ForwardingTables.maxPorts where shared.apply(slot: slot, built[slot]) { reset.insert(slot) }
        guard let metadata, let serviceSlot else { return nil }
        let spec = MetadataSpec(
            intercept: metadata.address, interceptPort: UInt16(metadata.tcpPort), service: metadata.serviceAddress,
            servicePort: UInt16(metadata.serviceTCPPort), serviceSlot: UInt16(serviceSlot),
            serviceMAC: metadata.serviceMAC, gatewayMAC: metadata.mac, hopLimit: UInt8(metadata.hopLimit),
            clients: clients)
        return MetadataTables(
            spec, nat: shared.nat, buckets: shared.buckets, tscHz: tscHz, now: readTSC(),
            resetting: { reset.contains($0) })
    }
}

extension Dataplane {
    /// Removes the NAT entries that were idle for `metadata.nat-idle-seconds`, or closing (FIN or RST seen)
    /// and idle for `metadata.nat-linger-seconds`; returns how many. The control loop's periodic work.
    @discardableResult
    public func expireMetadataFlows() -> Int {
        guard let metadata = config.metadata else { return 0 }
        let hz = max(EAL.tscHz, 1)
        return MetadataShared.shared.nat.expire(
            now: readTSC(), idle: UInt64(metadata.natIdleSeconds) * hz, linger: UInt64(metadata.natLingerSeconds) * hz)
    }
}
