import ControlProtocol
import Foundation
import Testing

/// Two hosts in namespaces behind sluiced's tap ports `a` and `b`, each sending a counted UDP flow to the
/// other (`tools/udp-flow.py`), as the multi-PMD and rx-queue rebalancing tests drive them: each host
/// announces itself once (so that both flows are switched as unicast), the receivers start, the test takes
/// its baseline, the senders start at a fixed rate; at the end every packet sent must arrive exactly once.
/// Whatever is still running when the value goes away is stopped.
final class TwoHostFlows {
    let namespaces: [String: Namespace]
    let taps: [String: String]
    let macs: [String: String]
    /// The UDP destination port of the flow each host receives, and of the announcements.
    let ports: [String: Int]
    let announcePort: Int
    let label: String
    private(set) var receivers: [String: BackgroundCommand] = [:]
    private(set) var senders: [String: BackgroundCommand] = [:]

    /// `namespaces`, `taps`: by host, "a" and "b" (the taps already in their namespaces); `portAB`: the
    /// flow from A to B, `portBA` the other one.
    init(
        namespaces: [String: Namespace], taps: [String: String], macA: String, macB: String, portAB: Int,
        portBA: Int, announcePort: Int, label: String
    ) {
        self.namespaces = namespaces
        self.taps = taps
        macs = ["a": macA, "b": macB]
        ports = ["b": portAB, "a": portBA]
        self.announcePort = announcePort
        self.label = label
    }

    deinit { stopAll() }

    static func other(_ host: String) -> String { host == "a" ? "b" : "a" }

    /// `tools/udp-flow.py` with `arguments`, in `host`'s namespace.
    func command(_ host: String, _ arguments: [String]) -> [String] {
        ["ip", "netns", "exec", namespaces[host]!.name, System.repositoryFile("tools/udp-flow.py")] + arguments
    }

    func sendArguments(from host: String, _ extra: [String], port: Int) -> [String] {
        [
            "send", taps[host]!, "--port", "\(port)", "--src-mac", macs[host]!, "--dst-mac",
            macs[Self.other(host)]!,
        ] + extra
    }

    /// Each host sends one frame to the other (A first); returns once sluiced has learned A's MAC on port `a`
    /// and B's on port `b`.
    func announce(through client: ControlClient) throws {
        for host in ["a", "b"] {
            try System.must(command(host, sendArguments(from: host, ["--count", "1"], port: announcePort)))
        }
        try System.waitUntil("sluiced to learn both hosts' MACs") {
            let learned = try client.call(BridgeMethods.macList)
            return learned.contains { $0.mac == self.macs["a"]! && $0.port == "a" }
                && learned.contains { $0.mac == self.macs["b"]! && $0.port == "b" }
        }
    }

    /// Starts both receivers and returns once both listen.
    func startReceivers() throws {
        for host in ["b", "a"] {
            receivers[host] = try BackgroundCommand(
                command(host, ["receive", taps[host]!, "--port", "\(ports[host]!)"]), label: "\(label)-rx-\(host)")
        }
        try System.waitUntil("both receivers to listen") {
            self.receivers.values.allSatisfy { $0.output.contains("ready") }
        }
    }

    /// Starts both senders at `rate` packets per second.
    func startSenders(rate: Int = 1000) throws {
        for host in ["a", "b"] {
            senders[host] = try BackgroundCommand(
                command(host, sendArguments(from: host, ["--rate", "\(rate)"], port: ports[Self.other(host)]!)),
                label: "\(label)-tx-\(host)")
        }
    }

    /// Stops both senders; how many packets each flow sent.
    func stopSenders() throws -> (ab: UInt64, ba: UInt64) {
        for sender in senders.values { sender.stop() }
        return (
            UInt64(try SystemTests.Hitless.summary(senders["a"]!.output, "sent")),
            UInt64(try SystemTests.Hitless.summary(senders["b"]!.output, "sent"))
        )
    }

    /// Stops both receivers and expects each to have received every packet of its flow once (`sent`, from
    /// `stopSenders`), and its socket to have dropped none.
    func expectEveryPacketOnce(sent: (ab: UInt64, ba: UInt64)) throws {
        for receiver in receivers.values { receiver.stop() }
        for (host, count, direction) in [("b", sent.ab, "A→B"), ("a", sent.ba, "B→A")] {
            let output = receivers[host]!.output
            let received = UInt64(try SystemTests.Hitless.summary(output, "received"))
            let unique = UInt64(try SystemTests.Hitless.summary(output, "unique"))
            #expect(
                try SystemTests.Hitless.summary(output, "socket_drops") == 0, "\(direction): the receiver was too slow")
            #expect(
                received == count && unique == count,
                "\(direction): sent \(count), received \(received) (\(unique) distinct)")
        }
    }

    func stopAll() {
        for sender in senders.values { sender.stop() }
        for receiver in receivers.values { receiver.stop() }
    }
}
