/// The VXLAN tunnel endpoint's methods (docs/vxlan.md).
public enum VXLANMethods {
    /// The local VTEP, its VNIs and its remote VTEPs with their next hops and counters.
    public static let show = RPCMethod<NoParams, VXLANStatus>("vxlan.show")
    /// The underlay's ARP cache (the next hops the VTEP needs).
    public static let neighbours = RPCMethod<NoParams, [UnderlayNeighbourStatus]>("vxlan.neighbours")
}
