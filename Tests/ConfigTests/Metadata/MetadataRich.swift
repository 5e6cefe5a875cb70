import Packet

@testable import Config

/// The metadata intercept's part of the rich configs: every key on each side with different values, p4 the
/// service port, p1 (an access port of VLAN 100) served on one side and turned off on the other.
enum MetadataRich {
    static func file(_ base: SluiceConfig) -> SluiceConfig {
        var config = base
        config.metadata = MetadataConfig(
            address: IPv4Address(169, 254, 169, 254), tcpPort: 80, serviceAddress: IPv4Address(169, 254, 100, 1),
            serviceTCPPort: 8775, servicePort: "p4", serviceMAC: EthernetAddress(rawValue: 0x0200_0000_a901),
            mac: EthernetAddress(rawValue: 0x0200_a9fe_a9fe), pool: IPv4Address(169, 254, 100, 0),
            poolPrefixLength: 24, hopLimit: 1, natIdleSeconds: 300, natLingerSeconds: 2,
            rateLimit: MetadataRateLimit(requestsPerSecond: 10, burst: 20), vlans: [100],
            addresses: [MetadataAddressConfig(port: "p1", address: IPv4Address(169, 254, 100, 7))])
        config.ports[1].metadata = MetadataPortConfig(
            enabled: true, instanceID: "i-0123456789abcdef0",
            rateLimit: MetadataRateLimit(requestsPerSecond: 5, burst: 10))
        return config
    }

    static func state(_ base: SluiceConfig) -> SluiceConfig {
        var config = base
        config.metadata = MetadataConfig(
            address: IPv4Address(169, 254, 169, 253), tcpPort: 8080, serviceAddress: IPv4Address(169, 254, 200, 1),
            serviceTCPPort: 80, servicePort: "p2", serviceMAC: EthernetAddress(rawValue: 0x0200_0000_a902),
            mac: EthernetAddress(rawValue: 0x0200_a9fe_a9fd), pool: IPv4Address(169, 254, 200, 0),
            poolPrefixLength: 22, hopLimit: 2, natIdleSeconds: 600, natLingerSeconds: 5,
            rateLimit: MetadataRateLimit(requestsPerSecond: 20, burst: 40), vlans: [200],
            addresses: [MetadataAddressConfig(port: "p2", address: IPv4Address(169, 254, 200, 9))])
        config.ports[1].metadata = MetadataPortConfig(
            enabled: false, instanceID: "i-0fedcba9876543210",
            rateLimit: MetadataRateLimit(requestsPerSecond: 1, burst: 1))
        return config
    }
}
