import Packet

/// One generation's DHCP tables: the stage's view and the per-slot server addresses it points to. Built off
/// the fast path by the dataplane (Dataplane/DHCP/DHCPGeneration.swift), read-only once published, freed
/// with the generation.
public final class DHCPTables: @unchecked Sendable {
    // @unchecked: immutable after init; PMDs only read.
    public let view: DHCPView
    private let servers: UnsafeMutablePointer<UInt32>

    /// - Parameters:
    ///   - servers: by port slot, the server address of the VLAN whose responder answers the port (nil: the
    ///     port has no DHCP); the ports with one form the enabled mask.
    ///   - bucket: each port's request limit.
    public init(servers slots: [IPv4Address?], bucket: TokenBucketSpec) {
        servers = .allocate(capacity: PortLimit.maxPorts)
        servers.initialize(repeating: 0, count: PortLimit.maxPorts)
        var mask: UInt64 = 0
        for (slot, server) in slots.prefix(PortLimit.maxPorts).enumerated() {
            guard let server else { continue }
            servers[slot] = server.rawValue
            mask |= UInt64(1) << UInt64(slot)
        }
        view = DHCPView(enabledMask: mask, bucket: bucket, servers: UnsafePointer(servers))
    }

    deinit { servers.deallocate() }
}
