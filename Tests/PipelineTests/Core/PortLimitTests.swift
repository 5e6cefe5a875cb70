import Packet
import Pipeline
import Testing

/// `PortLimit.maxPorts` is the one port limit; the fast path keeps port sets in single `UInt64` masks.
@Suite struct PortLimitTests {
    /// Raising the limit above the mask width must fail here (BridgeTables refuses it), not drop ports from
    /// floods and VLANs silently.
    @Test("every port slot up to the limit has its own bit in a VLAN's member and untagged masks")
    func everySlotHasAMaskBit() {
        let vlan: UInt16 = 7
        let tables = BridgeTables(
            ports: Array(repeating: BridgePortSpec(vlanMode: .access(vlan: vlan)), count: PortLimit.maxPorts))
        #expect(tables.portCount == PortLimit.maxPorts)
        #expect(tables.view.vlanMembers[Int(vlan)].nonzeroBitCount == PortLimit.maxPorts)
        #expect(tables.view.vlanUntagged[Int(vlan)].nonzeroBitCount == PortLimit.maxPorts)
        #expect(ForwardingTables.maxPorts == PortLimit.maxPorts)
    }
}
