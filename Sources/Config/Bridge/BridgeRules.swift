import Packet

/// Rules on single L2 values, shared by decoding (which reports them at the list element the operator
/// wrote) and validation (which also sees configs built in code).
enum L2Rules {
    /// Why `vlan` cannot be used, completing "<value> is ..."; nil for 1...4094.
    static func vlanIDProblem(_ vlan: Int) -> String? {
        switch vlan {
        case Limits.vlanID:
            nil
        case 0:
            "reserved: a tag with VLAN ID 0 only carries a priority, and the frame belongs to the port's untagged VLAN; use 1...4094"
        case 4095:
            "reserved by IEEE 802.1Q and never carried in a tag; use 1...4094"
        default:
            "out of range \(Limits.vlanID.lowerBound)...\(Limits.vlanID.upperBound)"
        }
    }

    static func vlanIDProblem(_ vlan: UInt16) -> String? {
        vlanIDProblem(Int(vlan))
    }

    enum MACUse {
        /// `port-security.mac`: the source MAC of every frame from the port.
        case portSecurity
        /// `static-macs[].mac`: a MAC table entry.
        case staticEntry
    }

    /// Why `mac` cannot be used as a station's address; nil for a unicast, non-zero MAC.
    static func stationMACProblem(_ mac: EthernetAddress, for use: MACUse) -> String? {
        let station = use == .portSecurity ? "the MAC of the port's station" : "the station's MAC"
        if mac.isZero {
            return "\(mac) is the all-zero address, which no station uses; give \(station), e.g. 52:54:00:12:34:56"
        }
        let consequence =
            use == .portSecurity
            ? "which is never the source of a frame; give \(station)"
            : "whose frames are always flooded, so it cannot have a MAC table entry; static entries are for unicast stations"
        if mac.isBroadcast {
            return "\(mac) is the broadcast address, \(consequence)"
        }
        if mac.isMulticast {
            return "\(mac) is a multicast address (the lowest bit of its first byte is set), \(consequence)"
        }
        return nil
    }

    /// A port-security source address of either family.
    enum SourceAddress: Hashable, CustomStringConvertible {
        case v4(IPv4Address)
        case v6(IPv6Address)

        init?(_ text: String) {
            if let address = IPv4Address(text) {
                self = .v4(address)
            } else if let address = IPv6Address(text) {
                self = .v6(address)
            } else {
                return nil
            }
        }

        var description: String {
            switch self {
            case .v4(let address): address.description
            case .v6(let address): address.description
            }
        }
    }

    /// Why a host can never send from `address`; nil if it can.
    static func sourceAddressProblem(_ address: SourceAddress) -> String? {
        let never = "which is never the source of a packet"
        switch address {
        case .v4(let v4):
            if v4.isBroadcast { return "\(v4) is the limited broadcast address, \(never)" }
            if v4.isMulticast { return "\(v4) is a multicast address, \(never)" }
        case .v6(let v6):
            if v6.isMulticast { return "\(v6) is a multicast address, \(never)" }
            if v6.isIPv4Mapped {
                let v4 = IPv4Address(rawValue: UInt32(truncatingIfNeeded: v6.low))
                return
                    "\(v6) is an IPv4-mapped IPv6 address, which never appears on the wire; list the IPv4 address \(v4) instead"
            }
        }
        return nil
    }
}
