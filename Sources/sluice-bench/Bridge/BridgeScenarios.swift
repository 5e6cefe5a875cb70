import Config
import Packet

extension BenchScenario {
    /// The VLAN the tagging scenarios use.
    static let benchVLAN: UInt16 = 100

    static let bridgeScenarios: [BenchScenario] = [
        BenchScenario("l2", "both ports on VLAN 1, destinations known") { setup in
            setup.knowDestinationsOnSink()
        },
        BenchScenario("l2-flood", "destinations unknown: flooded") { _ in },
        BenchScenario("vlan-push", "source access VLAN 100, sink trunk") { setup in
            setup.source.vlan = .access(vlan: benchVLAN)
            setup.sink.vlan = .trunk(allowed: VLANSet([benchVLAN]), native: nil)
            setup.knowDestinationsOnSink(vlan: benchVLAN)
        },
        BenchScenario("vlan-pop", "source trunk carrying VLAN 100, sink access; needs a tagged trace") { setup in
            setup.source.vlan = .trunk(allowed: VLANSet([benchVLAN]), native: nil)
            setup.sink.vlan = .access(vlan: benchVLAN)
            setup.knowDestinationsOnSink(vlan: benchVLAN)
        },
        BenchScenario("flood-4of4", "destinations unknown: flooded in a VLAN of 4 ports (2 guestless vhost-user)") {
            setup in
            setup.addFloodPorts(members: 2, others: 0, othersUp: false)
        },
        BenchScenario(
            "flood-4of1000", "flood-4of4 on a host of 1000 ports (996 guestless vhost-user ports, down, VLAN 2)"
        ) { setup in
            setup.addFloodPorts(members: 2, others: 996, othersUp: false)
        },
        BenchScenario(
            "flood-4of1000-up", "flood-4of1000 with the 996 other ports up (their idle rx queues polled by the PMD)"
        ) { setup in
            setup.addFloodPorts(members: 2, others: 996, othersUp: true)
        },
    ]
}

extension BenchSetup {
    /// Adds `members` guestless vhost-user server ports to the sink's VLAN (a flood's copies to them are
    /// dropped by their tx, as a guest that does not read would) and `others` in VLAN 2, up or down. vhost-user
    /// ports are not ethdevs: a host of 1000 ports needs no 1000 DPDK devices. Their sockets go to
    /// /tmp/sluice-bench-flood (removed at shutdown).
    mutating func addFloodPorts(members: Int, others: Int, othersUp: Bool) {
        let directory = "/tmp/sluice-bench-flood"
        for index in 0..<(members + others) {
            var port = PortConfig.vhostUser(name: "f\(index)", path: "\(directory)/f\(index).sock", mode: .server)
            if index < members {
                port.vlan = sink.vlan
            } else {
                port.vlan = .access(vlan: 2)
                port.admin = othersUp ? .up : .down
            }
            config.ports.append(port)
        }
    }
}
