import Packet

@testable import Config

/// DHCP's part of the rich configs: a responder for the access VLAN of port p1 on each side (every key,
/// different values), p1 with a static address on one side and `auto` on the other.
enum DHCPRich {
    static func file(_ base: SluiceConfig) -> SluiceConfig {
        var config = base
        config.dhcp = [
            DHCPNetworkConfig(
                vlan: 100, subnet: IPv4Address(10, 0, 100, 0), prefixLength: 24, server: IPv4Address(10, 0, 100, 2),
                serverMAC: EthernetAddress(rawValue: 0x0200_0000_0100), router: IPv4Address(10, 0, 100, 1),
                dns: [IPv4Address(10, 0, 100, 1), IPv4Address(9, 9, 9, 9)], domain: "tenant.example",
                leaseSeconds: 3600, mtu: 1450,
                routes: [
                    DHCPRouteConfig(
                        destination: IPv4Address(169, 254, 169, 254), prefixLength: 32, via: IPv4Address(10, 0, 100, 1))
                ],
                pool: DHCPPoolConfig(first: IPv4Address(10, 0, 100, 100), last: IPv4Address(10, 0, 100, 199)))
        ]
        config.ports[1].dhcp = DHCPPortConfig(address: .fixed(IPv4Address(10, 0, 100, 5)))
        return config
    }

    static func state(_ base: SluiceConfig) -> SluiceConfig {
        var config = base
        config.dhcp = [
            DHCPNetworkConfig(
                vlan: 200, subnet: IPv4Address(172, 16, 0, 0), prefixLength: 16, server: IPv4Address(172, 16, 0, 2),
                serverMAC: EthernetAddress(rawValue: 0x0200_0000_0200), router: IPv4Address(172, 16, 0, 1),
                dns: [IPv4Address(172, 16, 0, 53)], domain: "other.example", leaseSeconds: 7200, mtu: 1400,
                routes: [
                    DHCPRouteConfig(
                        destination: IPv4Address(10, 0, 0, 0), prefixLength: 8, via: IPv4Address(172, 16, 0, 254))
                ],
                pool: DHCPPoolConfig(first: IPv4Address(172, 16, 1, 0), last: IPv4Address(172, 16, 1, 255)))
        ]
        config.ports[1].dhcp = DHCPPortConfig(address: .auto)
        return config
    }
}
