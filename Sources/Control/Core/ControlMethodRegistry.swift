import ControlProtocol
import Foundation

/// The methods a control server answers, each with its handler. Every feature registers its own methods (the
/// daemon's start-up calls one `register(into:)` per feature; tests register only what they exercise), so
/// adding a method touches no central list. The order of registration is the order in which the
/// method-not-found error lists them.
///
/// Handlers run on the thread that runs the server (sluiced's control thread).
public struct ControlMethodRegistry {
    /// Decodes a request's params, calls the handler, and returns its result (encoded by the dispatcher) or
    /// its error.
    typealias Entry = (_ request: Data) -> Swift.Result<any Codable & Sendable, RPCErrorObject>

    private var entries: [String: Entry] = [:]
    /// The registered names, in the order of registration.
    public private(set) var names: [String] = []

    public init() {}

    /// Registers `handler` as `method`'s. Registering a name twice is a programming error (two features
    /// claiming one method) and stops the process.
    public mutating func register<Params, Result>(
        _ method: RPCMethod<Params, Result>, _ handler: @escaping (Params) throws(RPCErrorObject) -> Result
    ) {
        precondition(entries[method.name] == nil, "control method '\(method.name)' is registered twice")
        let rule = method.params
        entries[method.name] = { request in
            Self.call(handler, params: rule, request: request).map { $0 as any Codable & Sendable }
        }
        names.append(method.name)
    }

    /// Registers a handler of a method that takes no params.
    public mutating func register<Result>(
        _ method: RPCMethod<NoParams, Result>, _ handler: @escaping () throws(RPCErrorObject) -> Result
    ) {
        register(method) { (_: NoParams) throws(RPCErrorObject) -> Result in try handler() }
    }

    /// Reads the params as `rule` says and calls `handler` with them.
    private static func call<Params: Codable & Sendable, Result: Codable & Sendable>(
        _ handler: (Params) throws(RPCErrorObject) -> Result, params rule: RPCParamsRule<Params>, request: Data
    ) -> Swift.Result<Result, RPCErrorObject> {
        do throws(RPCErrorObject) {
            let params: Params
            switch rule {
            case .ignored(let value):
                params = value
            case .required:
                guard let given = try decodeParams(Params.self, from: request) else {
                    throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "params are required")
                }
                params = given
            case .optional(let fallback):
                params = try decodeParams(Params.self, from: request) ?? fallback
            }
            return .success(try handler(params))
        } catch {
            return .failure(error)
        }
    }

    /// The handler registered under `name`, nil when none is.
    func entry(named name: String) -> Entry? { entries[name] }

    /// The request's `params` as `P`, nil when absent; a type mismatch is an invalid-params error that says
    /// what was expected where (the coding path starts at the request's `params` member).
    private static func decodeParams<P: Decodable>(_ type: P.Type, from data: Data) throws(RPCErrorObject) -> P? {
        do {
            return try JSONDecoder().decode(ParamsOnly<P>.self, from: data).params
        } catch let DecodingError.typeMismatch(expected, context), let DecodingError.valueNotFound(expected, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "\(path): expected \(expected)")
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "\(path) is required")
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "invalid params: \(error)")
        }
    }
}

/// A request seen only for its params.
private struct ParamsOnly<P: Decodable>: Decodable {
    var params: P?
}
