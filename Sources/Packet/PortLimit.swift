/// The most ports one Sluice instance can have: the one number behind the configuration's limit
/// (`Limits.ports` in Config), the size of the pipeline's port tables and the dataplane's port slots
/// (`0 ..< maxPorts`).
///
/// Why here: Config and Pipeline both need it and neither depends on the other; both depend on Packet.
/// Why a computed `@inlinable` property and not a `static let`: a stored global of another module is read
/// through a lazy initialiser (`swift_once`), which `tools/check-fastpath` forbids on the PMD loop; this
/// folds to a constant wherever it is used.
///
/// Port sets on the fast path are `PortSet`s (one bit per slot, `PortSet.wordCount` words: a membership test
/// is one load whatever this is); floods walk each VLAN's list of member slots (`BridgeView.floodSlots`), so
/// their cost is that of the VLAN's members, not of this limit. Per-port arrays on every PMD (QoS and DHCP
/// buckets, tx targets, counters) are sized by it: see docs/architecture.md, "Port slots", for the memory.
@frozen
public enum PortLimit {
    @inlinable public static var maxPorts: Int { 1024 }

    /// The most DPDK ethdev ports (NICs, taps, pcap, af_packet, ...): `RTE_MAX_ETHPORTS` of the DPDK build
    /// Sluice is built against (32 in Debian's 22.11; `PipelineTests` checks it against the header).
    /// vhost-user ports are driven through rte_vhost and are not ethdevs: they do not count.
    @inlinable public static var maxEthdevPorts: Int { 32 }
}
