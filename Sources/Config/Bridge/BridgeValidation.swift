import Packet

/// The static MAC entries seen so far, by (VLAN, MAC), with the key path of the entry that claimed each.
struct StaticMACRegistry {
    private struct Key: Hashable {
        let vlan: UInt16
        let mac: EthernetAddress
    }

    private var claimedBy: [Key: String] = [:]

    /// Records the entry at `path`; returns the path of an earlier entry for the same VLAN and MAC, if any.
    mutating func claim(vlan: UInt16, mac: EthernetAddress, at path: String) -> String? {
        let key = Key(vlan: vlan, mac: mac)
        if let earlier = claimedBy[key] { return earlier }
        claimedBy[key] = path
        return nil
    }
}

/// The L2 rules: the `l2` section and the bridge keys of each port.
extension Validator {
    // MARK: l2

    func validateL2() {
        let l2 = config.l2
        let agingPath = "l2.mac-aging-seconds"
        let aging = l2.macAgingSeconds
        if isKnown(agingPath), aging != 0, !Limits.macAgingSeconds.contains(aging) {
            let range = Limits.macAgingSeconds
            report(
                agingPath,
                "\(aging) is out of range: use 0 to disable aging, or \(range.lowerBound)...\(range.upperBound) seconds"
            )
        }
        checkRange(l2.maxMACsPerPort, Limits.macsPerPort, at: "l2.max-macs-per-port")
        let sizePath = "l2.mac-table-size"
        if let size = checkRange(l2.macTableSize, Limits.macTableSize, at: sizePath), size & (size - 1) != 0 {
            let range = Limits.macTableSize
            report(
                sizePath,
                "\(size) is not a power of two; use one of \(range.lowerBound), \(range.lowerBound * 2), \(range.lowerBound * 4), ..., \(range.upperBound)"
            )
        }
    }

    // MARK: Bridge keys of a port

    /// The patch each patched port is in, by port index. A name shared by several ports (itself an error)
    /// refers to the first, as in `SluiceConfig.portIndex(named:)`.
    func patchOfPorts() -> [Int: Int] {
        var firstPortNamed: [String: Int] = [:]
        for (index, port) in config.ports.enumerated().reversed()
        where isKnown(KeyPath.child(KeyPath.element("ports", index), "name")) {
            firstPortNamed[port.name] = index
        }
        var result: [Int: Int] = [:]
        for (index, pair) in config.patches.enumerated() {
            let path = KeyPath.element("patches", index)
            for (end, name) in [pair.a, pair.b].enumerated() where isKnown(KeyPath.element(path, end)) {
                if let port = firstPortNamed[name], result[port] == nil { result[port] = index }
            }
        }
        return result
    }

    func validateBridgeKeys(of port: PortConfig, at path: String, patch: Int?, staticMACs: inout StaticMACRegistry) {
        let key = { (name: String) in KeyPath.child(path, name) }
        if let patch {
            // Only the fact that they are set matters: none of these can apply.
            let setKeys = [
                ("vlan", port.vlan != nil), ("max-macs", port.maxMACs != nil),
                ("port-security", port.portSecurity != nil), ("static-macs", !port.staticMACs.isEmpty),
            ]
            for (name, isSet) in setKeys where isSet && isKnown(key(name)) {
                report(
                    key(name),
                    "cannot be set on \(quoted(port.name)), which is in patches[\(patch)]: patched ports bypass the L2 bridge, so VLANs, MAC limits, port security and static MACs do not apply to them; remove \(name), or remove the patch to bridge the port"
                )
            }
            return
        }
        let mode = validateVLANMode(port.vlan, at: key("vlan"))
        if let maxMACs = port.maxMACs {
            checkRange(maxMACs, Limits.macsPerPort, at: key("max-macs"))
        }
        if let security = port.portSecurity, isKnown(key("port-security")) {
            validatePortSecurity(security, at: key("port-security"))
        }
        validateStaticMACs(of: port, mode: mode, at: key("static-macs"), staticMACs: &staticMACs)
    }

    /// Reports what is wrong with the port's VLANs; returns its mode if it is known and valid, i.e. usable for
    /// the static MAC rules.
    private func validateVLANMode(_ vlan: VLANMode?, at path: String) -> VLANMode? {
        guard let vlan else { return .access(vlan: VLANMode.defaultVLAN) }
        guard isKnown(path) else { return nil }
        var usable = true
        switch vlan {
        case .access(let id):
            let idPath = KeyPath.child(path, "id")
            guard isKnown(idPath) else { return nil }
            if let problem = L2Rules.vlanIDProblem(id) {
                report(idPath, "\(id) is \(problem)")
                usable = false
            }
        case .trunk(let allowed, let native):
            let allowedPath = KeyPath.child(path, "allowed")
            if isKnown(allowedPath) {
                if allowed.isEmpty {
                    report(
                        allowedPath,
                        "is empty; a trunk port needs at least one allowed VLAN, e.g. [100] (for untagged frames only, use mode: access)"
                    )
                    usable = false
                }
                // Only a set built in code can hold these: parsing reports them element by element.
                let unusable = allowed.ids.filter { L2Rules.vlanIDProblem($0) != nil }
                for reserved in unusable where reserved == 0 || reserved == 4095 {
                    report(allowedPath, "includes \(reserved), which is \(L2Rules.vlanIDProblem(reserved) ?? "")")
                }
                let beyond = unusable.filter { $0 > 4095 }
                if !beyond.isEmpty {
                    let range = "\(Limits.vlanID.lowerBound)...\(Limits.vlanID.upperBound)"
                    let verb = beyond.count == 1 ? "is" : "are"
                    report(allowedPath, "includes \(VLANSet.describe(beyond)), which \(verb) out of range \(range)")
                }
                usable = usable && unusable.isEmpty
            } else {
                usable = false
            }
            let nativePath = KeyPath.child(path, "native")
            if !isKnown(nativePath) {
                usable = false
            } else if let native, let problem = L2Rules.vlanIDProblem(native) {
                report(nativePath, "\(native) is \(problem)")
                usable = false
            }
        }
        return usable ? vlan : nil
    }

    private func validatePortSecurity(_ security: PortSecurityConfig, at path: String) {
        let macPath = KeyPath.child(path, "mac")
        if isKnown(macPath), let problem = L2Rules.stationMACProblem(security.mac, for: .portSecurity) {
            report(macPath, problem)
        }
        // Parsing reports bad and repeated addresses at their list element and leaves them out; these only
        // show in configs built in code.
        let ipsPath = KeyPath.child(path, "ips")
        guard isKnown(ipsPath) else { return }
        let addresses = security.ipv4.map(L2Rules.SourceAddress.v4) + security.ipv6.map(L2Rules.SourceAddress.v6)
        var seen: Set<L2Rules.SourceAddress> = []
        for address in addresses {
            if let problem = L2Rules.sourceAddressProblem(address) {
                report(ipsPath, problem)
            } else if !seen.insert(address).inserted {
                report(ipsPath, "lists \(address) more than once; list each address once")
            }
        }
    }

    private func validateStaticMACs(
        of port: PortConfig, mode: VLANMode?, at path: String, staticMACs: inout StaticMACRegistry
    ) {
        for (index, entry) in port.staticMACs.enumerated() {
            let entryPath = KeyPath.element(path, index)
            guard isKnown(entryPath) else { continue }
            let macPath = KeyPath.child(entryPath, "mac")
            var macUsable = isKnown(macPath)
            if macUsable, let problem = L2Rules.stationMACProblem(entry.mac, for: .staticEntry) {
                report(macPath, problem)
                macUsable = false
            }
            // The VLAN can only be judged against VLANs that are known and valid.
            guard let mode, let vlan = resolveStaticVLAN(entry, of: port, mode: mode, at: entryPath) else { continue }
            guard macUsable else { continue }
            if let earlier = staticMACs.claim(vlan: vlan, mac: entry.mac, at: entryPath) {
                report(
                    entryPath,
                    "\(entry.mac) on VLAN \(vlan) is already a static MAC at \(earlier); a MAC can have only one static entry per VLAN"
                )
            }
        }
    }

    /// The entry's VLAN, reporting why it has none that is usable.
    private func resolveStaticVLAN(
        _ entry: StaticMACConfig, of port: PortConfig, mode: VLANMode, at entryPath: String
    ) -> UInt16? {
        let vlanPath = KeyPath.child(entryPath, "vlan")
        guard isKnown(vlanPath) else { return nil }
        if let vlan = entry.vlan, let problem = L2Rules.vlanIDProblem(vlan) {
            report(vlanPath, "\(vlan) is \(problem)")
            return nil
        }
        switch mode {
        case .access(let access):
            guard let vlan = entry.vlan else { return access }
            guard vlan == access else {
                let origin = port.vlan == nil ? " (the default: the port has no vlan section)" : ""
                report(
                    vlanPath,
                    "\(vlan) is not the VLAN of this access port, which is \(access)\(origin); omit vlan to use the port's VLAN"
                )
                return nil
            }
            return vlan
        case .trunk(let allowed, let native):
            let carried = "allowed is \(allowed)" + (native.map { " and native is \($0)" } ?? ", with no native VLAN")
            guard let vlan = entry.vlan else {
                report(vlanPath, "is required on a trunk port: give the VLAN the MAC is in (\(carried))")
                return nil
            }
            guard allowed.contains(vlan) || vlan == native else {
                report(vlanPath, "\(vlan) is not carried by this trunk port: \(carried)")
                return nil
            }
            return vlan
        }
    }
}
