import Config
import ControlProtocol
import Packet

extension Dataplane {
    /// `dhcp.show`: each VLAN's responder with its pool's use, each port with DHCP and its client, and the
    /// responder's counters that are not 0.
    public func dhcpStatus() -> DHCPStatus {
        let allocations = dhcpAllocations
        let now = Double(startedAt.duration(to: .now).components.seconds)
        var ports: [DHCPPortStatus] = []
        var portsPerVLAN: [UInt16: Int] = [:]
        for portConfig in config.ports {
            guard let dhcp = portConfig.dhcp, case .access(let vlan) = portConfig.vlanMode else { continue }
            portsPerVLAN[vlan, default: 0] += 1
            let served = DHCPGeneration.address(of: portConfig, in: config)
            let client = dhcpServer.clients[portConfig.name]
            ports.append(
                DHCPPortStatus(
                    port: portConfig.name, vlan: vlan, mode: dhcp.address == .auto ? "auto" : "static",
                    address: served.map { "\($0.0)" }, state: client?.state ?? "new",
                    clientMAC: client.map { "\($0.clientMAC)" }, clientID: client?.clientID,
                    hostname: client?.hostname, lastLeaseAgeSeconds: client?.leasedAt.map { max(now - $0, 0) },
                    leaseSeconds: client?.leaseSeconds))
        }
        let networks = config.dhcp.map { network in
            let pool = network.pool
            let allocated = allocations.addresses.values.filter {
                $0.vlan == network.vlan && pool?.contains($0.address) == true
            }.count
            let quarantined = allocations.quarantined.keys.filter {
                $0.vlan == network.vlan && pool?.contains($0.address) == true
            }.count
            return DHCPNetworkStatus(
                vlan: network.vlan, subnet: "\(network.subnet)/\(network.prefixLength)", server: "\(network.server)",
                serverMAC: "\(network.serverMAC)", pool: pool?.description, poolSize: pool?.count ?? 0,
                poolAllocated: allocated, poolQuarantined: quarantined, ports: portsPerVLAN[network.vlan] ?? 0)
        }
        return DHCPStatus(networks: networks, ports: ports, counters: dhcpServer.counters.filter { $0.value != 0 })
    }
}
