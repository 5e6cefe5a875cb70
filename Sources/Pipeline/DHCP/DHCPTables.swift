import Packet

/// One generation's DHCP tables: the stage's view and the per-slot server addresses it points to. Built off
/// the fast path by the dataplane (Dataplane/DHCP/DHCPGeneration.swift), read-only once published, freed
/// with the generation.
public final class DHCPTables: @unchecked Sendable {
    // @unchecked: immutable after init; PMDs only read.
    public let view: DHCPView
    private let servers: UnsafeMutablePointer<UInt32>
    private let enabled: PortSet

    /// - Parameters:
    ///   - servers: by port slot, the server address of the VLAN whose responder answers the port (nil: the
    ///     port has no DHCP); the ports with one form the enabled set.
    ///   - bucket: each port's request limit.
    public init(servers slots: [IPv4Address?], bucket: TokenBucketSpec) {
        servers = .allocate(capacity: PortLimit.maxPorts)
        servers.initialize(repeating: 0, count: PortLimit.maxPorts)
        enabled = PortSet.allocate()
        for (slot, server) in slots.prefix(PortLimit.maxPorts).enumerated() {
            guard let server else { continue }
            servers[slot] = server.rawValue
            enabled.insert(slot)
        }
        view = DHCPView(enabled: enabled, bucket: bucket, servers: UnsafePointer(servers))
    }

    deinit {
        servers.deallocate()
        enabled.deallocate()
    }
}
