extension ConfigKeys {
    /// The `metadata` section's keys, in documentation order.
    static let metadata = [
        "address", "tcp-port", "service-address", "service-tcp-port", "service-port", "service-mac", "mac", "pool",
        "hop-limit", "nat-idle-seconds", "nat-linger-seconds", "rate-limit", "vlans", "addresses",
    ]
    static let metadataRateLimit = ["requests-per-second", "burst"]
    static let metadataAddress = ["port", "address"]
    /// The metadata sub-mapping on a port.
    static let metadataPort = ["metadata"]
    static let metadataPortKeys = ["enabled", "instance-id", "rate-limit"]
}
