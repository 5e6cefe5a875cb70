/// Limits of particular DPDK drivers that their generic keys would otherwise only meet at start-up, as an
/// errno from `rte_eth_dev_configure`. (net_vhost's MTU is in VhostUserValidation.swift.)
extension Validator {
    func validateDriverLimits(of port: PortConfig, at path: String, mask: UInt64?) {
        guard port.vhostUser == nil else { return }
        let key = { (name: String) in KeyPath.child(path, name) }
        guard isKnown(key("devargs")), port.deviceName.hasPrefix(Devargs.tapPrefix) else { return }
        // net_tap pairs queue i's rx and tx on one file descriptor of the interface: it refuses unequal counts.
        guard isKnown(key("rx-queues")), Limits.queues.contains(port.rxQueues) else { return }
        let txQueues: Int
        let txSource: String
        if let explicit = port.txQueues {
            guard isKnown(key("tx-queues")), Limits.queues.contains(explicit) else { return }
            txQueues = explicit
            txSource = "\(key("tx-queues")) is \(explicit)"
        } else {
            guard let mask else { return }
            txQueues = mask.nonzeroBitCount
            txSource =
                "the port gets \(txQueues) tx \(txQueues == 1 ? "queue" : "queues") (one per PMD thread of "
                + "eal.pmd-cpu-mask \(hex(mask)))"
        }
        guard port.rxQueues != txQueues else { return }
        let fix =
            port.txQueues == nil
            ? "set \(key("rx-queues")): \(txQueues)"
            : "make \(key("rx-queues")) and \(key("tx-queues")) equal (tx-queues at least the PMD threads)"
        report(
            port.txQueues == nil ? key("rx-queues") : key("tx-queues"),
            "net_tap needs as many rx queues as tx queues, but \(key("rx-queues")) is \(port.rxQueues) and "
                + "\(txSource); \(fix)")
    }
}
