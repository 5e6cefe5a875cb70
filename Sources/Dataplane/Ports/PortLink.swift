import DPDK

extension Port {
    /// Whether the port has link. DPDK's link state, except for a tap whose interface DPDK cannot see: a tap
    /// moved into another network namespace reads as down to DPDK, so its flags are read where it lives
    /// (`TapLink`). A tap that is really down there (or unplugged, or deleted) is still reported down.
    /// A vhost-user port has link while a guest is attached.
    var hasLink: Bool {
        if let vhostSocket { return vhostSocket.state.connected }
        guard let ethPort else { return false }
        if ethPort.link.up { return true }
        guard info.driverName == "net_tap", let interface = tapInterface else { return false }
        return TapLink.isUp(interface: interface) ?? false
    }

    /// The `iface=` of a net_tap port's devargs, if given.
    private var tapInterface: String? {
        config.resolvedDevargs.split(separator: ",").lazy
            .first { $0.hasPrefix("iface=") }
            .map { String($0.dropFirst("iface=".count)) }
    }
}
