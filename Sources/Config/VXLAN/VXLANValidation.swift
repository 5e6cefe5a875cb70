import Packet

/// Rules on single VXLAN values, shared by decoding and validation.
enum VXLANRules {
    static let maximumVNI: UInt32 = 0xff_ffff
    static let vni: ClosedRange<UInt32> = 1...maximumVNI
    /// An underlay subnet: /31 is a point-to-point link (RFC 3021); /32 would leave the gateway off-link.
    static let prefixLength = 1...31
    /// The underlay's IPv4 MTU: at least IPv4's minimum datagram that every host accepts, at most a jumbo
    /// frame the ports accept.
    static let mtu = 576...9600
    static let ttl = 1...255

    static let ipv6Refusal =
        "an IPv6 underlay is not supported yet (see docs/vxlan.md); give an IPv4 address"

    /// Whether `text` is meant as an IPv6 address (with or without a prefix length).
    static func looksLikeIPv6(_ text: String) -> Bool {
        let address = text.split(separator: "/", maxSplits: 1).first.map(String.init) ?? text
        return IPv6Address(address) != nil
    }

    /// Why `address` cannot be a VTEP's (local or remote) or a gateway's unicast address; nil if it can.
    static func unicastProblem(_ address: IPv4Address) -> String? {
        let first = address.rawValue >> 24
        if address.rawValue == 0 || first == 0 { return "\(address) is in 0.0.0.0/8, which no host uses" }
        if first == 127 { return "\(address) is a loopback address, which never appears on the wire" }
        if address.isBroadcast { return "\(address) is the limited broadcast address" }
        if address.isMulticast {
            return "\(address) is a multicast address; VTEPs are unicast (flood lists replace multicast groups)"
        }
        if first >= 240 { return "\(address) is in the reserved range 240.0.0.0/4" }
        return nil
    }
}

/// The `vxlan` section's rules: ranges, and relations to the ports, the bridge VLANs and the subnet.
extension Validator {
    func validateVXLAN() {
        guard let vxlan = config.vxlan, isKnown("vxlan") else { return }
        let mtu = checkRange(vxlan.mtu, VXLANRules.mtu, at: "vxlan.mtu")
        validateVXLANUplink(vxlan, mtu: mtu)
        let subnet = validateVXLANAddress(vxlan)
        if let vlan = vxlan.underlayVLAN, isKnown("vxlan.underlay-vlan"), let problem = L2Rules.vlanIDProblem(vlan) {
            report("vxlan.underlay-vlan", "\(vlan) is \(problem)")
        }
        if let gateway = vxlan.gateway, isKnown("vxlan.gateway") {
            if let problem = VXLANRules.unicastProblem(gateway) {
                report("vxlan.gateway", problem)
            } else if let subnet {
                if gateway == vxlan.address {
                    report("vxlan.gateway", "\(gateway) is the VTEP's own address (vxlan.address); give the router's")
                } else if !subnet.isOnLink(gateway) {
                    report(
                        "vxlan.gateway",
                        "\(gateway) is not on the VTEP's subnet \(subnet.network)/\(vxlan.prefixLength); a gateway must be reachable directly"
                    )
                }
            }
        }
        checkRange(vxlan.ttl, VXLANRules.ttl, at: "vxlan.ttl")
        validateVXLANVNIs(vxlan, subnet: subnet)
        validateVXLANRemoteMACs(vxlan, subnet: subnet)
        validateVXLANRemoteCount(vxlan)
    }

    /// At most `VXLANConfig.maxRemoteVTEPs` distinct remote VTEPs, counted in the order the dataplane places
    /// them (flood lists, then remote MACs): the first one past the limit is reported where it is listed.
    private func validateVXLANRemoteCount(_ vxlan: VXLANConfig) {
        var seen = Set<IPv4Address>()
        var listed: [(IPv4Address, String)] = []
        for (index, entry) in vxlan.vnis.enumerated() {
            let floodPath = KeyPath.child(KeyPath.element("vxlan.vnis", index), "flood")
            for (position, remote) in entry.flood.enumerated() {
                listed.append((remote, KeyPath.element(floodPath, position)))
            }
        }
        for (index, entry) in vxlan.remoteMACs.enumerated() {
            listed.append((entry.vtep, KeyPath.child(KeyPath.element("vxlan.remote-macs", index), "vtep")))
        }
        for (remote, path) in listed where remote != vxlan.address && seen.insert(remote).inserted {
            guard seen.count > VXLANConfig.maxRemoteVTEPs else { continue }
            if isKnown(path) {
                report(
                    path,
                    "\(remote) would be remote VTEP number \(seen.count); at most \(VXLANConfig.maxRemoteVTEPs) remote VTEPs (flood lists and remote MACs together) are supported"
                )
            }
            return
        }
    }

    /// The subnet, when the address is usable for the relations of the other keys.
    private struct Subnet {
        let vxlan: VXLANConfig
        var network: IPv4Address {
            IPv4Address(rawValue: vxlan.address.rawValue & VXLANConfig.mask(vxlan.prefixLength))
        }
        func isOnLink(_ other: IPv4Address) -> Bool { vxlan.isOnLink(other) }
    }

    private func validateVXLANUplink(_ vxlan: VXLANConfig, mtu: Int?) {
        let path = "vxlan.uplink"
        guard isKnown(path), isKnown("ports") else { return }
        let namesKnown = config.ports.indices.allSatisfy {
            isKnown(KeyPath.child(KeyPath.element("ports", $0), "name"))
        }
        guard let index = config.portIndex(named: vxlan.uplink) else {
            if namesKnown {
                let known = config.ports.map { quoted($0.name) }.joined(separator: ", ")
                report(path, "\(quoted(vxlan.uplink)) is not a port; the ports are \(known)")
            }
            return
        }
        if let patch = patchOfPorts()[index] {
            report(
                path,
                "\(quoted(vxlan.uplink)) is in patches[\(patch)]: patched ports bypass the pipeline, so they cannot carry the underlay; remove the patch or choose another port"
            )
        }
        let mtuPath = "vxlan.mtu"
        let portMTUPath = KeyPath.child(KeyPath.element("ports", index), "mtu")
        if let mtu, isKnown(portMTUPath),
            mtu > config.ports[index].mtu
        {
            report(
                mtuPath,
                "\(mtu) is more than the uplink \(quoted(vxlan.uplink))'s mtu (\(config.ports[index].mtu)); raise \(portMTUPath) or lower vxlan.mtu"
            )
        }
    }

    /// Returns the subnet if the address and prefix length are usable.
    private func validateVXLANAddress(_ vxlan: VXLANConfig) -> Subnet? {
        let path = "vxlan.address"
        guard isKnown(path) else { return nil }
        guard VXLANRules.prefixLength.contains(vxlan.prefixLength) else {
            report(
                path,
                "\(vxlan.address)/\(vxlan.prefixLength): the prefix length must be \(VXLANRules.prefixLength.lowerBound)...\(VXLANRules.prefixLength.upperBound)"
            )
            return nil
        }
        if let problem = VXLANRules.unicastProblem(vxlan.address) {
            report(path, problem)
            return nil
        }
        let subnet = Subnet(vxlan: vxlan)
        if vxlan.prefixLength <= 30 {
            let hostBits = ~VXLANConfig.mask(vxlan.prefixLength)
            let host = vxlan.address.rawValue & hostBits
            if host == 0 || host == hostBits {
                let which = host == 0 ? "network" : "broadcast"
                report(
                    path,
                    "\(vxlan.address) is the \(which) address of \(subnet.network)/\(vxlan.prefixLength); give a host address"
                )
                return nil
            }
        }
        return subnet
    }

    private func validateVXLANVNIs(_ vxlan: VXLANConfig, subnet: Subnet?) {
        var vniListedAt: [UInt32: String] = [:]
        var vlanListedAt: [UInt16: String] = [:]
        for (index, entry) in vxlan.vnis.enumerated() {
            let path = KeyPath.element("vxlan.vnis", index)
            guard isKnown(path) else { continue }
            let vniPath = KeyPath.child(path, "vni")
            if isKnown(vniPath) {
                if !VXLANRules.vni.contains(entry.vni) {
                    report(vniPath, "\(entry.vni) is out of range 1...\(VXLANRules.maximumVNI)")
                } else if let first = vniListedAt[entry.vni] {
                    report(vniPath, "VNI \(entry.vni) is already listed in \(first); list each VNI once")
                } else {
                    vniListedAt[entry.vni] = path
                }
            }
            let vlanPath = KeyPath.child(path, "vlan")
            if isKnown(vlanPath) {
                if let problem = L2Rules.vlanIDProblem(entry.vlan) {
                    report(vlanPath, "\(entry.vlan) is \(problem)")
                } else if let first = vlanListedAt[entry.vlan] {
                    report(
                        vlanPath,
                        "VLAN \(entry.vlan) is already mapped by \(first); a VLAN is extended by one VNI at most")
                } else {
                    vlanListedAt[entry.vlan] = path
                    if let underlay = vxlan.underlayVLAN, underlay == entry.vlan, isKnown("vxlan.underlay-vlan") {
                        report(
                            vlanPath,
                            "VLAN \(entry.vlan) is vxlan.underlay-vlan, the tag of the tunnel's own packets; map another VLAN"
                        )
                    }
                }
            }
            let floodPath = KeyPath.child(path, "flood")
            guard isKnown(floodPath) else { continue }
            var listedAt: [IPv4Address: Int] = [:]
            for (position, remote) in entry.flood.enumerated() {
                let remotePath = KeyPath.element(floodPath, position)
                if let first = listedAt[remote] {
                    report(
                        remotePath,
                        "\(remote) is already listed in \(KeyPath.element(floodPath, first)); list each VTEP once")
                    continue
                }
                listedAt[remote] = position
                checkRemoteVTEP(remote, at: remotePath, vxlan: vxlan, subnet: subnet)
            }
        }
    }

    private func validateVXLANRemoteMACs(_ vxlan: VXLANConfig, subnet: Subnet?) {
        let vnis = Set(vxlan.vnis.map(\.vni))
        var listedAt: [String: String] = [:]
        for (index, entry) in vxlan.remoteMACs.enumerated() {
            let path = KeyPath.element("vxlan.remote-macs", index)
            guard isKnown(path) else { continue }
            let macPath = KeyPath.child(path, "mac")
            let macKnown = isKnown(macPath)
            if macKnown, let problem = L2Rules.stationMACProblem(entry.mac, for: .staticEntry) {
                report(macPath, problem)
            }
            let vniPath = KeyPath.child(path, "vni")
            let vniKnown = isKnown(vniPath) && isKnown("vxlan.vnis")
            if vniKnown, !vnis.contains(entry.vni) {
                let listed = vnis.sorted().map(String.init).joined(separator: ", ")
                report(
                    vniPath,
                    "VNI \(entry.vni) is not in vxlan.vnis" + (listed.isEmpty ? ", which is empty" : " (\(listed))"))
            }
            if macKnown, vniKnown {
                let key = "\(entry.vni) \(entry.mac)"
                if let first = listedAt[key] {
                    report(macPath, "\(entry.mac) in VNI \(entry.vni) is already listed in \(first); list it once")
                } else {
                    listedAt[key] = path
                }
            }
            let vtepPath = KeyPath.child(path, "vtep")
            if isKnown(vtepPath) { checkRemoteVTEP(entry.vtep, at: vtepPath, vxlan: vxlan, subnet: subnet) }
        }
    }

    /// A remote VTEP must be a unicast address other than the local one, and reachable: on the subnet, or
    /// through the gateway.
    private func checkRemoteVTEP(_ remote: IPv4Address, at path: String, vxlan: VXLANConfig, subnet: Subnet?) {
        if let problem = VXLANRules.unicastProblem(remote) {
            report(path, problem)
            return
        }
        guard let subnet else { return }
        if remote == vxlan.address {
            report(path, "\(remote) is the local VTEP's own address (vxlan.address); list remote VTEPs only")
        } else if !subnet.isOnLink(remote), vxlan.gateway == nil, isKnown("vxlan.gateway") {
            report(
                path,
                "\(remote) is not on the VTEP's subnet \(subnet.network)/\(vxlan.prefixLength) and vxlan has no gateway; set vxlan.gateway to reach it"
            )
        }
    }
}
