extension ConfigKeys {
    /// QoS's sub-mapping on a port.
    static let qosPort = ["qos"]
    static let qos = ["from-vm", "to-vm"]
    static let qosDirection = ["bandwidth", "packets"]
    static let qosBandwidth = ["bits-per-second", "burst-bytes", "one-time-burst-bytes"]
    static let qosPackets = ["packets-per-second", "burst-packets", "one-time-burst-packets"]
}
