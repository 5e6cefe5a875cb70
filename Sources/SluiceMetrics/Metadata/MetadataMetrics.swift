import ControlProtocol

/// The metadata intercept (`metadata.clients`, `metadata.nat`): the served ports with their pool address and
/// instance, and each served port's NAT entries in use against its capacity. Requests and replies are the
/// metadata stage's events (`sluice_stage_events_total{stage="metadata"}`). No samples without a `metadata`
/// section.
let metadataMetrics: [MetricFamily] = [
    MetricFamily("sluice_metadata_clients", .gauge, help: "VM ports the metadata intercept serves.") { snapshot in
        snapshot.metadataClients.isEmpty ? [] : [.init([], snapshot.metadataClients.count)]
    },
    MetricFamily(
        "sluice_metadata_client_info", .gauge,
        help: "1 for each served VM port, with its pool address (the caller's identity) and instance id."
    ) { snapshot in
        snapshot.metadataClients.map { client in
            .init(
                [
                    .init("port", client.port), .init("address", client.address),
                    .init("instance_id", client.instanceID),
                ],
                1)
        }
    },
    MetricFamily(
        "sluice_metadata_nat_entries", .gauge,
        help: "NAT entries of a served port in use, by state (closing: a FIN or RST was seen)."
    ) { snapshot in
        snapshot.metadataClients.flatMap { client -> [MetricFamily.Sample] in
            let entries = snapshot.metadataNAT.filter { $0.port == client.port }
            return [("open", false), ("closing", true)].map { (state: String, closing: Bool) in
                MetricFamily.Sample(
                    [.init("port", client.port), .init("state", state)],
                    entries.filter { $0.closing == closing }.count)
            }
        }
    },
    MetricFamily(
        "sluice_metadata_nat_capacity", .gauge, help: "NAT entries a served port can hold (its concurrent requests)."
    ) { snapshot in
        snapshot.metadataClients.map { .init([.init("port", $0.port)], MetadataNATEntry.entriesPerPort) }
    },
]
