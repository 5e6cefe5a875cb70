import Packet

/// One compiled allow rule, as the stage matches it: a rule of the configuration with its remote side
/// resolved to one prefix (a rule whose remote is another group becomes one row per member address).
@frozen
public struct SGRule: Sendable, Equatable {
    /// 4 or 6.
    public var family: UInt8
    /// IP protocol, or -1 for any.
    public var proto: Int16
    /// Destination port range (TCP/UDP); 0...65535 for any.
    public var portLow: UInt16
    public var portHigh: UInt16
    /// ICMP type and code, -1 for any.
    public var icmpType: Int16
    public var icmpCode: Int16
    /// The remote prefix: address and mask, two 64-bit halves (IPv4 in the low word).
    public var remoteHigh: UInt64
    public var remoteLow: UInt64
    public var maskHigh: UInt64
    public var maskLow: UInt64
    /// Index of the configuration rule it came from (its hit counter).
    public var counter: Int32

    public init(
        family: UInt8, proto: Int16 = -1, portLow: UInt16 = 0, portHigh: UInt16 = 65535, icmpType: Int16 = -1,
        icmpCode: Int16 = -1, remoteHigh: UInt64 = 0, remoteLow: UInt64 = 0, maskHigh: UInt64 = 0,
        maskLow: UInt64 = 0, counter: Int32
    ) {
        self.family = family
        self.proto = proto
        self.portLow = portLow
        self.portHigh = portHigh
        self.icmpType = icmpType
        self.icmpCode = icmpCode
        self.remoteHigh = remoteHigh
        self.remoteLow = remoteLow
        self.maskHigh = maskHigh
        self.maskLow = maskLow
        self.counter = counter
    }
}

/// A port's security-group row: whether it is filtered and where its rules are.
@frozen
public struct SGPortRow: Sendable, Equatable {
    public var ingressStart: Int32
    public var ingressCount: Int32
    public var egressStart: Int32
    public var egressCount: Int32

    public init(ingressStart: Int32 = 0, ingressCount: Int32 = 0, egressStart: Int32 = 0, egressCount: Int32 = 0) {
        self.ingressStart = ingressStart
        self.ingressCount = ingressCount
        self.egressStart = egressStart
        self.egressCount = egressCount
    }
}

/// What a generation says about one port: its compiled ingress and egress rules; nil when unfiltered.
public struct SGPortSpec: Sendable, Equatable {
    public var ingress: [SGRule]
    public var egress: [SGRule]

    public init(ingress: [SGRule], egress: [SGRule]) {
        self.ingress = ingress
        self.egress = egress
    }
}

/// The security groups of one generation, compiled: per-port rows and one rule array, plus the settings the
/// stage reads. Owned here, read by the PMDs through `SecurityGroupView`.
public final class SecurityGroupTables: @unchecked Sendable {
    // @unchecked: immutable after init (the hit counters are written by their own PMD only).
    public let portRows: UnsafeMutablePointer<SGPortRow>
    public let rules: UnsafeMutablePointer<SGRule>
    public let ruleCount: Int
    /// The filtered port slots.
    public let filtered: PortSet
    /// Hit counters (owned by the caller, outliving generations): one row of `hitStride` per PMD.
    public let hits: UnsafeMutablePointer<UInt64>
    public let hitStride: Int
    public let perPortLimit: UInt64

    /// - Parameters:
    ///   - ports: by port slot (`PortLimit.maxPorts` at most); nil = unfiltered.
    ///   - hits: `hitStride` counters per PMD, indexed by `SGRule.counter`; kept alive by the caller.
    public init(ports: [SGPortSpec?], hits: UnsafeMutablePointer<UInt64>, hitStride: Int, perPortLimit: Int) {
        let slots = max(ports.count, 1)
        portRows = .allocate(capacity: slots)
        portRows.initialize(repeating: SGPortRow(), count: slots)
        var all: [SGRule] = []
        filtered = PortSet.allocate()
        for (slot, spec) in ports.enumerated() {
            guard let spec else { continue }
            filtered.insert(slot)
            let ingressStart = all.count
            all += spec.ingress
            let egressStart = all.count
            all += spec.egress
            portRows[slot] = SGPortRow(
                ingressStart: Int32(ingressStart), ingressCount: Int32(spec.ingress.count),
                egressStart: Int32(egressStart), egressCount: Int32(spec.egress.count))
        }
        ruleCount = all.count
        rules = .allocate(capacity: max(all.count, 1))
        _ = UnsafeMutableBufferPointer(start: rules, count: all.count).initialize(from: all)
        self.hits = hits
        self.hitStride = hitStride
        self.perPortLimit = UInt64(max(perPortLimit, 0))
    }

    deinit {
        portRows.deallocate()
        rules.deallocate()
        filtered.deallocate()
    }

    /// The view PMD `pmd` reads (its own hit counters).
    public func view(pmd: Int) -> SecurityGroupView {
        SecurityGroupView(
            portRows: portRows, rules: rules, filtered: filtered, hits: hits + pmd * hitStride,
            perPortLimit: perPortLimit)
    }

    /// A table with no filtered port (for pipelines built before a generation is bound).
    public static func unfiltered() -> SecurityGroupTables {
        SecurityGroupTables(ports: [], hits: unfilteredHits, hitStride: 1, perPortLimit: 0)
    }

    /// The view of `unfiltered()`'s kind that stages and generations use until told otherwise: no port is
    /// filtered, so nothing is ever counted in its hit counter.
    public static var unfilteredView: SecurityGroupView { shared.view(pmd: 0) }
    private static let shared = unfiltered()
}

/// The stage's view of a generation's security groups (plain pointers).
@frozen
public struct SecurityGroupView: @unchecked Sendable {
    public var portRows: UnsafeMutablePointer<SGPortRow>
    public var rules: UnsafeMutablePointer<SGRule>
    /// The filtered port slots, and whether there is any (the stage does nothing otherwise).
    public var filtered: PortSet
    public var anyFiltered: Bool
    /// This PMD's hit counters (written by it only; read by the control thread with volatile-width loads).
    public var hits: UnsafeMutablePointer<UInt64>
    public var perPortLimit: UInt64

    @inlinable
    public init(
        portRows: UnsafeMutablePointer<SGPortRow>, rules: UnsafeMutablePointer<SGRule>, filtered: PortSet,
        hits: UnsafeMutablePointer<UInt64>, perPortLimit: UInt64
    ) {
        self.portRows = portRows
        self.rules = rules
        self.filtered = filtered
        anyFiltered = !filtered.isEmpty
        self.hits = hits
        self.perPortLimit = perPortLimit
    }

    /// The first rule in `start ..< start + count` that allows a new connection's first packet, or -1.
    /// `remote` is the other side's address (destination for egress, source for ingress), `port` the
    /// destination port, `icmpType`/`icmpCode` the packet's (or -1).
    @inlinable
    public func match(
        start: Int32, count: Int32, family: UInt8, proto: UInt8, remoteHigh: UInt64, remoteLow: UInt64,
        port: UInt16, icmpType: Int16, icmpCode: Int16
    ) -> Int {
        var i = Int(start)
        let end = Int(start) &+ Int(count)
        while i < end {
            let r = rules[i]
            if r.family == family && (r.proto < 0 || r.proto == Int16(proto))
                && remoteHigh & r.maskHigh == r.remoteHigh && remoteLow & r.maskLow == r.remoteLow
                && port >= r.portLow && port <= r.portHigh
                && (r.icmpType < 0 || r.icmpType == icmpType) && (r.icmpCode < 0 || r.icmpCode == icmpCode)
            {
                return i
            }
            i &+= 1
        }
        return -1
    }
}

/// The hit counter of the unfiltered tables (never written: no rule exists).
nonisolated(unsafe) private let unfilteredHits = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
