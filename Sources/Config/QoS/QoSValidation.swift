/// Rules on a port's `qos:` sub-mapping.
extension Validator {
    /// Bits per second of a bandwidth bucket: 1 kbit/s to 100 Gbit/s.
    static let qosBitsPerSecond = 1_000...100_000_000_000
    /// Packets per second of a packet bucket: 1 to 1 Gpps.
    static let qosPacketsPerSecond = 1...1_000_000_000
    /// Bucket sizes and one-time bursts: up to 1 TiB or 2^40 packets.
    static let qosTokens = 0...(1 << 40)

    func validateQoSKeys(of port: PortConfig, at path: String) {
        guard let qos = port.qos else { return }
        let qosPath = KeyPath.child(path, "qos")
        guard isKnown(qosPath) else { return }
        if qos.fromVM == nil && qos.toVM == nil {
            report(qosPath, "is empty; give from-vm and/or to-vm buckets, or remove qos to leave the port unlimited")
        }
        for (key, direction) in [("from-vm", qos.fromVM), ("to-vm", qos.toVM)] {
            guard let direction else { continue }
            let directionPath = KeyPath.child(qosPath, key)
            guard isKnown(directionPath) else { continue }
            if direction.bandwidth == nil && direction.packets == nil {
                report(
                    directionPath,
                    "is empty; give a bandwidth and/or a packets bucket, or remove \(key) to leave that direction unlimited"
                )
            }
            if let bandwidth = direction.bandwidth {
                let bucketPath = KeyPath.child(directionPath, "bandwidth")
                checkRange(bandwidth.rate, Self.qosBitsPerSecond, at: KeyPath.child(bucketPath, "bits-per-second"))
                let burstPath = KeyPath.child(bucketPath, "burst-bytes")
                if let burst = checkRange(bandwidth.burst, Self.qosTokens, at: burstPath), burst < port.maxFrameBytes {
                    report(
                        burstPath,
                        "\(burst) is smaller than one full frame of the port (\(port.maxFrameBytes) bytes: mtu \(port.mtu) + 14 bytes of Ethernet header + 4 of a VLAN tag), which could then never pass; use at least \(port.maxFrameBytes)"
                    )
                }
                checkRange(
                    bandwidth.oneTimeBurst, Self.qosTokens, at: KeyPath.child(bucketPath, "one-time-burst-bytes"))
            }
            if let packets = direction.packets {
                let bucketPath = KeyPath.child(directionPath, "packets")
                checkRange(packets.rate, Self.qosPacketsPerSecond, at: KeyPath.child(bucketPath, "packets-per-second"))
                checkRange(packets.burst, 1...Self.qosTokens.upperBound, at: KeyPath.child(bucketPath, "burst-packets"))
                checkRange(
                    packets.oneTimeBurst, Self.qosTokens, at: KeyPath.child(bucketPath, "one-time-burst-packets"))
            }
        }
    }
}
