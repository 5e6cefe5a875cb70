import Packet
import Yams

/// Decoding of the `vxlan` section: types and syntax, problems at key paths. Ranges and relations (ports,
/// VLANs, the subnet) are validation's.
///
/// Addresses are checked completely here, because the model holds only IPv4: an IPv6 address is refused
/// with a message saying that an IPv6 underlay is not supported yet.
extension ConfigDecoder {
    func decodeVXLAN(_ node: Node?) -> VXLANConfig? {
        guard let node, !YAMLWalker.isNull(node) else { return nil }
        // Placeholders stand in for what cannot be read; their paths are undecodable.
        var vxlan = VXLANConfig(uplink: "", address: IPv4Address(rawValue: 0), prefixLength: 32)
        guard
            let section = walker.mapping(
                node, at: "vxlan", allowedKeys: ConfigKeys.vxlan,
                expected: "a mapping with uplink, address and vnis (see docs/vxlan.md)")
        else { return vxlan }

        if let node = section.required("uplink", hint: "the name of the port that leads to the underlay") {
            vxlan.uplink = walker.string(node, at: section.path(of: "uplink")) ?? ""
        }
        if let node = section.required(
            "address", hint: "the local VTEP's IPv4 address with its prefix length, e.g. \"192.0.2.1/24\"")
        {
            let path = section.path(of: "address")
            if let (address, prefixLength) = decodeVTEPAddress(node, at: path) {
                vxlan.address = address
                vxlan.prefixLength = prefixLength
            } else {
                log.markUndecodable(path)
            }
        }
        if let node = section.optional("underlay-vlan") {
            let path = section.path(of: "underlay-vlan")
            if let value = walker.integer(node, at: path) {
                if let vlan = UInt16(exactly: value) {
                    vxlan.underlayVLAN = vlan
                } else {
                    log.reject(path, "\(value) is \(L2Rules.vlanIDProblem(value) ?? "")")
                }
            }
        }
        if let node = section.optional("gateway") {
            vxlan.gateway = decodeUnderlayAddress(node, at: section.path(of: "gateway"), role: "the gateway")
        }
        readInteger("mtu", of: section, into: &vxlan.mtu)
        readInteger("ttl", of: section, into: &vxlan.ttl)
        if let node = section.optional("vnis") {
            vxlan.vnis = decodeVNIs(node, at: section.path(of: "vnis"))
        }
        if let node = section.optional("remote-macs") {
            vxlan.remoteMACs = decodeRemoteMACs(node, at: section.path(of: "remote-macs"))
        }
        return vxlan
    }

    // MARK: vnis

    private func decodeVNIs(_ node: Node, at path: String) -> [VNIConfig] {
        guard
            let elements = walker.list(
                node, at: path, expected: "a list of VNIs like {vni: 1000, vlan: 100, flood: [\"192.0.2.2\"]}")
        else { return [] }
        // Undecodable entries stay as placeholders so that later entries keep their index in paths.
        return elements.enumerated().map { index, element in
            var entry = VNIConfig(vni: 0, vlan: 0)
            guard
                let section = walker.mapping(
                    element, at: KeyPath.element(path, index), allowedKeys: ConfigKeys.vxlanVNI,
                    expected: "a VNI mapping like {vni: 1000, vlan: 100, flood: [\"192.0.2.2\"]}")
            else { return entry }
            if let node = section.required("vni", hint: "the VXLAN network identifier, 1...16777215") {
                entry.vni = decodeVNI(node, at: section.path(of: "vni")) ?? 0
            }
            if let node = section.required("vlan", hint: "the bridge VLAN the VNI extends, 1...4094") {
                let vlanPath = section.path(of: "vlan")
                if let value = walker.integer(node, at: vlanPath) {
                    if let vlan = UInt16(exactly: value) {
                        entry.vlan = vlan
                    } else {
                        log.reject(vlanPath, "\(value) is \(L2Rules.vlanIDProblem(value) ?? "")")
                    }
                }
            }
            if let node = section.optional("flood") {
                let floodPath = section.path(of: "flood")
                if let addresses = walker.list(
                    node, at: floodPath, expected: "a list of remote VTEP addresses like [\"192.0.2.2\"]")
                {
                    let decoded = addresses.enumerated().map { position, address in
                        decodeUnderlayAddress(
                            address, at: KeyPath.element(floodPath, position), role: "a remote VTEP")
                    }
                    entry.flood = decoded.compactMap { $0 }
                    // A partial list would make the index-based rules misleading.
                    if entry.flood.count != decoded.count { log.markUndecodable(floodPath) }
                }
            }
            return entry
        }
    }

    /// A VNI as the model holds it (24 bits; 0 is refused by validation).
    private func decodeVNI(_ node: Node, at path: String) -> UInt32? {
        guard let value = walker.integer(node, at: path) else { return nil }
        guard let vni = UInt32(exactly: value), vni <= VXLANRules.maximumVNI else {
            log.reject(path, "\(value) is out of range 1...\(VXLANRules.maximumVNI) (a VNI has 24 bits)")
            return nil
        }
        return vni
    }

    // MARK: remote-macs

    private func decodeRemoteMACs(_ node: Node, at path: String) -> [RemoteMACConfig] {
        guard
            let elements = walker.list(
                node, at: path,
                expected: "a list of remote MACs like {mac: \"52:54:00:aa:bb:cc\", vni: 1000, vtep: \"192.0.2.2\"}")
        else { return [] }
        return elements.enumerated().map { index, element in
            var entry = RemoteMACConfig(mac: .zero, vni: 0, vtep: IPv4Address(rawValue: 0))
            guard
                let section = walker.mapping(
                    element, at: KeyPath.element(path, index), allowedKeys: ConfigKeys.vxlanRemoteMAC,
                    expected: "a remote MAC mapping like {mac: \"52:54:00:aa:bb:cc\", vni: 1000, vtep: \"192.0.2.2\"}")
            else { return entry }
            if let node = section.required("mac", hint: "the station's unicast MAC, e.g. \"52:54:00:aa:bb:cc\"") {
                let macPath = section.path(of: "mac")
                log.locate(macPath, line: node.mark?.line)
                if case .scalar(let scalar) = node, let mac = EthernetAddress(scalar.string) {
                    entry.mac = mac
                } else {
                    log.reject(
                        macPath,
                        "expected a MAC address (six two-digit hex bytes separated by colons, e.g. \"52:54:00:12:34:56\"), got \(YAMLWalker.describe(node))"
                    )
                }
            }
            if let node = section.required("vni", hint: "one of the VNIs listed in vxlan.vnis") {
                entry.vni = decodeVNI(node, at: section.path(of: "vni")) ?? 0
            }
            if let node = section.required("vtep", hint: "the remote VTEP's IPv4 address, e.g. \"192.0.2.2\"") {
                let vtepPath = section.path(of: "vtep")
                entry.vtep = decodeUnderlayAddress(node, at: vtepPath, role: "a remote VTEP") ?? entry.vtep
            }
            return entry
        }
    }

    // MARK: Addresses

    /// "a.b.c.d/n".
    private func decodeVTEPAddress(_ node: Node, at path: String) -> (IPv4Address, Int)? {
        log.locate(path, line: node.mark?.line)
        guard case .scalar(let scalar) = node, node.tagName == .str else {
            log.report(
                path,
                "expected an IPv4 address with a prefix length like \"192.0.2.1/24\", got \(YAMLWalker.describe(node))")
            return nil
        }
        let text = scalar.string
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if VXLANRules.looksLikeIPv6(String(parts[0])) {
            log.report(path, "\(quoted(text)) is an IPv6 address: \(VXLANRules.ipv6Refusal)")
            return nil
        }
        guard parts.count == 2, let address = IPv4Address(String(parts[0])),
            parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let prefixLength = Int(parts[1])
        else {
            let hint =
                parts.count == 1 && IPv4Address(text) != nil
                ? " (the prefix length is missing: write \"\(text)/24\" for a /24 underlay subnet)" : ""
            log.report(
                path, "\(quoted(text)) is not an IPv4 address with a prefix length like \"192.0.2.1/24\"\(hint)")
            return nil
        }
        return (address, prefixLength)
    }

    /// A single IPv4 address: the gateway, a flood-list entry, a remote MAC's VTEP.
    private func decodeUnderlayAddress(_ node: Node, at path: String, role: String) -> IPv4Address? {
        log.locate(path, line: node.mark?.line)
        guard case .scalar(let scalar) = node, !YAMLWalker.isNull(node) else {
            log.reject(path, "expected an IPv4 address (\(role)), got \(YAMLWalker.describe(node))")
            return nil
        }
        let text = scalar.string
        if let address = IPv4Address(text) { return address }
        if VXLANRules.looksLikeIPv6(text) {
            log.reject(path, "\(quoted(text)) is an IPv6 address: \(VXLANRules.ipv6Refusal)")
        } else if text.contains("/") {
            log.reject(path, "\(quoted(text)) has a prefix length; give \(role)'s address alone, e.g. \"192.0.2.2\"")
        } else {
            log.reject(path, "\(quoted(text)) is not an IPv4 address: write a dotted quad like \"192.0.2.2\"")
        }
        return nil
    }
}
