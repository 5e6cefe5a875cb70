/// The VXLAN tunnel endpoint as `vxlan.show` and `vxlan.neighbours` report it.

/// `vxlan.show`: the local VTEP (absent fields and empty lists while no `vxlan` section is configured).
public struct VXLANStatus: Codable, Sendable, Equatable {
    /// Whether a `vxlan` section is configured.
    public var configured: Bool
    /// The uplink port's name.
    public var uplink: String?
    /// The local VTEP address with its prefix length (`192.0.2.1/24`).
    public var address: String?
    /// The uplink's MAC: the outer source of encapsulated frames.
    public var mac: String?
    public var underlayVLAN: Int?
    public var gateway: String?
    public var mtu: Int?
    public var ttl: Int?
    public var vnis: [VXLANVNIStatus]
    /// Every remote VTEP (flood lists and remote MACs), by slot.
    public var remotes: [VXLANRemoteStatus]
    /// What the underlay handler did: ARP requests answered, echo requests answered, ARP packets learned
    /// from, ARP requests sent, punted packets ignored.
    public var arpAnswered: UInt64
    public var echoAnswered: UInt64
    public var arpLearned: UInt64
    public var arpRequestsSent: UInt64
    public var puntIgnored: UInt64

    public init(
        configured: Bool, uplink: String? = nil, address: String? = nil, mac: String? = nil,
        underlayVLAN: Int? = nil, gateway: String? = nil, mtu: Int? = nil, ttl: Int? = nil,
        vnis: [VXLANVNIStatus] = [], remotes: [VXLANRemoteStatus] = [], arpAnswered: UInt64 = 0,
        echoAnswered: UInt64 = 0, arpLearned: UInt64 = 0, arpRequestsSent: UInt64 = 0, puntIgnored: UInt64 = 0
    ) {
        self.configured = configured
        self.uplink = uplink
        self.address = address
        self.mac = mac
        self.underlayVLAN = underlayVLAN
        self.gateway = gateway
        self.mtu = mtu
        self.ttl = ttl
        self.vnis = vnis
        self.remotes = remotes
        self.arpAnswered = arpAnswered
        self.echoAnswered = echoAnswered
        self.arpLearned = arpLearned
        self.arpRequestsSent = arpRequestsSent
        self.puntIgnored = puntIgnored
    }
}

/// One VNI: the bridge VLAN it extends and its flood list (remote VTEP addresses).
public struct VXLANVNIStatus: Codable, Sendable, Equatable {
    public var vni: Int
    public var vlan: Int
    public var flood: [String]

    public init(vni: Int, vlan: Int, flood: [String]) {
        self.vni = vni
        self.vlan = vlan
        self.flood = flood
    }
}

/// One remote VTEP: its owner slot, its next hop and the next hop's state, the MACs learned behind it, and
/// its packet counters summed over PMDs.
public struct VXLANRemoteStatus: Codable, Sendable, Equatable {
    public var address: String
    /// Its MAC-table owner slot (0...63), kept while it stays configured.
    public var slot: Int
    /// Where its packets go first: itself (on the VTEP's subnet) or the gateway.
    public var nextHop: String
    /// The next hop's MAC as the encap stage uses it, nil while unresolved.
    public var nextHopMAC: String?
    /// `resolved` or `unresolved` (its packets are dropped as `next-hop-unresolved`).
    public var state: String
    /// MACs learned behind it (static remote MACs not included).
    public var learnedMACs: Int
    /// Packets decapsulated from it; its tunnel packets the decap stage dropped (a VNI not configured).
    public var rxPackets: UInt64
    public var rxDrops: UInt64
    /// Packets encapsulated to it (unicast and flood copies); frames for it the encap stage dropped.
    public var txPackets: UInt64
    public var txDrops: UInt64

    public init(
        address: String, slot: Int, nextHop: String, nextHopMAC: String?, state: String, learnedMACs: Int,
        rxPackets: UInt64, rxDrops: UInt64, txPackets: UInt64, txDrops: UInt64
    ) {
        self.address = address
        self.slot = slot
        self.nextHop = nextHop
        self.nextHopMAC = nextHopMAC
        self.state = state
        self.learnedMACs = learnedMACs
        self.rxPackets = rxPackets
        self.rxDrops = rxDrops
        self.txPackets = txPackets
        self.txDrops = txDrops
    }
}

/// `vxlan.neighbours`: one entry of the underlay's ARP cache.
public struct UnderlayNeighbourStatus: Codable, Sendable, Equatable {
    public var address: String
    /// Nil while unresolved.
    public var mac: String?
    /// `reachable` (confirmed recently), `refreshing` (old enough that a new request is sent), or
    /// `incomplete` (needed, no answer yet).
    public var state: String
    /// Seconds since the last ARP packet from it confirmed the entry, nil while incomplete.
    public var ageSeconds: Double?

    public init(address: String, mac: String?, state: String, ageSeconds: Double?) {
        self.address = address
        self.mac = mac
        self.state = state
        self.ageSeconds = ageSeconds
    }
}
