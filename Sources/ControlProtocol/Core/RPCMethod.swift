/// One method of the control API, typed: its name on the wire, what its params and result are, and how a
/// request without params is read. Each feature declares its methods in its own folder (`StatusMethods`,
/// `PortMethods`, `BridgeMethods`, `ConfigMethods`); the client calls them (`client.call(PortMethods.list)`)
/// and the server registers a handler for each (`ControlMethodRegistry.register`), so both sides agree on the
/// types by construction.
public struct RPCMethod<Params: Codable & Sendable, Result: Codable & Sendable>: Sendable {
    /// The `method` member of a request, e.g. `port.list`.
    public let name: String
    public let params: RPCParamsRule<Params>

    /// A method whose params are required (`.required`) or optional with a default (`.optional`).
    public init(_ name: String, params: RPCParamsRule<Params>) {
        self.name = name
        self.params = params
    }
}

extension RPCMethod where Params == NoParams {
    /// A method that takes no params: whatever a request carries in `params` is ignored.
    public init(_ name: String) {
        self.init(name, params: .ignored(NoParams()))
    }
}

/// How the server reads a method's `params`.
public enum RPCParamsRule<Params: Sendable>: Sendable {
    /// The method takes none: the request's `params`, whatever they are, are not read; the handler gets `value`.
    case ignored(Params)
    /// A request without params is an invalid-params error ("params are required").
    case required
    /// A request without params (or with `"params": null`) is served with `default`.
    case optional(default: Params)
}
