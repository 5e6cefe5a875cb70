import Packet

/// The local VXLAN tunnel endpoint (VTEP, RFC 7348): where it sits on the underlay, and which bridge VLANs
/// it extends to other hosts as VNIs. Absent (nil in `SluiceConfig.vxlan`) means no tunnel.
///
/// The underlay is IPv4: an IPv6 VTEP address, gateway or remote VTEP is refused by decoding.
public struct VXLANConfig: Equatable, Sendable {
    /// The port that leads to the underlay (the uplink). It may still carry ordinary bridged VLANs.
    public var uplink: String
    /// The local VTEP's address: the outer source of every encapsulated frame, and the outer destination
    /// accepted for decapsulation.
    public var address: IPv4Address
    /// The underlay subnet's prefix length: remote VTEPs inside it are resolved directly, others through the
    /// gateway.
    public var prefixLength: Int
    /// The 802.1Q tag of underlay frames on the uplink; nil sends and receives them untagged.
    public var underlayVLAN: UInt16?
    /// The next hop for remote VTEPs outside the subnet; nil means every remote VTEP must be on the subnet.
    public var gateway: IPv4Address?
    /// The underlay's IPv4 MTU: an encapsulated frame (inner frame + 50 bytes) above it is dropped and
    /// counted, never fragmented. Guests need an MTU of `mtu - 50` (1450 for a 1500 underlay).
    public var mtu: Int
    /// The outer IPv4 TTL of encapsulated frames.
    public var ttl: Int
    /// The VNIs this VTEP carries, each mapped to one bridge VLAN.
    public var vnis: [VNIConfig]
    /// MACs configured behind remote VTEPs: like a port's static MACs, they never age or move.
    public var remoteMACs: [RemoteMACConfig]

    public init(
        uplink: String, address: IPv4Address, prefixLength: Int, underlayVLAN: UInt16? = nil,
        gateway: IPv4Address? = nil, mtu: Int = VXLANConfig.defaultMTU, ttl: Int = VXLANConfig.defaultTTL,
        vnis: [VNIConfig] = [], remoteMACs: [RemoteMACConfig] = []
    ) {
        self.uplink = uplink
        self.address = address
        self.prefixLength = prefixLength
        self.underlayVLAN = underlayVLAN
        self.gateway = gateway
        self.mtu = mtu
        self.ttl = ttl
        self.vnis = vnis
        self.remoteMACs = remoteMACs
    }

    public static let defaultMTU = 1500
    public static let defaultTTL = 64
    /// What encapsulation adds in front of the inner Ethernet frame: outer IPv4 (20), UDP (8), VXLAN (8)
    /// and the inner Ethernet header (14) counted against the underlay MTU.
    public static let overhead = 50
    /// The most remote VTEPs (flood lists and remote MACs together) one instance carries: the MAC table's
    /// owner slots after the ports' (`MACOwner.maxRemoteVTEPs` in the pipeline; a test keeps them equal).
    public static let maxRemoteVTEPs = 64
    /// The IANA port of VXLAN.
    public static let udpPort: UInt16 = 4789

    /// The largest inner IP MTU (a guest's interface MTU) that fits the underlay MTU.
    public var guestMTU: Int { mtu - Self.overhead }

    /// Whether `other` is on the VTEP's subnet.
    public func isOnLink(_ other: IPv4Address) -> Bool {
        let mask = Self.mask(prefixLength)
        return other.rawValue & mask == address.rawValue & mask
    }

    /// The netmask of a prefix length (0...32) in host order.
    public static func mask(_ prefixLength: Int) -> UInt32 {
        prefixLength <= 0 ? 0 : prefixLength >= 32 ? 0xffff_ffff : ~(UInt32.max >> UInt32(prefixLength))
    }

    /// The VNI that extends `vlan`, if any.
    public func vni(forVLAN vlan: UInt16) -> VNIConfig? {
        vnis.first { $0.vlan == vlan }
    }

    /// The configuration of `vni`, if carried.
    public func vni(_ vni: UInt32) -> VNIConfig? {
        vnis.first { $0.vni == vni }
    }
}

/// One VXLAN network: a VNI, the bridge VLAN it extends, and the remote VTEPs that receive its broadcast,
/// multicast and unknown unicast frames (head-end replication).
public struct VNIConfig: Equatable, Sendable {
    /// 1...16777215 (24 bits).
    public var vni: UInt32
    /// The bridge VLAN whose frames the VNI carries.
    public var vlan: UInt16
    /// Remote VTEP addresses, each sent one copy of every flooded frame of the VLAN.
    public var flood: [IPv4Address]

    public init(vni: UInt32, vlan: UInt16, flood: [IPv4Address] = []) {
        self.vni = vni
        self.vlan = vlan
        self.flood = flood
    }
}

/// A MAC configured behind a remote VTEP, in one VNI.
public struct RemoteMACConfig: Equatable, Sendable {
    public var mac: EthernetAddress
    public var vni: UInt32
    /// The remote VTEP's address.
    public var vtep: IPv4Address

    public init(mac: EthernetAddress, vni: UInt32, vtep: IPv4Address) {
        self.mac = mac
        self.vni = vni
        self.vtep = vtep
    }
}
