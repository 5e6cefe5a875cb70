/// Parameters of the methods that add, remove and change one port. They change the desired state like
/// `config.apply` and answer with its result (`ConfigApplyResult`, Plan/ConfigMessages.swift).

/// `port.add`: one entry of the config file's `ports` list, as a JSON object (e.g.
/// `{"name": "vm3", "devargs": "net_tap3,iface=vm3", "vlan": {"mode": "access", "id": 100}}`).
public struct PortAddParams: Codable, Sendable, Equatable {
    public var port: JSONValue
    public var dryRun: Bool?

    public init(port: JSONValue, dryRun: Bool? = nil) {
        self.port = port
        self.dryRun = dryRun
    }
}

/// `port.del`: removes the port (and the patch it is in, if any).
public struct PortDeleteParams: Codable, Sendable, Equatable {
    public var name: String
    public var dryRun: Bool?

    public init(name: String, dryRun: Bool? = nil) {
        self.name = name
        self.dryRun = dryRun
    }
}

/// `port.set`: keys of the port's config entry to change, e.g. `{"admin": "down"}` or
/// `{"vlan": {"mode": "trunk", "allowed": [100, 200]}}`. A key set to null returns to its default.
/// `name` cannot be changed (delete and add instead).
public struct PortSetParams: Codable, Sendable, Equatable {
    public var name: String
    public var settings: JSONValue
    public var dryRun: Bool?

    public init(name: String, settings: JSONValue, dryRun: Bool? = nil) {
        self.name = name
        self.settings = settings
        self.dryRun = dryRun
    }
}

/// `port.retry`: the failed port to bring up again (a port that runs is left as it is).
public struct PortRetryParams: Codable, Sendable, Equatable {
    public var name: String

    public init(name: String) { self.name = name }
}
