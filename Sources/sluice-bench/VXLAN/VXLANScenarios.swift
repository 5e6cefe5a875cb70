import Config
import Dataplane
import Packet

extension BenchScenario {
    /// The VTEPs of the VXLAN scenarios. Encap: Sluice is 192.0.2.1 on the sink (its uplink), every
    /// destination of the trace is a static remote MAC behind 192.0.2.2, whose next hop the bench resolves as
    /// if its ARP reply had arrived. Decap: the vxlan trace's outer addresses (tools/gen-traces.py: from
    /// 192.168.100.1 to 192.168.100.2, VNI 5000), the source port is the uplink.
    static let benchVTEP = IPv4Address(192, 0, 2, 1)
    static let benchRemoteVTEP = IPv4Address(192, 0, 2, 2)
    static let benchRemoteMAC = EthernetAddress(rawValue: 0x02_00_00_00_0b_02)
    static let traceVTEP = IPv4Address(192, 168, 100, 2), traceRemoteVTEP = IPv4Address(192, 168, 100, 1)
    static let traceVNI: UInt32 = 5000

    /// The source an access port of VLAN 100 (VNI 1000), the sink the uplink, every destination of the trace a
    /// static remote MAC behind `benchRemoteVTEP`, whose next hop the bench resolves every 50 ms.
    static func encapsulateToRemoteVTEP(_ setup: inout BenchSetup, scenario: String) throws {
        setup.source.vlan = .access(vlan: benchVLAN)
        let destinations = setup.unicastDestinations
        guard !destinations.isEmpty else {
            throw BenchScenarioError(description: "\(scenario): the trace has no unicast destinations")
        }
        setup.config.vxlan = VXLANConfig(
            uplink: setup.sink.name, address: benchVTEP, prefixLength: 24,
            vnis: [VNIConfig(vni: 1000, vlan: benchVLAN, flood: [benchRemoteVTEP])],
            remoteMACs: destinations.map { RemoteMACConfig(mac: $0, vni: 1000, vtep: benchRemoteVTEP) })
        setup.periodic = (
            0.05, { dataplane in dataplane.learnUnderlayNeighbour(benchRemoteVTEP, mac: benchRemoteMAC) }
        )
    }

    static let vxlanScenarios: [BenchScenario] = [
        BenchScenario(
            "vxlan-encap",
            "source access VLAN 100 (VNI 1000), every destination behind one remote VTEP (static remote MACs, "
                + "next hop resolved), sink the uplink; needs an untagged trace (udp-1k)"
        ) { try encapsulateToRemoteVTEP(&$0, scenario: "vxlan-encap") },
        BenchScenario(
            "vxlan-decap",
            "the vxlan trace (VNI 5000) into the source as the uplink, inner destinations known on the sink "
                + "(access VLAN 100); needs vxlan-1k"
        ) { setup in
            // The inner frames' unicast destinations, after the 50 bytes of outer headers.
            let inner = Set(
                setup.frames.compactMap { frame -> EthernetAddress? in
                    guard frame.count >= 64, frame[36] == 0x12, frame[37] == 0xb5 else { return nil }
                    return EthernetAddress(bytes: frame[50..<56])
                }
            ).filter { !$0.isMulticast && !$0.isZero }.sorted()
            guard !inner.isEmpty else {
                throw BenchScenarioError(
                    description: "vxlan-decap: the trace has no VXLAN frames (UDP 4789); use vxlan-1k.pcap")
            }
            setup.sink.vlan = .access(vlan: benchVLAN)
            setup.sink.staticMACs = inner.map { StaticMACConfig(mac: $0, vlan: benchVLAN) }
            setup.config.vxlan = VXLANConfig(
                uplink: setup.source.name, address: traceVTEP, prefixLength: 24,
                vnis: [VNIConfig(vni: traceVNI, vlan: benchVLAN, flood: [traceRemoteVTEP])])
        },
    ]
}
