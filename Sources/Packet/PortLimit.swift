/// The most ports one Sluice instance can have: the one number behind the configuration's limit
/// (`Limits.ports` in Config), the size of the pipeline's port tables and the dataplane's port slots
/// (`0 ..< maxPorts`).
///
/// Why here: Config and Pipeline both need it and neither depends on the other; both depend on Packet.
/// Why a computed `@inlinable` property and not a `static let`: a stored global of another module is read
/// through a lazy initialiser (`swift_once`), which `tools/check-fastpath` forbids on the PMD loop; this
/// folds to a constant wherever it is used.
///
/// Raising it: every port set on the fast path is one `UInt64` (a VLAN's member and untagged ports, the
/// enabled ports, `TransmitStage`'s pending ports, a burst's ingress bit), so those masks must be widened
/// before this exceeds 64. `BridgeTables` and `TransmitStage` refuse to start otherwise (`fitsPortMasks`).
@frozen
public enum PortLimit {
    @inlinable public static var maxPorts: Int { 64 }

    /// The most DPDK ethdev ports (NICs, taps, pcap, af_packet, ...): `RTE_MAX_ETHPORTS` of the DPDK build
    /// Sluice is built against (32 in Debian's 22.11; `PipelineTests` checks it against the header).
    /// vhost-user ports are driven through rte_vhost and are not ethdevs: they do not count.
    @inlinable public static var maxEthdevPorts: Int { 32 }

    /// Whether every port slot has a bit in a `UInt64` port mask. Checked when the tables that hold such
    /// masks are built, so that raising `maxPorts` without widening them fails at once, not silently.
    @inlinable public static var fitsPortMasks: Bool { maxPorts <= UInt64.bitWidth }
}
