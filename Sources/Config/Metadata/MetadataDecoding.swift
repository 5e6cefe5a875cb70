import Packet
import Yams

/// Decoding of the `metadata` section and of a port's `metadata:` sub-mapping: types and syntax, problems at
/// key paths. Ranges and relations (ports, pool, addresses) are validation's.
extension ConfigDecoder {
    func decodeMetadata(_ node: Node?) -> MetadataConfig? {
        guard let node, !YAMLWalker.isNull(node) else { return nil }
        var metadata = MetadataConfig(
            serviceAddress: IPv4Address(rawValue: 0), servicePort: "", serviceMAC: .zero,
            pool: IPv4Address(rawValue: 0), poolPrefixLength: 0)
        let example = "{service-address: 169.254.100.1, service-port: mdtap, service-mac: ..., pool: 169.254.100.0/24}"
        guard
            let section = walker.mapping(
                node, at: "metadata", allowedKeys: ConfigKeys.metadata, expected: "a mapping like \(example)")
        else { return metadata }
        if let node = section.optional("address") {
            metadata.address = decodeMetadataAddress(node, at: section.path(of: "address")) ?? metadata.address
        }
        readInteger("tcp-port", of: section, into: &metadata.tcpPort)
        if let node = section.required("service-address", hint: "the metadata service's IPv4 address on the host") {
            metadata.serviceAddress =
                decodeMetadataAddress(node, at: section.path(of: "service-address")) ?? metadata.serviceAddress
        }
        readInteger("service-tcp-port", of: section, into: &metadata.serviceTCPPort)
        if let node = section.required("service-port", hint: "the name of the port that leads to the service") {
            metadata.servicePort = walker.string(node, at: section.path(of: "service-port")) ?? ""
        }
        if let node = section.required(
            "service-mac", hint: "the service host's MAC on the service port, e.g. \"02:00:00:00:a9:01\"")
        {
            metadata.serviceMAC = decodeMetadataMAC(node, at: section.path(of: "service-mac")) ?? .zero
        }
        if let node = section.optional("mac") {
            metadata.mac = decodeMetadataMAC(node, at: section.path(of: "mac")) ?? metadata.mac
        }
        if let node = section.required(
            "pool", hint: "the link-local pool of the ports' addresses, e.g. 169.254.100.0/24")
        {
            let path = section.path(of: "pool")
            if let text = walker.string(node, at: path) {
                let parts = text.split(separator: "/", omittingEmptySubsequences: false)
                if parts.count == 2, let address = IPv4Address(String(parts[0])), !parts[1].isEmpty,
                    parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(parts[1]), length <= 32
                {
                    metadata.pool = address
                    metadata.poolPrefixLength = length
                } else {
                    log.reject(path, "\(quoted(text)) is not an IPv4 prefix like 169.254.100.0/24")
                }
            }
        }
        readInteger("hop-limit", of: section, into: &metadata.hopLimit)
        readInteger("nat-idle-seconds", of: section, into: &metadata.natIdleSeconds)
        readInteger("nat-linger-seconds", of: section, into: &metadata.natLingerSeconds)
        if let node = section.optional("rate-limit") {
            metadata.rateLimit = decodeMetadataRateLimit(node, at: section.path(of: "rate-limit"))
        }
        if let node = section.optional("vlans") {
            let path = section.path(of: "vlans")
            if let elements = walker.list(node, at: path, expected: "a list of VLAN IDs, e.g. [100, 200]") {
                for (index, element) in elements.enumerated() {
                    let elementPath = KeyPath.element(path, index)
                    guard let value = walker.integer(element, at: elementPath) else { continue }
                    if let vlan = UInt16(exactly: value), L2Rules.vlanIDProblem(Int(vlan)) == nil {
                        metadata.vlans.append(vlan)
                    } else {
                        log.reject(elementPath, "\(value) is \(L2Rules.vlanIDProblem(value) ?? "not a VLAN ID")")
                    }
                }
            }
        }
        if let node = section.optional("addresses") {
            metadata.addresses = decodeMetadataAddresses(node, at: section.path(of: "addresses"))
        }
        return metadata
    }

    private func decodeMetadataAddresses(_ node: Node, at path: String) -> [MetadataAddressConfig] {
        let example = "{port: vm1, address: 169.254.100.2}"
        guard let elements = walker.list(node, at: path, expected: "a list of pool addresses like \(example)") else {
            return []
        }
        return elements.enumerated().map { index, element in
            var entry = MetadataAddressConfig(port: "", address: IPv4Address(rawValue: 0))
            guard
                let section = walker.mapping(
                    element, at: KeyPath.element(path, index), allowedKeys: ConfigKeys.metadataAddress,
                    expected: "a mapping like \(example)")
            else { return entry }
            if let node = section.required("port", hint: "the served port's name") {
                entry.port = walker.string(node, at: section.path(of: "port")) ?? ""
            }
            if let node = section.required("address", hint: "the port's address in the pool") {
                entry.address = decodeMetadataAddress(node, at: section.path(of: "address")) ?? entry.address
            }
            return entry
        }
    }

    private func decodeMetadataRateLimit(_ node: Node, at path: String) -> MetadataRateLimit {
        var limit = MetadataRateLimit()
        let hint = "{requests-per-second: 10, burst: 20}"
        guard
            let section = walker.mapping(
                node, at: path, allowedKeys: ConfigKeys.metadataRateLimit, expected: "a mapping like \(hint)")
        else { return limit }
        if let node = section.required("requests-per-second", hint: "new connections per second, e.g. \(hint)") {
            limit.requestsPerSecond = walker.integer(node, at: section.path(of: "requests-per-second")) ?? 0
        }
        if let node = section.required("burst", hint: "the bucket's size in connections, e.g. \(hint)") {
            limit.burst = walker.integer(node, at: section.path(of: "burst")) ?? 0
        }
        return limit
    }

    private func decodeMetadataAddress(_ node: Node, at path: String) -> IPv4Address? {
        log.locate(path, line: node.mark?.line)
        guard case .scalar(let scalar) = node, !YAMLWalker.isNull(node), let address = IPv4Address(scalar.string)
        else {
            log.reject(path, "expected an IPv4 address like 169.254.100.1, got \(YAMLWalker.describe(node))")
            return nil
        }
        return address
    }

    private func decodeMetadataMAC(_ node: Node, at path: String) -> EthernetAddress? {
        log.locate(path, line: node.mark?.line)
        guard case .scalar(let scalar) = node, let mac = EthernetAddress(scalar.string) else {
            log.reject(
                path,
                "expected a MAC address (six two-digit hex bytes separated by colons, e.g. \"02:00:00:00:a9:01\"), got \(YAMLWalker.describe(node))"
            )
            return nil
        }
        return mac
    }

    /// A port's `metadata: {enabled: true, instance-id: i-0123, rate-limit: {...}}`.
    func decodeMetadataKeys(of section: YAMLWalker.Mapping, into port: inout PortConfig) {
        guard let node = section.optional("metadata") else { return }
        let path = section.path(of: "metadata")
        var config = MetadataPortConfig()
        defer { port.metadata = config }
        guard
            let metadata = walker.mapping(
                node, at: path, allowedKeys: ConfigKeys.metadataPortKeys,
                expected: "a mapping like {enabled: true, instance-id: i-0123456789abcdef0}")
        else {
            log.markUndecodable(path)
            return
        }
        if let node = metadata.optional("enabled"),
            let word = walker.keyword(node, at: metadata.path(of: "enabled"), allowed: ["true", "false"])
        {
            config.enabled = word == "true"
        }
        if let node = metadata.optional("instance-id") {
            config.instanceID = walker.string(node, at: metadata.path(of: "instance-id"))
        }
        if let node = metadata.optional("rate-limit") {
            config.rateLimit = decodeMetadataRateLimit(node, at: metadata.path(of: "rate-limit"))
        }
    }
}
