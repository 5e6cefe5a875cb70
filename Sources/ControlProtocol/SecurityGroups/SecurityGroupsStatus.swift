/// A security group as `sg.list` reports it.
public struct SecurityGroupStatus: Codable, Sendable, Equatable {
    public var name: String
    /// Ports that list the group.
    public var members: [String]
    public var rules: [SecurityGroupRuleStatus]

    public init(name: String, members: [String], rules: [SecurityGroupRuleStatus]) {
        self.name = name
        self.members = members
        self.rules = rules
    }
}

public struct SecurityGroupRuleStatus: Codable, Sendable, Equatable {
    /// "ingress" or "egress".
    public var direction: String
    /// The rule as one line, e.g. `ipv4 tcp 22 from group admin`; `ipv4 any (default)` for the implicit
    /// allow-all egress of a group without egress rules.
    public var rule: String
    /// New connections the rule admitted (since it was last changed, or since sluiced started).
    public var hits: UInt64

    public init(direction: String, rule: String, hits: UInt64) {
        self.direction = direction
        self.rule = rule
        self.hits = hits
    }
}

/// Filters of `conntrack.list` (all absent: every connection).
public struct ConntrackListParams: Codable, Sendable, Equatable {
    /// Connections the port initiated or receives.
    public var port: String?
    /// Connections with this address at either end.
    public var address: String?
    /// A state name as listed (`established`, `syn-sent`, `new`, `replied`, ...).
    public var state: String?
    /// At most this many (default 1000).
    public var limit: Int?

    public init(port: String? = nil, address: String? = nil, state: String? = nil, limit: Int? = nil) {
        self.port = port
        self.address = address
        self.state = state
        self.limit = limit
    }
}

/// One tracked connection, in its original direction.
public struct ConnectionStatus: Codable, Sendable, Equatable {
    public var zone: Int
    /// tcp, udp, icmp, icmpv6 or the protocol number.
    public var proto: String
    public var source: String
    public var sourcePort: Int
    public var destination: String
    public var destinationPort: Int
    public var state: String
    /// The port the first packet came from, and the one it went to ("-": flooded).
    public var initiatorPort: String
    public var responderPort: String
    public var packetsOriginal: UInt64
    public var packetsReply: UInt64
    public var idleSeconds: Int

    public init(
        zone: Int, proto: String, source: String, sourcePort: Int, destination: String, destinationPort: Int,
        state: String, initiatorPort: String, responderPort: String, packetsOriginal: UInt64,
        packetsReply: UInt64, idleSeconds: Int
    ) {
        self.zone = zone
        self.proto = proto
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
        self.state = state
        self.initiatorPort = initiatorPort
        self.responderPort = responderPort
        self.packetsOriginal = packetsOriginal
        self.packetsReply = packetsReply
        self.idleSeconds = idleSeconds
    }
}

/// `conntrack.stats`: the table's size and use, per port and per state.
public struct ConntrackStats: Codable, Sendable, Equatable {
    public var capacity: Int
    public var connections: Int
    public var perPortLimit: Int
    /// Port name → connections counted against its limit.
    public var ports: [String: Int]
    /// State name → connections.
    public var states: [String: Int]

    public init(capacity: Int, connections: Int, perPortLimit: Int, ports: [String: Int], states: [String: Int]) {
        self.capacity = capacity
        self.connections = connections
        self.perPortLimit = perPortLimit
        self.ports = ports
        self.states = states
    }
}

/// Parameters of `conntrack.flush` (absent: every connection).
public struct ConntrackFlushParams: Codable, Sendable, Equatable {
    public var port: String?
    public init(port: String? = nil) { self.port = port }
}

public struct ConntrackFlushResult: Codable, Sendable, Equatable {
    public var flushed: Int
    public init(flushed: Int) { self.flushed = flushed }
}
