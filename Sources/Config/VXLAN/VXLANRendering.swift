/// The `vxlan` section as a document (absent when no VTEP is configured).
extension VXLANConfig {
    var document: ConfigDocument {
        .map([
            "uplink": .string(uplink),
            "address": .string("\(address)/\(prefixLength)"),
            "underlay-vlan": underlayVLAN.map { .int(Int($0)) },
            "gateway": gateway.map { .string($0.description) },
            "mtu": .int(mtu),
            "ttl": .int(ttl),
            "vnis": .list(vnis.map(\.document)),
            "remote-macs": .list(remoteMACs.map(\.document)),
        ])
    }
}

extension VNIConfig {
    var document: ConfigDocument {
        .map([
            "vni": .int(Int(vni)),
            "vlan": .int(Int(vlan)),
            "flood": .list(flood.map { .string($0.description) }),
        ])
    }
}

extension RemoteMACConfig {
    var document: ConfigDocument {
        .map([
            "mac": .string(mac.description),
            "vni": .int(Int(vni)),
            "vtep": .string(vtep.description),
        ])
    }
}
