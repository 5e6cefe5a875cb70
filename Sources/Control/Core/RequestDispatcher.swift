import ControlProtocol
import Foundation

/// Deepest nesting of arrays and objects a request may have. Real requests need about 6 (a port's settings
/// inside params); JSON text deeper than this is refused before any parser recurses into it.
public let maxRequestNesting = 64

/// Turns one request line into one response line, or none for a notification. Never throws: every malformed
/// input becomes a JSON-RPC error object.
struct RequestDispatcher {
    let methods: ControlMethodRegistry
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
        /// Whether the request has an `id` member at all (`"id": null` counts: it is a request, not a
        /// notification).
        var hasID = false
        var method: String?
        var methodIsString = true

        private enum Key: String, CodingKey { case jsonrpc, id, method }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            jsonrpc = try? container.decodeIfPresent(String.self, forKey: .jsonrpc)
            hasID = container.contains(.id)
            if hasID, !((try? container.decodeNil(forKey: .id)) ?? false) {
                id = try? container.decode(RPCID.self, forKey: .id)
                idIsValid = id != nil
            }
            if container.contains(.method) {
                method = try? container.decode(String.self, forKey: .method)
                methodIsString = method != nil
            }
        }
    }

    /// The answer and the method name (when there was one), for the request log. A notification (a valid
    /// request without an `id` member) runs its method but gets no answer (nil), as JSON-RPC 2.0 requires,
    /// even when the method is unknown or fails; a request that is not valid is answered all the same.
    func answer(_ line: [UInt8]) -> ([UInt8]?, String?) {
        // Foundation's JSON parsers recurse per level of nesting: bound it before they see the line.
        if Self.nestingExceeds(maxRequestNesting, line) {
            return (
                errorLine(
                    RPCErrorObject(
                        code: RPCErrorObject.invalidRequest,
                        message: "request nests arrays/objects deeper than \(maxRequestNesting) levels")), nil
            )
        }
        let data = Data(line)
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            let isJSON = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
            return (
                errorLine(
                    isJSON
                        ? RPCErrorObject(
                            code: RPCErrorObject.invalidRequest, message: "a request must be a JSON object")
                        : RPCErrorObject(code: RPCErrorObject.parseError, message: "request is not valid JSON")), nil
            )
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: data), envelope.idIsValid else {
            return (
                errorLine(
                    RPCErrorObject(
                        code: RPCErrorObject.invalidRequest, message: "\"id\" must be an integer or a string")), nil
            )
        }
        guard envelope.jsonrpc == "2.0" else {
            return (
                errorLine(
                    RPCErrorObject(code: RPCErrorObject.invalidRequest, message: "\"jsonrpc\" must be \"2.0\""),
                    id: envelope.id), envelope.method
            )
        }
        guard let name = envelope.method else {
            let message = envelope.methodIsString ? "missing \"method\"" : "\"method\" must be a string"
            return (
                errorLine(RPCErrorObject(code: RPCErrorObject.invalidRequest, message: message), id: envelope.id), nil
            )
        }
        let isNotification = !envelope.hasID
        guard let method = methods.entry(named: name) else {
            if isNotification { return (nil, name) }
            let known = methods.names.joined(separator: ", ")
            return (
                errorLine(
                    RPCErrorObject(
                        code: RPCErrorObject.methodNotFound, message: "unknown method '\(name)'; methods: \(known)"),
                    id: envelope.id), name
            )
        }
        let outcome = method(data)
        if isNotification { return (nil, name) }
        switch outcome {
        case .success(let result): return (resultLine(result, id: envelope.id), name)
        case .failure(let error): return (errorLine(error, id: envelope.id), name)
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
        (try? Array(encoder.encode(RPCResponse<NoParams>(id: id, error: error))))
            ?? Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}"#.utf8)
    }

    private func resultLine<R: Codable & Sendable>(_ result: R, id: RPCID?) -> [UInt8] {
        do {
            return try Array(encoder.encode(RPCResponse(id: id, result: result)))
        } catch {
            return errorLine(
                RPCErrorObject(code: RPCErrorObject.internalError, message: "cannot encode result: \(error)"), id: id)
        }
    }
}
