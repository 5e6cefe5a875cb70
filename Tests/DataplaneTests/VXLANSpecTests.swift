import Config
import Packet
import Pipeline
import Testing

@testable import Dataplane

/// What a generation will build for the VXLAN stages from the `vxlan` section.
@Suite struct VXLANSpecTests {
    static let a = IPv4Address(192, 0, 2, 2), b = IPv4Address(192, 0, 2, 3), c = IPv4Address(198, 51, 100, 7)

    @Test("remote VTEP slots: kept while a VTEP stays, freed when it goes, reused lowest first, bounded")
    func slots() {
        var slots = RemoteVTEPSlots()
        #expect(slots.update(to: [Self.a, Self.b, Self.c]) == [])
        #expect(slots.addresses == [Self.a, Self.b, Self.c])
        // B goes: its slot is freed (for a flush), A and C keep theirs.
        #expect(slots.update(to: [Self.c, Self.a]) == [1])
        #expect(slots.addresses == [Self.a, nil, Self.c])
        // A new VTEP takes the free slot; the order of the list does not matter.
        let d = IPv4Address(192, 0, 2, 9)
        #expect(slots.update(to: [d, Self.c, Self.a]) == [])
        #expect(slots.slot(of: d) == 1 && slots.slot(of: Self.a) == 0 && slots.slot(of: Self.c) == 2)
        // Too many: refused, nothing changed.
        let many = (1...(MACOwner.maxRemoteVTEPs + 1)).map { IPv4Address(10, 0, UInt8($0 / 256), UInt8($0 % 256)) }
        let before = slots
        #expect(slots.update(to: many) == nil)
        #expect(slots == before)
        #expect(slots.update(to: Array(many.prefix(MACOwner.maxRemoteVTEPs))) == [0, 1, 2])
        #expect(slots.update(to: []) == Array(0..<MACOwner.maxRemoteVTEPs))
        #expect(slots.addresses.isEmpty)
    }

    @Test("the spec: VNIs, flood lists as slots, remote MACs' VTEPs, underlay settings; free slots match nothing")
    func spec() {
        let config = VXLANConfig(
            uplink: "uplink", address: IPv4Address(192, 0, 2, 1), prefixLength: 24, underlayVLAN: 20, mtu: 9000,
            ttl: 32,
            vnis: [VNIConfig(vni: 1000, vlan: 100, flood: [Self.a, Self.b]), VNIConfig(vni: 2000, vlan: 200)],
            remoteMACs: [RemoteMACConfig(mac: EthernetAddress(rawValue: 0x5254_0000_1001), vni: 2000, vtep: Self.c)])
        #expect(config.remoteVTEPs == [Self.a, Self.b, Self.c])
        var slots = RemoteVTEPSlots()
        #expect(slots.update(to: [Self.a, Self.b, Self.c]) == [])
        #expect(slots.update(to: [Self.a, Self.c]) == [1])
        var edited = config
        edited.vnis[0].flood = [Self.a]
        let mac = EthernetAddress(rawValue: 0x0200_0000_0001)
        let spec = VXLANSpec(config: edited, uplink: 3, uplinkMAC: mac, slots: slots)
        #expect(
            spec
                == VXLANSpec(
                    uplink: 3, local: IPv4Address(192, 0, 2, 1), underlayVLAN: 20,
                    vnis: [(vni: 1000, vlan: 100), (vni: 2000, vlan: 200)],
                    remotes: [Self.a, IPv4Address(rawValue: 0), Self.c], flood: [100: [0]], sourceMAC: mac, ttl: 32,
                    mtu: 9000))
        let tables = VXLANTables(spec)
        #expect(tables.view.remoteSlot(of: Self.c) == 2)
        #expect(tables.view.remoteSlot(of: IPv4Address(rawValue: 0)) == -1)
        #expect(tables.view.floodOfVLAN[100] == 1 && tables.view.floodOfVLAN[200] == 0)
        #expect(tables.view.vniOfVLAN[200] == 2000 && tables.view.vlan(ofVNI: 1000) == 100)
    }
}
