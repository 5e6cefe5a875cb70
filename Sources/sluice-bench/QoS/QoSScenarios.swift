import Config

extension BenchScenario {
    /// Buckets so large (1 TiB, refilling at the highest rates allowed) that a bench run never empties them:
    /// what the buckets cost per packet, with every packet passing.
    static let benchUnlimitedBuckets = QoSDirectionConfig(
        bandwidth: QoSBucketConfig(rate: 100_000_000_000, burst: 1 << 40),
        packets: QoSBucketConfig(rate: 1_000_000_000, burst: 1 << 40))

    static let qosScenarios: [BenchScenario] = [
        BenchScenario("qos", "l2, with both from-vm buckets on the source (never empty)") { setup in
            setup.knowDestinationsOnSink()
            setup.source.qos = QoSConfig(fromVM: benchUnlimitedBuckets)
        },
        BenchScenario("qos-to-vm", "l2, with both to-vm buckets on the sink (never empty)") { setup in
            setup.knowDestinationsOnSink()
            setup.sink.qos = QoSConfig(toVM: benchUnlimitedBuckets)
        },
    ]
}
