import ControlProtocol
import Foundation

/// What the control API can ask the daemon. sluiced implements it over its Dataplane; tests use doubles.
public protocol ControlHandler: AnyObject {
    func version() -> VersionInfo
    func ports() -> [PortStatus]
    func pmds() -> [PMDStatus]
    func stages() -> [StageStatus]
    func macs() -> [MACEntry]
    /// Removes learned entries (static ones stay); throws an invalid-params error for an unknown port or VLAN.
    func flushMACs(_ params: MACFlushParams) throws(RPCErrorObject) -> MACFlushResult
    func health() -> HealthStatus
    func vlans() -> [VLANStatus]
    func configDocument() -> ConfigDocumentResult
    /// Validates, plans and (unless a dry run) applies a whole desired-state document. Errors: invalidConfig,
    /// restartRequired, applyFailed (nothing applied), invalidParams.
    func applyConfig(_ params: ConfigApplyParams) throws(RPCErrorObject) -> ConfigApplyResult
    func addPort(_ params: PortAddParams) throws(RPCErrorObject) -> ConfigApplyResult
    func deletePort(_ params: PortDeleteParams) throws(RPCErrorObject) -> ConfigApplyResult
    func setPort(_ params: PortSetParams) throws(RPCErrorObject) -> ConfigApplyResult
}

/// Deepest nesting of arrays and objects a request may have. Real requests need about 6 (a port's settings
/// inside params); JSON text deeper than this is refused before any parser recurses into it.
public let maxRequestNesting = 64

/// A request seen only for its params.
private struct ParamsOnly<P: Decodable>: Decodable {
    var params: P?
}

/// Turns one request line into one response line. Never throws: every malformed input becomes a JSON-RPC
/// error object.
struct RequestDispatcher {
    let handler: any ControlHandler
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Only the envelope; params are decoded per method. Each member is read on its own, so that a bad one
    /// is named and a good id is still echoed.
    private struct Envelope: Decodable {
        var jsonrpc: String?
        var id: RPCID?
        var idIsValid = true
        var method: String?
        var methodIsString = true

        private enum Key: String, CodingKey { case jsonrpc, id, method }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            jsonrpc = try? container.decodeIfPresent(String.self, forKey: .jsonrpc)
            if container.contains(.id), !((try? container.decodeNil(forKey: .id)) ?? false) {
                id = try? container.decode(RPCID.self, forKey: .id)
                idIsValid = id != nil
            }
            if container.contains(.method) {
                method = try? container.decode(String.self, forKey: .method)
                methodIsString = method != nil
            }
        }
    }

    /// The answer and the method name (when there was one), for the request log.
    func answer(_ line: [UInt8]) -> ([UInt8], String?) {
        // Foundation's JSON parsers recurse per level of nesting: bound it before they see the line.
        if Self.nestingExceeds(maxRequestNesting, line) {
            return (errorLine(RPCErrorObject(
                code: RPCErrorObject.invalidRequest, message: "request nests arrays/objects deeper than \(maxRequestNesting) levels")), nil)
        }
        let data = Data(line)
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            let isJSON = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
            return (errorLine(isJSON
                ? RPCErrorObject(code: RPCErrorObject.invalidRequest, message: "a request must be a JSON object")
                : RPCErrorObject(code: RPCErrorObject.parseError, message: "request is not valid JSON")), nil)
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: data), envelope.idIsValid else {
            return (errorLine(RPCErrorObject(code: RPCErrorObject.invalidRequest, message: "\"id\" must be an integer or a string")), nil)
        }
        guard envelope.jsonrpc == "2.0" else {
            return (errorLine(RPCErrorObject(code: RPCErrorObject.invalidRequest, message: "\"jsonrpc\" must be \"2.0\""), id: envelope.id), envelope.method)
        }
        guard let name = envelope.method else {
            let message = envelope.methodIsString ? "missing \"method\"" : "\"method\" must be a string"
            return (errorLine(RPCErrorObject(code: RPCErrorObject.invalidRequest, message: message), id: envelope.id), nil)
        }
        guard let method = ControlMethod(rawValue: name) else {
            let known = ControlMethod.allCases.map(\.rawValue).joined(separator: ", ")
            return (errorLine(RPCErrorObject(code: RPCErrorObject.methodNotFound, message: "unknown method '\(name)'; methods: \(known)"), id: envelope.id), name)
        }
        let id = envelope.id
        switch method {
        case .version: return (resultLine(handler.version(), id: id), name)
        case .portList: return (resultLine(handler.ports(), id: id), name)
        case .pmdList: return (resultLine(handler.pmds(), id: id), name)
        case .stageList: return (resultLine(handler.stages(), id: id), name)
        case .macList: return (resultLine(handler.macs(), id: id), name)
        case .health: return (resultLine(handler.health(), id: id), name)
        case .vlanList: return (resultLine(handler.vlans(), id: id), name)
        case .configGet: return (resultLine(handler.configDocument(), id: id), name)
        case .macFlush:
            return (call(data, id: id, default: MACFlushParams(), handler.flushMACs), name)
        case .configApply:
            return (call(data, id: id, default: nil, handler.applyConfig), name)
        case .portAdd:
            return (call(data, id: id, default: nil, handler.addPort), name)
        case .portDelete:
            return (call(data, id: id, default: nil, handler.deletePort), name)
        case .portSet:
            return (call(data, id: id, default: nil, handler.setPort), name)
        }
    }

    /// Decodes the params (`fallback` when absent; absent and no fallback is an error), calls the method and
    /// encodes its result or error.
    private func call<P: Decodable, R: Codable & Sendable>(
        _ data: Data, id: RPCID?, default fallback: P?, _ method: (P) throws(RPCErrorObject) -> R
    ) -> [UInt8] {
        do throws(RPCErrorObject) {
            guard let params = try decodeParams(P.self, from: data) ?? fallback else {
                throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "params are required")
            }
            return resultLine(try method(params), id: id)
        } catch {
            return errorLine(error, id: id)
        }
    }

    /// The request's `params` as `P`, nil when absent; a type mismatch is an invalid-params error that says
    /// what was expected.
    private func decodeParams<P: Decodable>(_ type: P.Type, from data: Data) throws(RPCErrorObject) -> P? {
        do {
            return try JSONDecoder().decode(ParamsOnly<P>.self, from: data).params
        } catch let DecodingError.typeMismatch(expected, context), let DecodingError.valueNotFound(expected, context) {
            let path = (["params"] + context.codingPath.map(\.stringValue)).joined(separator: ".")
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "\(path): expected \(expected)")
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (["params"] + context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "\(path) is required")
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: "invalid params: \(error)")
        }
    }

    /// Whether `line` opens more than `limit` arrays/objects inside each other (brackets inside strings do not
    /// count). A linear scan that needs no valid JSON: invalid lines fail later, in the parser.
    static func nestingExceeds(_ limit: Int, _ line: [UInt8]) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in line {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }

    func errorLine(_ error: RPCErrorObject, id: RPCID? = nil) -> [UInt8] {
        (try? Array(encoder.encode(RPCResponse<NoParams>(id: id, error: error)))) ?? Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}"#.utf8)
    }

    private func resultLine<R: Codable & Sendable>(_ result: R, id: RPCID?) -> [UInt8] {
        do {
            return try Array(encoder.encode(RPCResponse(id: id, result: result)))
        } catch {
            return errorLine(RPCErrorObject(code: RPCErrorObject.internalError, message: "cannot encode result: \(error)"), id: id)
        }
    }
}
