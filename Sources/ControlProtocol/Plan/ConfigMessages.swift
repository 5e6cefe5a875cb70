/// Parameters and results of the methods that read and change the desired state (docs/control-protocol.md).
/// Every change, whatever method asks for it, goes the same way: the daemon builds the complete new desired
/// state, validates all of it, computes the plan (the diff against what runs), and either returns the plan
/// (`dryRun`) or applies it atomically and persists the new state.

/// `config.get`'s result: the desired state as the daemon runs it.
public struct ConfigDocumentResult: Codable, Sendable, Equatable {
    /// Incremented by every applied change (0: as started).
    public var revision: Int
    /// The document in the config file's format: `apply -f` of it is a no-op.
    public var yaml: String
    /// The same document as a JSON object.
    public var config: JSONValue
    /// Where the applied state is persisted; nil when persistence is off.
    public var stateFile: String?

    public init(revision: Int, yaml: String, config: JSONValue, stateFile: String?) {
        self.revision = revision
        self.yaml = yaml
        self.config = config
        self.stateFile = stateFile
    }
}

/// `config.apply`: a whole desired-state document, YAML or JSON text (JSON is read as YAML).
public struct ConfigApplyParams: Codable, Sendable, Equatable {
    public var document: String
    /// Validate and plan only; nothing changes.
    public var dryRun: Bool?

    public init(document: String, dryRun: Bool? = nil) {
        self.document = document
        self.dryRun = dryRun
    }
}

/// One step of a plan.
public struct ConfigChangeInfo: Codable, Sendable, Equatable {
    /// add-port, remove-port, replace-port, update-port, update-l2 or update-patches.
    public var action: String
    /// The port name, or "l2" / "patches".
    public var target: String
    /// Key paths that changed, relative to the target.
    public var fields: [String]
    public var summary: String
    /// Whether the step leaves every port's traffic flowing (false: the port itself is reopened or removed).
    public var hitless: Bool

    public init(action: String, target: String, fields: [String], summary: String, hitless: Bool) {
        self.action = action
        self.target = target
        self.fields = fields
        self.summary = summary
        self.hitless = hitless
    }
}

/// The result of every method that changes the desired state.
public struct ConfigApplyResult: Codable, Sendable, Equatable {
    /// True when the plan was carried out (false for a dry run).
    public var applied: Bool
    public var dryRun: Bool
    /// The revision now running (unchanged by a dry run or an empty plan).
    public var revision: Int
    /// The plan, in the order it is (or would be) applied. Empty: the document equals the running state.
    public var changes: [ConfigChangeInfo]
    /// Whether the new state was written to the state file.
    public var persisted: Bool

    public init(applied: Bool, dryRun: Bool, revision: Int, changes: [ConfigChangeInfo], persisted: Bool) {
        self.applied = applied
        self.dryRun = dryRun
        self.revision = revision
        self.changes = changes
        self.persisted = persisted
    }
}
