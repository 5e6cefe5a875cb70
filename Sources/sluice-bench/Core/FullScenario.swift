import Config
import Packet

extension BenchScenario {
    /// Every stage a VM's packet meets on its way to another host, each set up as in its own scenario: the
    /// source is a VM on an access port of VLAN 100 with from-vm QoS buckets (never emptied), served by the
    /// metadata intercept (ordinary traffic passes through it), in a permissive security group (every packet
    /// tracked); every destination is behind a remote VTEP, so `l2` hands each frame to `vxlan-encap` and the
    /// uplink (the sink). The metadata service port is a third, idle port.
    static let fullScenarios: [BenchScenario] = [
        BenchScenario(
            "full",
            "vlan access port → qos → metadata (pass-through) → security group with conntrack → l2 → vxlan-encap "
                + "on the uplink (udp-1k)"
        ) { setup in
            try encapsulateToRemoteVTEP(&setup, scenario: "full")
            setup.source.qos = QoSConfig(fromVM: benchUnlimitedBuckets)
            setup.config.ports.append(PortConfig(name: "metadata-service", devargs: "net_null_bench2,no-rx=1"))
            setup.config.metadata = MetadataConfig(
                serviceAddress: IPv4Address(169, 254, 100, 1), servicePort: "metadata-service",
                serviceMAC: EthernetAddress(rawValue: 0x0200_0000_a901), pool: IPv4Address(169, 254, 100, 0),
                poolPrefixLength: 24, rateLimit: MetadataRateLimit(requestsPerSecond: 1_000_000, burst: 1_000_000))
            setup.source.metadata = MetadataPortConfig(instanceID: "i-bench")
            addPermissiveGroup(&setup)
            setup.source.securityGroups = ["bench"]
        }
    ]
}
