import Config
import ControlProtocol
import DPDK
import Pipeline

extension Dataplane {
    /// `metadata.clients`: every served port with its pool address, instance id, and the port security's MAC
    /// and first IPv4 address and the access VLAN, in configuration order.
    public func metadataClients() -> [ControlProtocol.MetadataClient] {
        config.metadataClients.map { client in
            let port = config.ports.first { $0.name == client.port }
            var vlan: Int? = nil
            if case .access(let id) = port?.vlan ?? .access(vlan: VLANMode.defaultVLAN) { vlan = Int(id) }
            return ControlProtocol.MetadataClient(
                address: client.address.description, port: client.port, instanceID: client.instanceID,
                mac: port?.portSecurity?.mac.description, ipv4: port?.portSecurity?.ipv4.first?.description,
                vlan: vlan)
        }
    }

    /// `metadata.nat`: the live NAT entries of the served ports.
    public func metadataNAT() -> [MetadataNATEntry] {
        let now = readTSC()
        let hz = Double(max(EAL.tscHz, 1))
        var entries: [MetadataNATEntry] = []
        for client in config.metadataClients {
            guard let slot = slot(of: client.port) else { continue }
            let flows = MetadataShared.shared.nat.flows(slot: slot).sorted { $0.flow.guestPort < $1.flow.guestPort }
            for (flow, lastSeen) in flows {
                let idle = now >= lastSeen ? Double(now - lastSeen) / hz : 0
                entries.append(
                    MetadataNATEntry(
                        port: client.port, poolAddress: client.address.description, guestPort: Int(flow.guestPort),
                        guestAddress: flow.guestAddress.description, guestMAC: flow.guestMAC.description,
                        addressedMAC: flow.addressedMAC.description, closing: flow.closing,
                        idleSeconds: (idle * 10).rounded() / 10))
            }
        }
        return entries
    }
}
