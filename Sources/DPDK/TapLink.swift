import CDPDK

/// The link of a Linux tap interface as its user sees it, in whichever network namespace it lives now.
///
/// DPDK's net_tap reports link by reading the interface's flags by name in this process's namespace; once
/// the interface has been moved into another namespace (where the host, container or VM using it lives),
/// that lookup fails and the port reads as link down even though the interface is up there and passes
/// traffic. This asks the kernel through the tun descriptor the port holds (`sl_tap_link_state`).
public enum TapLink {
    /// Whether `interface` is up and running (IFF_UP and IFF_RUNNING) in its namespace; nil when this process
    /// holds no tap of that name or the kernel cannot tell (older than Linux 5.2).
    public static func isUp(interface: String) -> Bool? {
        let state = sl_tap_link_state(interface)
        return state < 0 ? nil : state == 1
    }
}
