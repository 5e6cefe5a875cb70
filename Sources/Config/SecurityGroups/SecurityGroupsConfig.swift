import Packet

/// One named security group: allow rules only, stateful (see docs/security-groups.md).
public struct SecurityGroupConfig: Equatable, Sendable {
    public var name: String
    /// Traffic the group's member ports may receive: nothing when empty.
    public var ingress: [SecurityGroupRule]
    /// Traffic the members may send. Nil (the key absent) allows all egress, as a new AWS group does; an
    /// empty list allows none.
    public var egress: [SecurityGroupRule]?

    public init(name: String, ingress: [SecurityGroupRule] = [], egress: [SecurityGroupRule]? = nil) {
        self.name = name
        self.ingress = ingress
        self.egress = egress
    }
}

/// An allow rule. The remote side is the source of ingress traffic and the destination of egress traffic.
public struct SecurityGroupRule: Equatable, Sendable {
    public enum EtherType: String, Equatable, Sendable, CaseIterable {
        case ipv4, ipv6
    }

    public var ethertype: EtherType
    /// An IP protocol number; nil is any protocol.
    public var proto: UInt8?
    /// TCP/UDP destination ports (nil: any).
    public var ports: ClosedRange<Int>?
    /// ICMP type and code (nil: any); only with icmp/icmpv6.
    public var icmpType: Int?
    public var icmpCode: Int?
    /// The remote addresses: a CIDR (`10.0.0.0/8`), or nil for any.
    public var remoteCIDR: String?
    /// The remote addresses: the port-security addresses of another group's members.
    public var remoteGroup: String?

    public init(
        ethertype: EtherType = .ipv4, proto: UInt8? = nil, ports: ClosedRange<Int>? = nil, icmpType: Int? = nil,
        icmpCode: Int? = nil, remoteCIDR: String? = nil, remoteGroup: String? = nil
    ) {
        self.ethertype = ethertype
        self.proto = proto
        self.ports = ports
        self.icmpType = icmpType
        self.icmpCode = icmpCode
        self.remoteCIDR = remoteCIDR
        self.remoteGroup = remoteGroup
    }

    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let icmp: UInt8 = 1
    public static let icmpv6: UInt8 = 58
    /// Protocol names the configuration accepts besides numbers.
    static let protocolNames: [(String, UInt8?)] = [
        ("any", nil), ("tcp", tcp), ("udp", udp), ("icmp", icmp), ("icmpv6", icmpv6),
    ]

    /// The protocol as the configuration writes it: a name when it has one.
    public var protocolKeyword: String {
        Self.protocolNames.first { $0.1 == proto }?.0 ?? String(proto ?? 0)
    }
}

/// The connection tracker shared by every PMD: its size, the per-port limit and the timeouts.
public struct ConntrackConfig: Equatable, Sendable {
    /// Connections the table holds (preallocated): a power of two.
    public var maxConnections: Int
    /// Connections one port may have open at once (those it initiated or that were opened toward it).
    public var maxPerPort: Int
    public var timeouts: ConntrackTimeouts

    public init(maxConnections: Int = 262_144, maxPerPort: Int = 65_536, timeouts: ConntrackTimeouts = .init()) {
        self.maxConnections = maxConnections
        self.maxPerPort = maxPerPort
        self.timeouts = timeouts
    }
}

/// Idle timeouts in seconds per state; the defaults are Linux netfilter's (nf_conntrack_proto_*.c).
public struct ConntrackTimeouts: Equatable, Sendable {
    public var synSent = 120
    public var synRecv = 60
    public var established = 432_000
    public var finWait = 120
    public var closeWait = 60
    public var lastAck = 30
    public var timeWait = 120
    public var close = 10
    public var udp = 30
    public var udpStream = 120
    public var icmp = 30
    public var generic = 600

    public init() {}

    /// Key name and value, in documentation order.
    public var entries: [(key: String, seconds: Int)] {
        [
            ("syn-sent", synSent), ("syn-recv", synRecv), ("established", established), ("fin-wait", finWait),
            ("close-wait", closeWait), ("last-ack", lastAck), ("time-wait", timeWait), ("close", close),
            ("udp", udp), ("udp-stream", udpStream), ("icmp", icmp), ("generic", generic),
        ]
    }

    /// The timeout under its key name (`entries`' keys); other names read 0 and write nothing.
    public subscript(key: String) -> Int {
        get { entries.first { $0.key == key }?.seconds ?? 0 }
        set {
            switch key {
            case "syn-sent": synSent = newValue
            case "syn-recv": synRecv = newValue
            case "established": established = newValue
            case "fin-wait": finWait = newValue
            case "close-wait": closeWait = newValue
            case "last-ack": lastAck = newValue
            case "time-wait": timeWait = newValue
            case "close": close = newValue
            case "udp": udp = newValue
            case "udp-stream": udpStream = newValue
            case "icmp": icmp = newValue
            case "generic": generic = newValue
            default: break
            }
        }
    }
}

/// A parsed CIDR of either family.
public struct CIDR: Equatable, Sendable {
    public var isIPv6: Bool
    /// The address, IPv4 in the low 32 bits of `low`.
    public var high: UInt64
    public var low: UInt64
    public var prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let address = String(parts[0])
        var length: Int?
        if parts.count == 2 {
            guard let value = Int(parts[1]), parts[1].allSatisfy(\.isASCII) else { return nil }
            length = value
        }
        if let v4 = IPv4Address(address) {
            let bits = length ?? 32
            guard (0...32).contains(bits) else { return nil }
            isIPv6 = false
            high = 0
            low = UInt64(v4.rawValue)
            prefixLength = bits
        } else if let v6 = IPv6Address(address) {
            let bits = length ?? 128
            guard (0...128).contains(bits) else { return nil }
            isIPv6 = true
            high = v6.high
            low = v6.low
            prefixLength = bits
        } else {
            return nil
        }
    }

    /// Whether bits outside the prefix are zero (`10.0.0.1/8` is refused: it names a host, not a network).
    public var isNetwork: Bool {
        let (maskHigh, maskLow) = masks
        return high & ~maskHigh == 0 && low & ~maskLow == 0
    }

    /// The prefix as two 64-bit masks (IPv4: in the low word's low 32 bits).
    public var masks: (UInt64, UInt64) {
        if !isIPv6 {
            let mask: UInt64 = prefixLength == 0 ? 0 : (UInt64(0xFFFF_FFFF) << UInt64(32 - prefixLength)) & 0xFFFF_FFFF
            return (0, mask)
        }
        let highBits = min(prefixLength, 64)
        let lowBits = max(prefixLength - 64, 0)
        let high: UInt64 = highBits == 0 ? 0 : ~UInt64(0) << UInt64(64 - highBits)
        let low: UInt64 = lowBits == 0 ? 0 : ~UInt64(0) << UInt64(64 - lowBits)
        return (high, low)
    }
}

extension PortConfig {
    /// Whether the port's traffic goes through the security-group stage.
    public var isFiltered: Bool { securityGroups != nil }
}
