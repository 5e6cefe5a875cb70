import Testing

@testable import Config

/// A port's `qos:` sub-mapping: what it reads, what it refuses (at which key path), what it writes back.
@Suite struct QoSConfigTests {
    static func doc(_ qos: String, mtu: Int = 1500) -> String {
        """
        eal:
          pmd-cpu-mask: "0x2"
        ports:
          - name: vm1
            devargs: net_null0
            mtu: \(mtu)
            qos:
        \(qos.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
          - name: vm2
            devargs: net_null1
        """
    }

    @Test func readsBothDirectionsAndBothBuckets() throws {
        let config = try #require(
            parsed(
                Self.doc(
                    """
                    from-vm:
                      bandwidth: {bits-per-second: 100000000, burst-bytes: 1048576, one-time-burst-bytes: 5000000}
                      packets: {packets-per-second: 20000, burst-packets: 500}
                    to-vm:
                      bandwidth: {bits-per-second: 50000000, burst-bytes: 65536}
                    """)))
        let qos = try #require(config.ports[0].qos)
        #expect(
            qos.fromVM
                == QoSDirectionConfig(
                    bandwidth: QoSBucketConfig(rate: 100_000_000, burst: 1_048_576, oneTimeBurst: 5_000_000),
                    packets: QoSBucketConfig(rate: 20000, burst: 500)))
        #expect(qos.toVM == QoSDirectionConfig(bandwidth: QoSBucketConfig(rate: 50_000_000, burst: 65536)))
        #expect(config.ports[1].qos == nil)
        // Written back and read again: the same.
        let again = try SluiceConfig.parse(yaml: config.document.yaml)
        #expect(again == config)
    }

    static let refusals: [(String, String, [String])] = [
        (
            "from-vm: {bandwidth: {bits-per-second: 1000000, burst-bytes: 1000}}",
            "ports[0].qos.from-vm.bandwidth.burst-bytes", ["smaller than one full frame", "1518"]
        ),
        (
            "to-vm: {bandwidth: {bits-per-second: 10, burst-bytes: 100000}}",
            "ports[0].qos.to-vm.bandwidth.bits-per-second", ["out of range"]
        ),
        (
            "to-vm: {packets: {packets-per-second: 0, burst-packets: 10}}",
            "ports[0].qos.to-vm.packets.packets-per-second", ["out of range"]
        ),
        (
            "to-vm: {packets: {packets-per-second: 10, burst-packets: 0}}",
            "ports[0].qos.to-vm.packets.burst-packets", ["out of range"]
        ),
        (
            "from-vm: {packets: {packets-per-second: 10, burst-packets: 5, one-time-burst-packets: -1}}",
            "ports[0].qos.from-vm.packets.one-time-burst-packets", ["out of range"]
        ),
        ("from-vm: {}", "ports[0].qos.from-vm", ["is empty"]),
        ("{}", "ports[0].qos", ["is empty"]),
        ("from-vm: {bandwith: {}}", "ports[0].qos.from-vm.bandwith", ["unknown key"]),
        ("to-vm: {bandwidth: {bits-per-second: 1000000}}", "ports[0].qos.to-vm.bandwidth.burst-bytes", []),
        ("inbound: {}", "ports[0].qos.inbound", ["unknown key"]),
    ]

    @Test(arguments: refusals.indices)
    func refusesWithTheKeyPath(index: Int) {
        let (qos, path, fragments) = Self.refusals[index]
        expectSingleProblem(Self.doc(qos), at: path, mentioning: fragments)
    }

    @Test("the smallest burst is one frame of the port's own MTU")
    func burstFollowsMTU() {
        _ = parsed(Self.doc("from-vm: {bandwidth: {bits-per-second: 1000000, burst-bytes: 2018}}", mtu: 2000))
        expectSingleProblem(
            Self.doc("from-vm: {bandwidth: {bits-per-second: 1000000, burst-bytes: 2017}}", mtu: 2000),
            at: "ports[0].qos.from-vm.bandwidth.burst-bytes", mentioning: ["2018"])
    }
}
