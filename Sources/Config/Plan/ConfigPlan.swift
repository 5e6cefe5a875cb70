/// What applying `new` over the running `old` configuration does.
///
/// Computed purely from the two configurations, so `config.apply` can show it for a dry run, log it, and
/// then carry it out; an empty plan means there is nothing to do.
public struct ConfigPlan: Equatable, Sendable {
    public var changes: [ConfigChange]
    /// Settings that differ but can only change by restarting sluiced (key paths with old → new), e.g.
    /// "eal.pmd-cpu-mask: 0x2 → 0x6".
    public var needsRestart: [String]

    public init(changes: [ConfigChange] = [], needsRestart: [String] = []) {
        self.changes = changes
        self.needsRestart = needsRestart
    }

    public var isEmpty: Bool { changes.isEmpty && needsRestart.isEmpty }
}

/// One step of a `ConfigPlan`.
public struct ConfigChange: Equatable, Sendable, CustomStringConvertible {
    public enum Action: String, Sendable {
        case addPort = "add-port"
        case removePort = "remove-port"
        case replacePort = "replace-port"
        case updatePort = "update-port"
        case updateL2 = "update-l2"
        case updateEAL = "update-eal"
        case updatePatches = "update-patches"
        case updateSecurityGroups = "update-security-groups"
        case updateConntrack = "update-conntrack"
        case updateVXLAN = "update-vxlan"
        case updateDHCP = "update-dhcp"
        case updateMetadata = "update-metadata"
    }

    public var action: Action
    /// The port name, or "l2" / "patches".
    public var target: String
    /// Key paths of what changed, relative to the target, e.g. ["vlan", "port-security.ips"]; for
    /// replace-port the fields that force the replacement. Empty for add-port, remove-port and
    /// update-patches, whose target is the whole port or patch list.
    public var fields: [String]
    /// One line for people, e.g. "port vm1: vlan access 100 → trunk [100,200-210] native 1".
    public var summary: String

    public init(action: Action, target: String, fields: [String] = [], summary: String) {
        self.action = action
        self.target = target
        self.fields = fields
        self.summary = summary
    }

    public var description: String { summary }
}
