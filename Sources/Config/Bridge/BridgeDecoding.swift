import Packet
import Yams

/// Decoding of the `l2` section and of the ports' bridge keys (`vlan`, `max-macs`, `port-security`,
/// `static-macs`).
///
/// The elements of `vlan.allowed` and `port-security.ips` are checked completely here, because the model
/// keeps only the lists' content (a set of VLANs, arrays of addresses): an out-of-range, malformed or repeated
/// element is reported at its own key path and left out. Rules on the single values the model holds (VLAN
/// IDs, MACs) are left to validation, as everywhere else.
extension ConfigDecoder {
    // MARK: l2

    func decodeL2(_ node: Node?) -> L2Config {
        var l2 = L2Config()
        guard let section = walker.section(node, at: "l2", allowedKeys: ConfigKeys.l2) else { return l2 }
        readInteger("mac-aging-seconds", of: section, into: &l2.macAgingSeconds)
        readInteger("max-macs-per-port", of: section, into: &l2.maxMACsPerPort)
        readInteger("mac-table-size", of: section, into: &l2.macTableSize)
        return l2
    }

    // MARK: Bridge keys of a port

    func decodeBridgeKeys(of section: YAMLWalker.Mapping, into port: inout PortConfig) {
        if let node = section.optional("vlan") {
            port.vlan = decodeVLAN(node, at: section.path(of: "vlan"))
        }
        if let node = section.optional("max-macs") {
            port.maxMACs = walker.integer(node, at: section.path(of: "max-macs"))
        }
        if let node = section.optional("port-security") {
            port.portSecurity = decodePortSecurity(node, at: section.path(of: "port-security"))
        }
        if let node = section.optional("static-macs") {
            port.staticMACs = decodeStaticMACs(node, at: section.path(of: "static-macs"))
        }
    }

    // MARK: vlan

    /// A mode is always returned for a present key, so that rules about the key's presence (patched ports)
    /// still apply. Parts that cannot be read are placeholders, with their paths undecodable; if the mode
    /// itself is unknown, so is `path`, and the values present are only checked on their own.
    private func decodeVLAN(_ node: Node, at path: String) -> VLANMode {
        let placeholder = VLANMode.access(vlan: VLANMode.defaultVLAN)
        guard
            let section = walker.mapping(
                node, at: path, allowedKeys: ConfigKeys.vlan,
                expected: "a VLAN mapping like {mode: access, id: 100} or {mode: trunk, allowed: [100, \"200-210\"]}")
        else { return placeholder }

        var mode: String?
        if let node = section.required(
            "mode",
            hint:
                "access (one VLAN, given by id, untagged on the wire) or trunk (802.1Q-tagged VLANs, listed in allowed)"
        ) {
            mode = walker.keyword(node, at: section.path(of: "mode"), allowed: ConfigKeys.vlanModes)
        }

        switch mode {
        case "access":
            // Keys that do not belong to the mode are reported rather than read: the model cannot hold them.
            reportMisplaced(
                in: section,
                [
                    "allowed":
                        "is not allowed with mode: access, which carries only the VLAN given by id; use mode: trunk to carry several VLANs tagged",
                    "native":
                        "is not allowed with mode: access: an access port's VLAN (id) is already untagged; native only applies to trunk ports",
                ])
            var id: UInt16?
            if let node = section.required("id", hint: "the port's VLAN, 1...4094") {
                id = decodeVLAN(number: node, at: section.path(of: "id"))
            }
            return .access(vlan: id ?? VLANMode.defaultVLAN)

        case "trunk":
            reportMisplaced(
                in: section,
                [
                    "id":
                        "is not allowed with mode: trunk; list the VLANs the trunk carries tagged in allowed, and the VLAN of its untagged frames in native"
                ])
            var allowed: VLANSet?
            if let node = section.required(
                "allowed",
                hint:
                    "the VLANs the trunk carries tagged: integers 1...4094 and \"a-b\" ranges, e.g. [100, \"200-210\"]")
            {
                allowed = decodeAllowedVLANs(node, at: section.path(of: "allowed"))
            }
            let native = section.optional("native").flatMap { decodeVLAN(number: $0, at: section.path(of: "native")) }
            return .trunk(allowed: allowed ?? VLANSet([]), native: native)

        default:
            // The model cannot hold these without a mode, so they are checked completely here.
            if let node = section.optional("id") { _ = decodeUsableVLAN(node, at: section.path(of: "id")) }
            if let node = section.optional("allowed") { _ = decodeAllowedVLANs(node, at: section.path(of: "allowed")) }
            if let node = section.optional("native") { _ = decodeUsableVLAN(node, at: section.path(of: "native")) }
            log.markUndecodable(path)
            return placeholder
        }
    }

    private func reportMisplaced(in section: YAMLWalker.Mapping, _ messages: [String: String]) {
        for key in ConfigKeys.vlan where section.contains(key) {
            if let message = messages[key] { log.report(section.path(of: key), message) }
        }
    }

    /// A VLAN ID as the model holds it; whether it is usable (1...4094) is validation's business, except
    /// for values the model cannot hold at all.
    private func decodeVLAN(number node: Node, at path: String) -> UInt16? {
        guard let value = walker.integer(node, at: path) else { return nil }
        guard let vlan = UInt16(exactly: value) else {
            log.reject(path, "\(value) is \(L2Rules.vlanIDProblem(value) ?? "")")
            return nil
        }
        return vlan
    }

    /// A VLAN ID checked completely here, because the model will not hold it: an element of `allowed` (kept
    /// only as part of a set), or `id` and `native` when the mode is unknown.
    private func decodeUsableVLAN(_ node: Node, at path: String) -> UInt16? {
        guard let value = walker.integer(node, at: path) else { return nil }
        if let problem = L2Rules.vlanIDProblem(value) {
            log.reject(path, "\(value) is \(problem)")
            return nil
        }
        return UInt16(value)
    }

    /// The `allowed` list of a trunk: nil (and `path` undecodable) if any element is unusable, so that no
    /// rule judges a trunk by a partial set.
    private func decodeAllowedVLANs(_ node: Node, at path: String) -> VLANSet? {
        guard let elements = walker.list(node, at: path, expected: "a list of VLANs like [100, \"200-210\"]") else {
            return nil
        }
        var allowed = VLANSet([])
        var complete = true
        // The element that first listed each VLAN, for the message about repeats.
        var listedBy = [Int?](repeating: nil, count: 4096)
        for (index, element) in elements.enumerated() {
            let elementPath = KeyPath.element(path, index)
            guard let (range, written) = decodeVLANRange(element, at: elementPath) else {
                complete = false
                continue
            }
            var repeats: [Int: [UInt16]] = [:]
            for vlan in range {
                if let first = listedBy[Int(vlan)] {
                    repeats[first, default: []].append(vlan)
                } else {
                    listedBy[Int(vlan)] = index
                    allowed.insert(vlan)
                }
            }
            if !repeats.isEmpty {
                let earlier = repeats.keys.sorted().map { first in
                    let vlans = repeats[first] ?? []
                    let noun = vlans.count == 1 ? "VLAN" : "VLANs"
                    return "\(noun) \(VLANSet.describe(vlans)) already listed in \(KeyPath.element(path, first))"
                }
                log.report(
                    elementPath,
                    "\(written) repeats \(earlier.joined(separator: " and ")); each VLAN may appear only once")
            }
        }
        guard complete else {
            log.markUndecodable(path)
            return nil
        }
        return allowed
    }

    /// One element of `allowed`: an integer VLAN or an "a-b" range string. Returns the VLANs and the element
    /// as written, for messages.
    private func decodeVLANRange(_ node: Node, at path: String) -> (ClosedRange<UInt16>, String)? {
        log.locate(path, line: node.mark?.line)
        let expected = "expected a VLAN (an integer 1...4094) or a range like \"200-210\""
        guard case .scalar(let scalar) = node, node.tagName == .int || node.tagName == .str else {
            log.reject(path, "\(expected), got \(YAMLWalker.describe(node))")
            return nil
        }
        if node.tagName == .int {
            guard let vlan = decodeUsableVLAN(node, at: path) else { return nil }
            return (vlan...vlan, String(vlan))
        }

        let text = scalar.string
        let written = quoted(text)
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 2, ends.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
            var message = "\(written) is not a VLAN range: write \"a-b\" with a <= b, e.g. \"200-210\""
            if let single = Int(text), text.allSatisfy({ $0.isASCII && $0.isNumber }),
                L2Rules.vlanIDProblem(single) == nil
            {
                message += ", or a single VLAN as an integer without quotes (\(single))"
            }
            log.reject(path, message)
            return nil
        }
        var bounds: [UInt16] = []
        for (end, position) in zip(ends, ["starts at", "ends at"]) {
            // Too many digits for an Int is simply out of range.
            let value = Int(end) ?? Int.max
            if let problem = L2Rules.vlanIDProblem(value) {
                log.reject(path, "\(written) \(position) \(end), which is \(problem)")
                return nil
            }
            bounds.append(UInt16(value))
        }
        guard bounds[0] <= bounds[1] else {
            log.reject(path, "\(written) runs backwards: write the lower VLAN first, \"\(bounds[1])-\(bounds[0])\"")
            return nil
        }
        return (bounds[0]...bounds[1], written)
    }

    // MARK: port-security

    private func decodePortSecurity(_ node: Node, at path: String) -> PortSecurityConfig {
        // Placeholders stand in for what cannot be read; their paths are undecodable.
        var security = PortSecurityConfig(mac: .zero)
        guard
            let section = walker.mapping(
                node, at: path, allowedKeys: ConfigKeys.portSecurity,
                expected: "a mapping with mac and, optionally, ips")
        else { return security }
        if let node = section.required(
            "mac", hint: "the only source MAC accepted from the port, e.g. \"52:54:00:12:34:56\"")
        {
            security.mac = decodeMAC(node, at: section.path(of: "mac")) ?? .zero
        }
        if let node = section.optional("ips") {
            decodeSourceAddresses(node, at: section.path(of: "ips"), into: &security)
        }
        return security
    }

    private func decodeSourceAddresses(_ node: Node, at path: String, into security: inout PortSecurityConfig) {
        guard
            let elements = walker.list(
                node, at: path, expected: "a list of IPv4 and IPv6 addresses like [\"10.0.0.5\", \"fd00::5\"]")
        else { return }
        guard !elements.isEmpty else {
            // The model could only read an empty list as "any address", the opposite of what it says.
            log.reject(
                path, "is empty; list the source addresses the port may use, or remove ips to accept any source address"
            )
            return
        }
        var listedAt: [L2Rules.SourceAddress: Int] = [:]
        for (index, element) in elements.enumerated() {
            let elementPath = KeyPath.element(path, index)
            guard let (address, text) = decodeSourceAddress(element, at: elementPath) else { continue }
            if let first = listedAt[address] {
                log.report(
                    elementPath,
                    "\(quoted(text)) is the same address as \(KeyPath.element(path, first)); list each address once")
                continue
            }
            if let problem = L2Rules.sourceAddressProblem(address) {
                log.reject(elementPath, problem)
                continue
            }
            listedAt[address] = index
            switch address {
            case .v4(let v4): security.ipv4.append(v4)
            case .v6(let v6): security.ipv6.append(v6)
            }
        }
    }

    /// An IPv4 or IPv6 address and its text as written. Unquoted addresses are fine: a dotted quad is a
    /// string to YAML, and an IPv6 address that YAML 1.1 reads as a base-60 number keeps its text.
    private func decodeSourceAddress(_ node: Node, at path: String) -> (L2Rules.SourceAddress, String)? {
        log.locate(path, line: node.mark?.line)
        let example = "a dotted quad without leading zeros like \"10.0.0.5\", or an IPv6 address like \"fd00::5\""
        guard case .scalar(let scalar) = node, !YAMLWalker.isNull(node) else {
            log.reject(path, "expected an IPv4 or IPv6 address, got \(YAMLWalker.describe(node))")
            return nil
        }
        let text = scalar.string
        if let address = L2Rules.SourceAddress(text) { return (address, text) }
        if node.tagName != .str {
            log.reject(path, "expected an IPv4 or IPv6 address, got \(YAMLWalker.describe(node))")
        } else if let slash = text.firstIndex(of: "/") {
            let prefixLength = quoted(String(text[slash...]))
            log.reject(
                path,
                "\(quoted(text)) has a prefix length; port security matches single source addresses, so list each address the port uses without \(prefixLength)"
            )
        } else {
            log.reject(path, "\(quoted(text)) is not an IPv4 or IPv6 address: write \(example)")
        }
        return nil
    }

    // MARK: static-macs

    private func decodeStaticMACs(_ node: Node, at path: String) -> [StaticMACConfig] {
        guard
            let elements = walker.list(
                node, at: path, expected: "a list of static MAC entries like {mac: ..., vlan: ...}")
        else { return [] }
        // Undecodable entries stay as placeholders so that later entries keep their index in paths.
        return elements.enumerated().map { index, element in
            var entry = StaticMACConfig(mac: .zero)
            guard
                let section = walker.mapping(
                    element, at: KeyPath.element(path, index), allowedKeys: ConfigKeys.staticMAC,
                    expected: "a static MAC mapping like {mac: \"52:54:00:aa:bb:cc\", vlan: 100}")
            else { return entry }
            if let node = section.required("mac", hint: "the station's unicast MAC, e.g. \"52:54:00:aa:bb:cc\"") {
                entry.mac = decodeMAC(node, at: section.path(of: "mac")) ?? .zero
            }
            if let node = section.optional("vlan") {
                entry.vlan = decodeVLAN(number: node, at: section.path(of: "vlan"))
            }
            return entry
        }
    }

    // MARK: MAC addresses

    /// "aa:bb:cc:dd:ee:ff". Quoting is not required: YAML 1.1 reads an unquoted 52:54:00:12:34:56 as a
    /// base-60 number, but its text is still the address.
    private func decodeMAC(_ node: Node, at path: String) -> EthernetAddress? {
        log.locate(path, line: node.mark?.line)
        let example = "six two-digit hex bytes separated by colons, e.g. \"52:54:00:12:34:56\""
        guard case .scalar(let scalar) = node, !YAMLWalker.isNull(node) else {
            log.reject(path, "expected a MAC address (\(example)), got \(YAMLWalker.describe(node))")
            return nil
        }
        if let mac = EthernetAddress(scalar.string) { return mac }
        if node.tagName == .str {
            log.reject(path, "\(quoted(scalar.string)) is not a MAC address: write \(example)")
        } else {
            log.reject(path, "expected a MAC address (\(example)), got \(YAMLWalker.describe(node))")
        }
        return nil
    }
}
