import Config

/// `--config FILE`: the pipeline of a full sluiced configuration, measured as it is. Every section that
/// shapes the pipeline (`l2`, `patches`, each port's VLAN mode, port security, MTU, static MACs, limits,
/// admin state, and whatever sections later features add) is taken from the file; only what ties it to a
/// machine is replaced:
/// - the port chosen as the source (`--source`, default the first) replays the trace (the bench's net_pcap
///   devargs, one rx queue), the sink (`--sink`, default the first other port) swallows what is sent to it
///   (net_null); every other port becomes a net_null port that receives nothing and swallows what it is
///   sent (so floods and forwarding to it cost what they cost, without a device);
/// - vhost-user settings and rx queue affinities are dropped (there is no guest, and the bench has one PMD);
/// - `eal` and `mempool` are the bench's (its lcores, an in-memory EAL, a pool that holds the trace).
/// The result is validated as a whole, like any configuration: the file's own problems are reported with
/// their key paths.
enum BenchConfigFile {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The configuration to run: `file`'s, with its ports mapped onto `bench`'s source (`bench.ports[0]`)
    /// and sink (`bench.ports[1]`) and the bench's `eal` and `mempool`. Source and sink come first, in that
    /// order (the bench reads the sink's counters at index 1).
    static func map(
        _ file: SluiceConfig, path: String, source: String?, sink: String?, bench: SluiceConfig
    ) throws(Problem) -> SluiceConfig {
        let names = file.ports.map(\.name)
        guard names.count >= 2 else {
            throw Problem(description: "\(path): the bench needs at least two ports (a source and a sink)")
        }
        let sourceName = source ?? names[0]
        guard let sourceIndex = names.firstIndex(of: sourceName) else {
            throw Problem(
                description:
                    "--source \(sourceName): \(path) has no such port (ports: \(names.joined(separator: ", ")))")
        }
        let sinkName = sink ?? names.first { $0 != sourceName }!
        guard let sinkIndex = names.firstIndex(of: sinkName) else {
            throw Problem(
                description: "--sink \(sinkName): \(path) has no such port (ports: \(names.joined(separator: ", ")))")
        }
        guard sourceIndex != sinkIndex else {
            throw Problem(description: "--source and --sink are both \(sourceName): give two different ports")
        }
        guard file.ports[sourceIndex].admin == .up else {
            throw Problem(description: "--source \(sourceName): the port is administratively down in \(path)")
        }

        func unplugged(_ port: PortConfig, devargs: String) -> PortConfig {
            var port = port
            port.devargs = devargs
            port.vhostUser = nil
            port.rxQueueAffinity = nil
            return port
        }
        var source = unplugged(file.ports[sourceIndex], devargs: bench.ports[0].devargs)
        source.rxQueues = 1
        let sink = unplugged(file.ports[sinkIndex], devargs: bench.ports[1].devargs)
        var others: [PortConfig] = []
        for (index, port) in file.ports.enumerated() where index != sourceIndex && index != sinkIndex {
            others.append(unplugged(port, devargs: "net_null_bench\(others.count + 1),no-rx=1"))
        }

        var config = file
        config.eal = bench.eal
        // Every extra port's rx queues hold mbufs too.
        config.mempool = bench.mempool
        config.mempool.mbufs += others.reduce(0) { $0 + $1.rxQueues * $1.rxDescriptors }
        config.ports = [source, sink] + others
        do {
            return try SluiceConfig.parse(yaml: config.renderYAML())
        } catch {
            throw Problem(description: "\(path) mapped onto the bench's ports is not valid:\n\(error.description)")
        }
    }
}
