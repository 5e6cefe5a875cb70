import Config
import ControlProtocol
import Packet
import Pipeline
import Testing

@testable import Dataplane

/// What `vxlan.neighbours` and `vxlan.show` are made of, off a dataplane: the neighbour cache's states on a
/// virtual clock, and the per-VTEP counters written by the stages and summed per slot.
@Suite struct VXLANStatusTests {
    typealias U = VXLANUnderlayTests

    @Test("neighbours: incomplete until the ARP answer, reachable, refreshing after 240 s, incomplete once expired")
    func neighbourStates() {
        let underlay = VXLANUnderlay(nextHops: VXLANNextHops())
        underlay.configure(U.endpoint(), now: 0)
        // Both next hops needed: the on-link VTEP and the gateway (for the off-link one), in address order.
        #expect(
            underlay.neighbourStatuses(now: 0) == [
                UnderlayNeighbourStatus(address: "192.0.2.2", mac: nil, state: "incomplete", ageSeconds: nil),
                UnderlayNeighbourStatus(address: "192.0.2.254", mac: nil, state: "incomplete", ageSeconds: nil),
            ])
        var frame = U.arpRequest(from: (U.onLink, U.onLinkMAC), for: U.local)
        #expect(U.handle(underlay, &frame, now: 10))
        let reachable = underlay.neighbourStatuses(now: 15)
        #expect(
            reachable.first
                == UnderlayNeighbourStatus(
                    address: "192.0.2.2", mac: "02:00:00:00:00:02", state: "reachable", ageSeconds: 5))
        #expect(underlay.neighbourStatuses(now: 251).first?.state == "refreshing")
        #expect(underlay.neighbourStatuses(now: 311).first?.state == "incomplete")
        // Without a VTEP nothing is needed.
        underlay.configure(nil, now: 400)
        #expect(underlay.neighbourStatuses(now: 400).isEmpty)
    }

    @Test("per-VTEP counters: one block per PMD, four words per slot, summed by readers")
    func vtepCounters() {
        let a = VXLANVTEPCounters.allocate()
        let b = VXLANVTEPCounters.allocate()
        a.add(slot: 0, VXLANVTEPCounters.rxPackets, 3)
        b.add(slot: 0, VXLANVTEPCounters.rxPackets)
        b.add(slot: 63, VXLANVTEPCounters.txDrops, 2)
        a.add(slot: 1, VXLANVTEPCounters.txPackets)
        #expect([a, b].reduce(0) { $0 + $1.load(slot: 0, VXLANVTEPCounters.rxPackets) } == 4)
        #expect(b.load(slot: 63, VXLANVTEPCounters.txDrops) == 2)
        #expect(a.load(slot: 1, VXLANVTEPCounters.txPackets) == 1)
        #expect(a.load(slot: 1, VXLANVTEPCounters.txDrops) == 0 && a.load(slot: 0, VXLANVTEPCounters.rxDrops) == 0)
    }

    @Test("validation's limit of remote VTEPs is the MAC table's number of remote VTEP owner slots")
    func remoteVTEPLimit() {
        #expect(VXLANConfig.maxRemoteVTEPs == MACOwner.maxRemoteVTEPs)
    }
}
