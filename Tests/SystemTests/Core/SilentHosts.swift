import ControlProtocol
import Foundation

/// Hosts behind sluiced's net_tap ports, each in its own namespace and silent (no IPv6, no addresses: every
/// frame on the wire is one the test sent), sending test frames with tools/udp-flow.py. Where sluiced
/// switched them is read from its counters (`CounterWindow`), usually on net_null ports that only count.
final class SilentHosts {
    let tag: String
    /// Port name → tap interface name.
    let interfaces: [String: String]
    private var namespaces: [String: Namespace] = [:]
    private let flowTool = System.repositoryFile("tools/udp-flow.py")

    /// `tag` (letters and digits) keeps the device and interface names of concurrent tests apart.
    init(ports: [String], tag: String) throws {
        self.tag = tag
        interfaces = Dictionary(uniqueKeysWithValues: ports.map { ($0, uniqueName(tag + $0)) })
        for port in ports { namespaces[port] = try Namespace.create(uniqueName("n" + tag + port)) }
    }

    deinit { for namespace in namespaces.values { namespace.delete() } }

    /// The devargs of the net_tap device behind `port`.
    func devargs(_ port: String) -> String { "net_tap_\(tag)\(port),iface=\(interfaces[port] ?? port)" }

    /// Moves every tap interface (created by sluiced, so call it once sluiced is ready) into its namespace.
    func adopt(macs: [String: String]) throws {
        for (port, namespace) in namespaces {
            try namespace.adoptSilent(interface: try interface(port), mac: macs[port] ?? "02:00:00:00:ee:01")
        }
    }

    /// Throws rather than traps on a port without a host: a trap would skip the clean-up.
    private func interface(_ port: String) throws -> String {
        guard let interface = interfaces[port] else { throw TestFailure("no host on port \(port)") }
        return interface
    }

    private func flowCommand(from port: String, source: String, destination: String, extra: [String]) throws
        -> [String]
    {
        guard let namespace = namespaces[port] else { throw TestFailure("no host on port \(port)") }
        return ["ip", "netns", "exec", namespace.name, flowTool, "send", try interface(port)]
            + ["--src-mac", source, "--dst-mac", destination] + extra
    }

    /// Sends `count` frames from `port`'s host and waits until sluiced has received and switched all of them.
    /// `stations` > 1 sends from that many source MACs counting up from `source`, one after the other.
    func send(
        _ count: Int, from port: String, source: String, to destination: String, stations: Int = 1,
        vlan: Int? = nil, through daemon: SluicedProcess
    ) throws {
        let received = try CounterSnapshot(daemon).port(port).counters.rxPackets
        var extra = ["--count", "\(count)", "--rate", "5000", "--src-macs", "\(stations)"]
        if let vlan { extra += ["--vlan", "\(vlan)"] }
        try System.must(try flowCommand(from: port, source: source, destination: destination, extra: extra))
        try daemon.waitUntilSwitched(port: port, received: received + UInt64(count))
    }

    /// A receiver on `port`'s host counting the test frames that arrive there, by their 802.1Q tag.
    func startReceiver(on port: String) throws -> BackgroundCommand {
        guard let namespace = namespaces[port] else { throw TestFailure("no host on port \(port)") }
        let receiver = try BackgroundCommand(
            ["ip", "netns", "exec", namespace.name, flowTool, "receive", try interface(port)], label: "rx-\(port)")
        try System.waitUntil("the receiver on \(port) to listen") { receiver.output.contains("ready") }
        return receiver
    }

    /// Stops a receiver; the frames it got by tag: "untagged" or the VLAN ID → count.
    static func framesByVLAN(_ receiver: BackgroundCommand) throws -> [String: Int] {
        receiver.stop()
        guard let line = receiver.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let summary = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let vlans = summary["vlans"] as? [String: Int]
        else { throw TestFailure("no summary from the receiver: \(receiver.output)") }
        return vlans
    }

    /// A flow from `port`'s host that runs until stopped (or until `count` frames are sent).
    func startFlow(
        from port: String, source: String, to destination: String, rate: Int = 1000, count: Int? = nil
    ) throws -> BackgroundCommand {
        var extra = ["--rate", "\(rate)"]
        if let count { extra += ["--count", "\(count)"] }
        let flow = try BackgroundCommand(
            try flowCommand(from: port, source: source, destination: destination, extra: extra), label: "flow-\(port)")
        try System.waitUntil("the flow from \(port) to start") { flow.output.contains("ready") }
        return flow
    }
}
