import Config
import Packet

extension BenchScenario {
    /// The metadata intercept with the sink as the service port and the source served (a rate limit no bench
    /// run empties: what the bucket costs, with every request passing).
    static func serveSource(_ setup: inout BenchSetup) {
        setup.config.metadata = MetadataConfig(
            serviceAddress: IPv4Address(169, 254, 100, 1), servicePort: setup.sink.name,
            serviceMAC: EthernetAddress(rawValue: 0x0200_0000_a901), pool: IPv4Address(169, 254, 100, 0),
            poolPrefixLength: 24, rateLimit: MetadataRateLimit(requestsPerSecond: 1_000_000, burst: 1_000_000))
        setup.source.metadata = MetadataPortConfig(instanceID: "i-bench")
    }

    static let metadataScenarios: [BenchScenario] = [
        BenchScenario(
            "metadata",
            "the intercept over metadata-1k (requests to 169.254.169.254:80 from the source): every packet rewritten "
                + "to the service port (the sink)"
        ) {
            serveSource(&$0)
            $0.knowDestinationsOnSink()
        },
        BenchScenario(
            "metadata-ordinary",
            "l2 with the source served by the intercept (udp-1k): the cost of the intercept to ordinary traffic"
        ) {
            serveSource(&$0)
            $0.knowDestinationsOnSink()
        },
    ]
}
