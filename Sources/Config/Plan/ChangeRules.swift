/// What changing a setting of a running sluiced takes, from least to most disruptive.
enum ChangeKind: Int, Comparable, Sendable {
    /// Applied by publishing a new configuration generation; no device is touched.
    case inPlace
    /// The port's device is closed and opened again with the new settings (a replace-port change).
    case reopenDevice
    /// Only a restart of sluiced applies it (EAL, the packet pool and the control socket are set up once).
    case restart

    static func < (lhs: ChangeKind, rhs: ChangeKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One row of the change rule table: a key path of the configuration file, what a change to it needs, and
/// how its old and new values are compared.
///
/// Paths use the file's spelling: `eal`, `l2.mac-table-size`, `patches`; `ports[]` stands for every port,
/// so `ports[].mtu` is the mtu key of any port and `ports[].port-security.ips` a key inside port-security.
/// A row covers its path and everything below it, unless a longer row says otherwise.
struct ChangeRule: Sendable {
    /// How a value is compared, for the plan's differences and summaries.
    enum Comparison: Sendable {
        /// Mappings key by key (a difference names the key inside); anything else as a value.
        case byKey
        /// A mapping as one value: its keys only make sense together (a VLAN's `mode` decides which of
        /// `id`, `allowed` and `native` exist).
        case asWhole
        /// A list whose order carries no meaning (a set of addresses or entries): equal when it holds the
        /// same elements, and described by what was added and removed.
        case asSet
    }

    let path: String
    let kind: ChangeKind
    let comparison: Comparison

    init(_ path: String, _ kind: ChangeKind, compared comparison: Comparison = .byKey) {
        self.path = path
        self.kind = kind
        self.comparison = comparison
    }

    /// Whether this row applies to `path`: the same path, or one below it.
    func covers(_ path: String) -> Bool {
        self.path == path || ChangeRules.isBelow(path, self.path)
    }
}

/// The one table of what can change at run time. `ConfigPlan.between` (what applying a configuration does)
/// and `SluiceConfig.withRuntimeState(from:)` (what a restart takes from the state file) both read it, so
/// they cannot disagree.
///
/// Each feature lists its own rows in its folder (`EAL/EALChangeRules.swift`, `Bridge/BridgeChangeRules.swift`,
/// ...); the table is their concatenation below, one line per feature. A key without a row of its own is
/// treated as the more disruptive kind: it takes the kind of the nearest row above it (`ports[]`: reopen the
/// device), or needs a restart when none covers it. A new key is thus handled safely before anyone teaches the
/// dataplane to change it in place.
struct ChangeRules: Sendable {
    let rows: [ChangeRule]

    static let table = ChangeRules(
        rows: [
            ChangeRules.eal,  // EAL/EALChangeRules.swift: eal and mempool
            ChangeRules.control,  // Control/ControlChangeRules.swift
            ChangeRules.ports,  // Ports/PortChangeRules.swift: the port list and each port's device keys
            ChangeRules.vhostUser,  // VhostUser/VhostUserChangeRules.swift
            ChangeRules.bridge,  // Bridge/BridgeChangeRules.swift: l2 and each port's bridge keys
            ChangeRules.patches,  // Patch/PatchChangeRules.swift
            ChangeRules.securityGroups,  // SecurityGroups/SecurityGroupsChangeRules.swift
            ChangeRules.qos,  // QoS/QoSChangeRules.swift: each port's qos
            ChangeRules.vxlan,  // VXLAN/VXLANChangeRules.swift
            ChangeRules.dhcp,  // DHCP/DHCPChangeRules.swift: the dhcp list and each port's dhcp
            ChangeRules.metadata,  // Metadata/MetadataChangeRules.swift: the metadata section and each port's metadata
        ].flatMap { $0 })

    /// The prefix of the rows about one port's keys.
    static let portPrefix = "ports[]."

    /// What a change at `path` needs: the kind of the longest row covering it, or a restart.
    func kind(of path: String) -> ChangeKind {
        row(covering: path)?.kind ?? .restart
    }

    /// What a change to a port's key needs; `path` is relative to the port (`mtu`, `port-security.ips`).
    func kind(ofPortKey path: String) -> ChangeKind {
        kind(of: Self.portPrefix + path)
    }

    /// The kinds of every setting at `path` and below it: its own, and those of the rows under it.
    func kinds(within path: String) -> Set<ChangeKind> {
        var kinds: Set<ChangeKind> = [kind(of: path)]
        for row in rows where path.isEmpty || Self.isBelow(row.path, path) { kinds.insert(row.kind) }
        return kinds
    }

    /// How documents are compared from `prefix` on (`""` for the whole document, `portPrefix` for a port),
    /// with paths relative to it.
    func comparisonRules(under prefix: String) -> DocumentDifference.Rules {
        var rules = DocumentDifference.Rules()
        for row in rows where row.path.hasPrefix(prefix) {
            let path = String(row.path.dropFirst(prefix.count))
            switch row.comparison {
            case .byKey: break
            case .asWhole: rules.atomic.insert(path)
            case .asSet: rules.unordered.insert(path)
            }
        }
        return rules
    }

    private func row(covering path: String) -> ChangeRule? {
        rows.filter { $0.covers(path) }.max { $0.path.count < $1.path.count }
    }

    /// Whether `path` lies strictly below `ancestor`: `l2.mac-table-size` below `l2`, `ports[].mtu` below
    /// `ports[]` and `ports`.
    static func isBelow(_ path: String, _ ancestor: String) -> Bool {
        path.hasPrefix(ancestor + ".") || path.hasPrefix(ancestor + "[")
    }
}
