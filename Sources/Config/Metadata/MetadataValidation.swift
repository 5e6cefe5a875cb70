import Packet

/// The `metadata` section's rules and those of the ports' `metadata:` sub-mappings.
extension Validator {
    static let metadataRequestsPerSecond = 1...1_000_000
    static let metadataBurst = 1...1_000_000
    /// Pools from a /16 (the whole link-local range) to a /30 (two ports).
    static let metadataPoolPrefix = 16...30

    func validateMetadata() {
        validateMetadataPorts()
        guard let metadata = config.metadata, isKnown("metadata") else { return }
        checkRange(metadata.tcpPort, 1...65535, at: "metadata.tcp-port")
        checkRange(metadata.serviceTCPPort, 1...65535, at: "metadata.service-tcp-port")
        checkRange(metadata.hopLimit, 1...255, at: "metadata.hop-limit")
        checkRange(metadata.natIdleSeconds, 1...86400, at: "metadata.nat-idle-seconds")
        checkRange(metadata.natLingerSeconds, 0...3600, at: "metadata.nat-linger-seconds")
        validateMetadataRateLimit(metadata.rateLimit, at: "metadata.rate-limit")
        for (key, address) in [("address", metadata.address), ("service-address", metadata.serviceAddress)]
        where isKnown("metadata.\(key)") {
            if let problem = VXLANRules.unicastProblem(address) { report("metadata.\(key)", problem) }
        }
        if isKnown("metadata.address") && isKnown("metadata.service-address")
            && metadata.address == metadata.serviceAddress
        {
            report(
                "metadata.service-address",
                "\(metadata.serviceAddress) is the intercepted address (metadata.address); give the host's address of the service"
            )
        }
        for (key, mac) in [("service-mac", metadata.serviceMAC), ("mac", metadata.mac)] where isKnown("metadata.\(key)")
        {
            if mac.isMulticast || mac == .zero {
                report("metadata.\(key)", "\(mac) is not a unicast MAC address")
            }
        }
        if isKnown("metadata.service-port") {
            if let port = config.ports.first(where: { $0.name == metadata.servicePort }) {
                if port.metadata?.enabled == true {
                    report(
                        "metadata.service-port",
                        "\(quoted(port.name)) is served as a VM port (its metadata.enabled is true); the service port cannot be one"
                    )
                }
                if config.patches.contains(where: { $0.a == port.name || $0.b == port.name }) {
                    report("metadata.service-port", "\(quoted(port.name)) is patched; the service port must be bridged")
                }
            } else {
                report(
                    "metadata.service-port",
                    "no port is named \(quoted(metadata.servicePort)); name the port that leads to the service")
            }
        }
        guard isKnown("metadata.pool"),
            checkRange(metadata.poolPrefixLength, Self.metadataPoolPrefix, at: "metadata.pool") != nil
        else { return }
        if metadata.pool.rawValue & ~metadata.poolMask != 0 {
            report(
                "metadata.pool",
                "\(metadata.pool)/\(metadata.poolPrefixLength) has host bits set; write the network address (\(IPv4Address(rawValue: metadata.pool.rawValue & metadata.poolMask))/\(metadata.poolPrefixLength))"
            )
            return
        }
        if isKnown("metadata.address") && metadata.poolContains(metadata.address) {
            report(
                "metadata.pool",
                "\(metadata.pool)/\(metadata.poolPrefixLength) contains the intercepted address \(metadata.address); a guest's request and a port's identity must not overlap"
            )
        }
        let served = config.metadataServedPorts.count
        if served > metadata.usableAddresses {
            report(
                "metadata.pool",
                "\(metadata.pool)/\(metadata.poolPrefixLength) is too small: \(served) served ports, \(metadata.usableAddresses) usable addresses (without the network, broadcast and service addresses)"
            )
        }
        var seen: [UInt32: String] = [:]
        for (index, entry) in metadata.addresses.enumerated() {
            let path = KeyPath.child(KeyPath.element("metadata.addresses", index), "address")
            guard isKnown(path) else { continue }
            if let problem = metadata.poolAddressProblem(entry.address) {
                report(path, problem)
            } else if let other = seen[entry.address.rawValue] {
                report(path, "\(entry.address) is also the address of \(quoted(other)); each port needs its own")
            } else if metadata.addresses[..<index].contains(where: { $0.port == entry.port }) {
                report(
                    KeyPath.child(KeyPath.element("metadata.addresses", index), "port"),
                    "\(quoted(entry.port)) has an earlier entry; a port has one address")
            }
            seen[entry.address.rawValue] = entry.port
        }
    }

    private func validateMetadataRateLimit(_ limit: MetadataRateLimit, at path: String) {
        guard isKnown(path) else { return }
        checkRange(
            limit.requestsPerSecond, Self.metadataRequestsPerSecond, at: KeyPath.child(path, "requests-per-second"))
        checkRange(limit.burst, Self.metadataBurst, at: KeyPath.child(path, "burst"))
    }

    private func validateMetadataPorts() {
        for (index, port) in config.ports.enumerated() {
            guard let own = port.metadata else { continue }
            let path = KeyPath.child(KeyPath.element("ports", index), "metadata")
            guard isKnown(path) else { continue }
            if config.metadata == nil {
                report(path, "needs the metadata section (the intercepted address, the service and the pool)")
                continue
            }
            if let id = own.instanceID {
                let idPath = KeyPath.child(path, "instance-id")
                if id.isEmpty || id.utf8.count > 255 || id.contains("/") || id.hasPrefix(".") {
                    report(
                        idPath,
                        "\(quoted(id)) cannot name an instance directory: 1 to 255 bytes, no \"/\", not starting with \".\""
                    )
                }
            }
            if let limit = own.rateLimit { validateMetadataRateLimit(limit, at: KeyPath.child(path, "rate-limit")) }
            if own.enabled, case .trunk = port.vlan ?? .access(vlan: VLANMode.defaultVLAN) {
                report(path, "the port is a trunk; the metadata intercept serves access ports only")
            }
        }
    }
}
