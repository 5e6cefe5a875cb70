import Config

extension BenchScenario {
    /// Vhost-user ports without guests: `vhostIdlePorts` server-mode ports of 64 queue pairs each, every rx
    /// queue polled by the bench's PMD next to the busy source. Measures what idle vhost queues cost a busy
    /// port on the same PMD (compare with `l2` in the same run). Their sockets go to /tmp/sluice-bench-vhost
    /// (one directory for every run, so that runs leave nothing behind: the sockets are removed at shutdown).
    static let vhostIdlePorts = 4

    static let vhostUserScenarios: [BenchScenario] = [
        BenchScenario("vhost-idle", "l2, plus \(vhostIdlePorts * 64) idle vhost-user rx queues (no guests) on the PMD")
        {
            setup in
            setup.knowDestinationsOnSink()
            let directory = "/tmp/sluice-bench-vhost"
            for index in 0..<vhostIdlePorts {
                var port = PortConfig.vhostUser(
                    name: "idle\(index)", path: "\(directory)/idle\(index).sock", mode: .server, queues: 64)
                port.vlan = setup.sink.vlan
                setup.config.ports.append(port)
            }
        }
    ]
}
