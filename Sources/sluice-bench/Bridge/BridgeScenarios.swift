import Config

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
    ]
}
