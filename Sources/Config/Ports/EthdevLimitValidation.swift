import Packet

extension Validator {
    /// Every port but a vhost-user one is a DPDK ethdev, and DPDK as built has at most `RTE_MAX_ETHPORTS` of
    /// them (`PortLimit.maxEthdevPorts`): the first port past that is refused here, by `--check-config` and
    /// `port.add` alike, rather than failing to attach at start-up. vhost-user ports are driven through
    /// rte_vhost and do not count.
    func validateEthdevLimit() {
        let ports = config.ports
        // More ports than the switch has slots is reported on its own.
        guard isKnown("ports"), Limits.ports.contains(ports.count) else { return }
        let ethdevs = ports.indices.filter { ports[$0].vhostUser == nil && isKnown(KeyPath.element("ports", $0)) }
        let limit = PortLimit.maxEthdevPorts
        guard ethdevs.count > limit else { return }
        report(
            KeyPath.element("ports", ethdevs[limit]),
            "is DPDK device number \(limit + 1), but this DPDK build supports at most \(limit) (RTE_MAX_ETHPORTS): "
                + "NICs, taps, pcap, af_packet and other devargs ports count, vhost-user ports do not (they are "
                + "driven through rte_vhost); there are \(ethdevs.count) such ports")
    }
}
