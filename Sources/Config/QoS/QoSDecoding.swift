import Yams

/// Decoding of a port's `qos:` sub-mapping: types and syntax here, ranges and relations in validation.
extension ConfigDecoder {
    func decodeQoSKeys(of section: YAMLWalker.Mapping, into port: inout PortConfig) {
        guard let node = section.optional("qos") else { return }
        let path = section.path(of: "qos")
        guard
            let qos = walker.mapping(
                node, at: path, allowedKeys: ConfigKeys.qos,
                expected: "a mapping with from-vm and/or to-vm, e.g. {from-vm: {bandwidth: {...}}}")
        else {
            port.qos = QoSConfig()
            return
        }
        markUndecodableIfUnknownKeys(node, at: path, allowed: ConfigKeys.qos)
        var config = QoSConfig()
        if let node = qos.optional("from-vm") { config.fromVM = decodeQoSDirection(node, at: qos.path(of: "from-vm")) }
        if let node = qos.optional("to-vm") { config.toVM = decodeQoSDirection(node, at: qos.path(of: "to-vm")) }
        port.qos = config
    }

    private func decodeQoSDirection(_ node: Node, at path: String) -> QoSDirectionConfig {
        var direction = QoSDirectionConfig()
        guard
            let section = walker.mapping(
                node, at: path, allowedKeys: ConfigKeys.qosDirection,
                expected: "a mapping with bandwidth and/or packets buckets")
        else { return direction }
        markUndecodableIfUnknownKeys(node, at: path, allowed: ConfigKeys.qosDirection)
        if let node = section.optional("bandwidth") {
            direction.bandwidth = decodeQoSBucket(
                node, at: section.path(of: "bandwidth"), keys: ConfigKeys.qosBandwidth,
                hint: "{bits-per-second: 100000000, burst-bytes: 1048576}")
        }
        if let node = section.optional("packets") {
            direction.packets = decodeQoSBucket(
                node, at: section.path(of: "packets"), keys: ConfigKeys.qosPackets,
                hint: "{packets-per-second: 100000, burst-packets: 1000}")
        }
        return direction
    }

    /// A mapping with a key that was reported unknown (a misspelt bucket or direction) is not "empty": the
    /// emptiness rule must not follow up on it.
    private func markUndecodableIfUnknownKeys(_ node: Node, at path: String, allowed: [String]) {
        guard let keys = node.mapping?.keys else { return }
        if keys.contains(where: { !allowed.contains($0.string ?? "") }) { log.markUndecodable(path) }
    }

    /// `keys`: the rate, the burst and the one-time burst, in that order.
    private func decodeQoSBucket(_ node: Node, at path: String, keys: [String], hint: String) -> QoSBucketConfig {
        var bucket = QoSBucketConfig(rate: 0, burst: 0)
        guard let section = walker.mapping(node, at: path, allowedKeys: keys, expected: "a bucket like \(hint)")
        else { return bucket }
        if let node = section.required(keys[0], hint: "the bucket's rate, e.g. \(hint)") {
            bucket.rate = walker.integer(node, at: section.path(of: keys[0])) ?? 0
        }
        if let node = section.required(keys[1], hint: "the bucket's size, e.g. \(hint)") {
            bucket.burst = walker.integer(node, at: section.path(of: keys[1])) ?? 0
        }
        readInteger(keys[2], of: section, into: &bucket.oneTimeBurst)
        return bucket
    }
}
