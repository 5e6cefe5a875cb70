import Packet
import Pipeline
import Testing

/// `PortLimit.maxPorts` is the one port limit; the fast path's port sets are `PortSet`s of that many slots.
@Suite struct PortLimitTests {
    @Test("the limit is 1024 ports, of which 32 ethdevs, and a port set has a bit for every slot")
    func limits() {
        #expect(PortLimit.maxPorts == 1024)
        #expect(PortLimit.maxEthdevPorts == 32)
        #expect(ForwardingTables.maxPorts == PortLimit.maxPorts)
        #expect(PortSet.wordCount * 64 >= PortLimit.maxPorts)
        #expect(PortSet.wordCount & (PortSet.wordCount - 1) == 0, "a power of two: indexes are masked")
    }

    @Test("every port slot up to the limit is a member, untagged and in the flood list of its VLAN")
    func everySlotIsAMember() {
        let vlan: UInt16 = 7
        let tables = BridgeTables(
            ports: Array(repeating: BridgePortSpec(vlanMode: .access(vlan: vlan)), count: PortLimit.maxPorts))
        defer { withExtendedLifetime(tables) {} }
        #expect(tables.portCount == PortLimit.maxPorts)
        #expect(tables.view.vlanMembers(vlan).count == PortLimit.maxPorts)
        #expect(tables.view.vlanUntagged(vlan).count == PortLimit.maxPorts)
        #expect(tables.view.floodMembers(vlan).map { Int($0) } == Array(0..<PortLimit.maxPorts))
        #expect(tables.view.floodMembers(vlan + 1).isEmpty)
    }

    @Test("a port set: insert, contains, remove, slots and count at both ends of the range")
    func portSet() {
        let set = PortSet.allocate([0, 63, 64, 700, 1023])
        defer { set.deallocate() }
        #expect(set.slots == [0, 63, 64, 700, 1023])
        #expect(set.count == 5 && !set.isEmpty)
        #expect(set.contains(700) && set.contains(1023) && !set.contains(701) && !set.contains(1))
        set.remove(63)
        set.add(5)
        #expect(set.slots == [0, 5, 64, 700, 1023])
        set.removeAll()
        #expect(set.isEmpty && PortSet.none.isEmpty)
    }
}
