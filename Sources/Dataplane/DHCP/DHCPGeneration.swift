import Config
import DPDK
import Glibc
import Packet
import Pipeline

/// The DHCP part of a generation (docs/dhcp.md): which port slots the stage punts requests from, each one's
/// server address, and each port's address added to its port-security list. `auto` addresses come from the
/// allocations the dataplane keeps (`Dataplane.dhcpAllocations`), which it sets here before it builds a
/// generation.
enum DHCPGeneration {
    /// The `auto` allocations generations are built with. Generations are built on the control thread only.
    nonisolated(unsafe) static var allocations = DHCPAllocations()

    /// The address the responder gives `port` under `config`, or nil: no `dhcp`, a VLAN without a responder,
    /// or an `auto` port the pool has no address for yet (quarantines fill it).
    static func address(of port: PortConfig, in config: SluiceConfig) -> (IPv4Address, DHCPNetworkConfig)? {
        guard let dhcp = port.dhcp, case .access(let vlan) = port.vlanMode,
            let network = config.dhcp.first(where: { $0.vlan == vlan })
        else { return nil }
        switch dhcp.address {
        case .fixed(let address): return (address, network)
        case .auto:
            guard let allocation = allocations.addresses[port.name], allocation.vlan == vlan else { return nil }
            return (allocation.address, network)
        }
    }

    /// `port` with its DHCP address in its port-security IPv4 list (when it has port security), so that its
    /// guest cannot take another address. With the address listed, the list restricts the port as any
    /// `ips` list does (IPv6 only to what `ips` lists besides link-local addresses).
    static func secured(_ port: PortConfig, in config: SluiceConfig) -> PortConfig {
        guard var security = port.portSecurity, let (address, _) = address(of: port, in: config),
            !security.ipv4.contains(address)
        else { return port }
        security.ipv4.append(address)
        var port = port
        port.portSecurity = security
        return port
    }

    /// The stage's tables: the ports (with a device) that have an address, and their VLAN's server.
    static func tables(config: SluiceConfig, slots: [Port?], slotOf: [String: Int], tscHz: UInt64) -> DHCPTables {
        var servers = [IPv4Address?](repeating: nil, count: PortLimit.maxPorts)
        for port in config.ports {
            guard let slot = slotOf[port.name], slots[slot] != nil, let (_, network) = address(of: port, in: config)
            else { continue }
            servers[slot] = network.server
        }
        return DHCPTables(
            servers: servers,
            bucket: TokenBucketSpec(
                tokens: DHCPView.defaultRate, size: DHCPView.defaultBurst, oneTimeBurst: 0, tscHz: tscHz))
    }

    /// Seconds since the epoch: quarantines end at wall-clock times, so that they survive a restart.
    static var now: UInt64 { UInt64(max(time(nil), 0)) }
}

extension Dataplane {
    /// The `auto` ports' addresses and the quarantined ones, as persisted beside the state file.
    public var dhcpAllocations: DHCPAllocations { DHCPGeneration.allocations }

    /// Computes the allocations for `new` before its generations are built; returns the previous ones for
    /// `finishDHCPChange`.
    func beginDHCPChange(to new: SluiceConfig) -> DHCPAllocations {
        let before = DHCPGeneration.allocations
        DHCPGeneration.allocations = new.dhcpAllocations(previous: before, now: DHCPGeneration.now)
        return before
    }

    /// After a change (applied or not): if what runs is not the configuration the allocations were computed
    /// for (the change failed, or was partly restored), they are recomputed from `before` for what runs;
    /// then the responder takes the running bindings.
    func finishDHCPChange(from before: DHCPAllocations, intended: SluiceConfig) {
        if config != intended {
            DHCPGeneration.allocations = config.dhcpAllocations(previous: before, now: DHCPGeneration.now)
        }
        syncDHCP()
    }

    /// Gives the responder the bindings of the running configuration.
    func syncDHCP() {
        var bindings: [UInt16: DHCPServer.Binding] = [:]
        for portConfig in config.ports {
            guard let live = port(named: portConfig.name),
                let (address, network) = DHCPGeneration.address(
                    of: portConfig, in: config)
            else { continue }
            let mode = portConfig.dhcp?.address == .auto ? "auto" : "static"
            bindings[UInt16(live.index)] = DHCPServer.Binding(
                port: portConfig.name, address: address, mode: mode, network: network)
        }
        dhcpServer.configure(bindings)
    }

    /// The DHCP punt handler: the reply is written into a new mbuf and sent on the port the request came from,
    /// through the PMD that punted it; the request is freed.
    func handleDHCPPunt(_ punted: PuntDispatcher.Punted) {
        let request = Mbuf(punted.mbuf)
        defer { request.free() }
        let uptime = startedAt.duration(to: .now).components
        let now = Double(uptime.seconds) + Double(uptime.attoseconds) / 1e18
        let capacity = DHCPServer.replyCapacity
        withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 8) { scratch in
            // A chained mbuf is read as far as its first segment (a request that long is refused anyway).
            guard
                let length = dhcpServer.handle(
                    request.data, length: request.dataLength, slot: punted.port, now: now,
                    reply: scratch.baseAddress!, capacity: capacity)
            else { return }
            guard let reply = pool.allocate() else {
                dhcpServer.countUnsent()
                return
            }
            guard let frame = reply.append(length) else {
                reply.free()
                dhcpServer.countUnsent()
                return
            }
            frame.copyMemory(from: scratch.baseAddress!, byteCount: length)
            punt.inject(reply.raw, port: punted.port, kind: .dhcp, pmd: punted.pmd)
        }
    }
}
