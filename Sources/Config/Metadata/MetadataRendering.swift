/// The `metadata` section as a document.
extension MetadataConfig {
    var document: ConfigDocument {
        .map([
            "address": .string(address.description),
            "tcp-port": .int(tcpPort),
            "service-address": .string(serviceAddress.description),
            "service-tcp-port": .int(serviceTCPPort),
            "service-port": .string(servicePort),
            "service-mac": .string(serviceMAC.description),
            "mac": .string(mac.description),
            "pool": .string("\(pool)/\(poolPrefixLength)"),
            "hop-limit": .int(hopLimit),
            "nat-idle-seconds": .int(natIdleSeconds),
            "nat-linger-seconds": .int(natLingerSeconds),
            "rate-limit": rateLimit.document,
            "vlans": vlans.isEmpty ? nil : .list(vlans.map { .int(Int($0)) }),
            "addresses": addresses.isEmpty
                ? nil
                : .list(addresses.map { .map(["port": .string($0.port), "address": .string($0.address.description)]) }),
        ])
    }
}

extension MetadataRateLimit {
    var document: ConfigDocument {
        .map(["requests-per-second": .int(requestsPerSecond), "burst": .int(burst)])
    }
}

/// The metadata part of a port's document: its `metadata:` sub-mapping.
extension PortConfig {
    var metadataEntries: [ConfigDocument.Entry] {
        ConfigDocument.entries(["metadata": metadata?.document])
    }
}

extension MetadataPortConfig {
    var document: ConfigDocument {
        .map([
            "enabled": .bool(enabled),
            "instance-id": instanceID.map(ConfigDocument.string),
            "rate-limit": rateLimit?.document,
        ])
    }
}
