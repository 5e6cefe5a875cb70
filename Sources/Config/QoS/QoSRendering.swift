/// QoS's part of a port's document: its `qos:` sub-mapping.
extension PortConfig {
    var qosEntries: [ConfigDocument.Entry] {
        ConfigDocument.entries(["qos": qos?.document])
    }
}

extension QoSConfig {
    var document: ConfigDocument {
        .map([
            "from-vm": fromVM?.document,
            "to-vm": toVM?.document,
        ])
    }
}

extension QoSDirectionConfig {
    var document: ConfigDocument {
        .map([
            "bandwidth": bandwidth.map {
                .map([
                    "bits-per-second": .int($0.rate),
                    "burst-bytes": .int($0.burst),
                    "one-time-burst-bytes": $0.oneTimeBurst == 0 ? nil : .int($0.oneTimeBurst),
                ])
            },
            "packets": packets.map {
                .map([
                    "packets-per-second": .int($0.rate),
                    "burst-packets": .int($0.burst),
                    "one-time-burst-packets": $0.oneTimeBurst == 0 ? nil : .int($0.oneTimeBurst),
                ])
            },
        ])
    }
}
