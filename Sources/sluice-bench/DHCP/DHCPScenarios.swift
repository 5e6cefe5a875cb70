import Config
import Packet

extension BenchScenario {
    static let dhcpScenarios: [BenchScenario] = [
        BenchScenario(
            "dhcp-enabled",
            "l2, with a DHCP responder on the source's VLAN and a DHCP address on both ports (no request in the trace)"
        ) { setup in
            setup.knowDestinationsOnSink()
            guard case .access(let vlan) = setup.source.vlanMode else { return }
            setup.config.dhcp = [
                DHCPNetworkConfig(
                    vlan: vlan, subnet: IPv4Address(10, 250, 0, 0), prefixLength: 24,
                    server: IPv4Address(10, 250, 0, 2),
                    serverMAC: EthernetAddress(0x02, 0x00, 0x00, 0x00, 0xdc, 0x01), router: IPv4Address(10, 250, 0, 1),
                    mtu: 1450)
            ]
            setup.source.dhcp = DHCPPortConfig(address: .fixed(IPv4Address(10, 250, 0, 5)))
            if setup.sink.vlanMode == setup.source.vlanMode {
                setup.sink.dhcp = DHCPPortConfig(address: .fixed(IPv4Address(10, 250, 0, 6)))
            }
        }
    ]
}
