import Config
import Dataplane
import Packet

/// The configuration a scenario adjusts: `config.ports` holds the trace's `source` port (index 0, a net_pcap
/// port replaying the trace forever) and the `sink` (index 1, net_null); the bench reads the sink's tx
/// counters, so scenarios keep both in place and may add sections or further ports after them.
struct BenchSetup {
    var config: SluiceConfig
    /// The trace's frames, for scenarios that derive tables from it (known destinations, ...).
    let frames: [[UInt8]]
    /// Control-thread work the scenario needs while the PMD runs (e.g. sg-new's conntrack flush), every
    /// `interval` seconds during warmup and measurement.
    var periodic: (interval: Double, action: @Sendable (Dataplane) -> Void)?
    /// Control-thread work once the dataplane is built, before any measurement (e.g. a capture left
    /// running on another port). An error ends the bench with the scenario's name.
    var prepare: (@Sendable (Dataplane) throws -> Void)?

    var source: PortConfig {
        get { config.ports[0] }
        set { config.ports[0] = newValue }
    }

    var sink: PortConfig {
        get { config.ports[1] }
        set { config.ports[1] = newValue }
    }

    /// The trace's unicast destination MACs, sorted.
    var unicastDestinations: [EthernetAddress] {
        Set(frames.compactMap { $0.count >= 6 ? EthernetAddress(bytes: $0.prefix(6)) : nil })
            .filter { !$0.isMulticast && !$0.isZero }
            .sorted()
    }

    /// Every unicast destination of the trace as a static MAC on the sink (in `vlan`, or the sink's own), as
    /// if learned: the pipeline then forwards instead of flooding.
    mutating func knowDestinationsOnSink(vlan: UInt16? = nil) {
        sink.staticMACs = unicastDestinations.map { StaticMACConfig(mac: $0, vlan: vlan) }
    }
}
