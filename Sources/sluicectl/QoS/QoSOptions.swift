import ArgumentParser
import ControlProtocol

/// The port's `qos` key: token-bucket limits per direction (docs/qos.md). The flags given describe the
/// port's whole QoS: on `port set` they replace its `qos` setting (directions and buckets not given become
/// unlimited). sluiced checks the ranges and that a bandwidth burst holds one full frame.
struct QoSOptions: PortSettingOptions {
    @Option(help: ArgumentHelp("QoS from-vm (what the port receives): bandwidth in bits/s.", valueName: "bits"))
    var qosFromVmBps: Int?
    @Option(help: ArgumentHelp("With --qos-from-vm-bps: the bucket's size in bytes.", valueName: "bytes"))
    var qosFromVmBurstBytes: Int?
    @Option(help: ArgumentHelp("With --qos-from-vm-bps: bytes available once, first.", valueName: "bytes"))
    var qosFromVmOneTimeBurstBytes: Int?
    @Option(help: ArgumentHelp("QoS from-vm: packets per second.", valueName: "pps"))
    var qosFromVmPps: Int?
    @Option(help: ArgumentHelp("With --qos-from-vm-pps: the bucket's size in packets.", valueName: "packets"))
    var qosFromVmBurstPackets: Int?
    @Option(help: ArgumentHelp("With --qos-from-vm-pps: packets available once, first.", valueName: "packets"))
    var qosFromVmOneTimeBurstPackets: Int?
    @Option(help: ArgumentHelp("QoS to-vm (what the switch sends out of it): bandwidth in bits/s.", valueName: "bits"))
    var qosToVmBps: Int?
    @Option(help: ArgumentHelp("With --qos-to-vm-bps: the bucket's size in bytes.", valueName: "bytes"))
    var qosToVmBurstBytes: Int?
    @Option(help: ArgumentHelp("With --qos-to-vm-bps: bytes available once, first.", valueName: "bytes"))
    var qosToVmOneTimeBurstBytes: Int?
    @Option(help: ArgumentHelp("QoS to-vm: packets per second.", valueName: "pps"))
    var qosToVmPps: Int?
    @Option(help: ArgumentHelp("With --qos-to-vm-pps: the bucket's size in packets.", valueName: "packets"))
    var qosToVmBurstPackets: Int?
    @Option(help: ArgumentHelp("With --qos-to-vm-pps: packets available once, first.", valueName: "packets"))
    var qosToVmOneTimeBurstPackets: Int?

    @Flag(help: "port set: remove every QoS limit.") var noQos = false

    /// (rate flag, rate, burst flag, burst, one-time flag, one-time) of each bucket, in key order.
    private var buckets: [(direction: String, bucket: String, keys: [String], flags: [String], values: [Int?])] {
        [
            (
                "from-vm", "bandwidth", ["bits-per-second", "burst-bytes", "one-time-burst-bytes"],
                ["--qos-from-vm-bps", "--qos-from-vm-burst-bytes", "--qos-from-vm-one-time-burst-bytes"],
                [qosFromVmBps, qosFromVmBurstBytes, qosFromVmOneTimeBurstBytes]
            ),
            (
                "from-vm", "packets", ["packets-per-second", "burst-packets", "one-time-burst-packets"],
                ["--qos-from-vm-pps", "--qos-from-vm-burst-packets", "--qos-from-vm-one-time-burst-packets"],
                [qosFromVmPps, qosFromVmBurstPackets, qosFromVmOneTimeBurstPackets]
            ),
            (
                "to-vm", "bandwidth", ["bits-per-second", "burst-bytes", "one-time-burst-bytes"],
                ["--qos-to-vm-bps", "--qos-to-vm-burst-bytes", "--qos-to-vm-one-time-burst-bytes"],
                [qosToVmBps, qosToVmBurstBytes, qosToVmOneTimeBurstBytes]
            ),
            (
                "to-vm", "packets", ["packets-per-second", "burst-packets", "one-time-burst-packets"],
                ["--qos-to-vm-pps", "--qos-to-vm-burst-packets", "--qos-to-vm-one-time-burst-packets"],
                [qosToVmPps, qosToVmBurstPackets, qosToVmOneTimeBurstPackets]
            ),
        ]
    }

    private var anyGiven: Bool { buckets.contains { $0.values.contains { $0 != nil } } }

    func validate() throws {
        if noQos && anyGiven { throw ValidationError("give --qos-* limits or --no-qos, not both") }
        for bucket in buckets where bucket.values.contains(where: { $0 != nil }) {
            if bucket.values[0] == nil || bucket.values[1] == nil {
                throw ValidationError(
                    "a \(bucket.direction) \(bucket.bucket) limit needs both \(bucket.flags[0]) and \(bucket.flags[1])")
            }
        }
    }

    func write(into settings: inout [String: JSONValue]) {
        if noQos { settings["qos"] = .null }
        guard anyGiven else { return }
        var qos: [String: JSONValue] = [:]
        for bucket in buckets where bucket.values.contains(where: { $0 != nil }) {
            var entry: [String: JSONValue] = [:]
            for (key, value) in zip(bucket.keys, bucket.values) {
                if let value { entry[key] = .number(Double(value)) }
            }
            var direction: [String: JSONValue] = [:]
            if case .object(let existing)? = qos[bucket.direction] { direction = existing }
            direction[bucket.bucket] = .object(entry)
            qos[bucket.direction] = .object(direction)
        }
        settings["qos"] = .object(qos)
    }

    var setOnlyFlagsGiven: [String] { noQos ? ["--no-qos"] : [] }
}
