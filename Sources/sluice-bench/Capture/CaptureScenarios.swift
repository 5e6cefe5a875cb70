import Config
import Dataplane

extension BenchScenario {
    static let captureScenarios: [BenchScenario] = [
        BenchScenario(
            "l2-capture-other",
            "l2, while a capture (both directions) runs on a third, idle port: what a capture costs the ports it "
                + "does not watch"
        ) { setup in
            setup.knowDestinationsOnSink()
            // The watched port carries nothing; its rx queue is polled like any port's (net_null without rx).
            setup.config.ports.append(PortConfig(name: "watched", devargs: "net_null_bench1,no-rx=1"))
            setup.prepare = { dataplane in
                // The session lives as long as the dataplane: nothing services it, and nothing reaches it.
                _ = try dataplane.startCapture(port: "watched", direction: "both", snapLength: nil, count: nil)
            }
        }
    ]
}
