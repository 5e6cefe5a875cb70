/// JSON-RPC 2.0 messages as Sluice's control socket carries them: one JSON object per line, each way.
/// See docs/control-protocol.md.

/// A request or response id: JSON-RPC allows numbers and strings.
public enum RPCID: Codable, Hashable, Sendable, CustomStringConvertible {
    case number(Int)
    case string(String)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .number(let n): "\(n)"
        case .string(let s): "\"\(s)\""
        }
    }
}

public struct RPCRequest<Params: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: RPCID?
    public var method: String
    public var params: Params?

    public init(id: RPCID?, method: String, params: Params?) {
        self.id = id
        self.method = method
        self.params = params
    }
}

/// The parameters of a method that takes none.
public struct NoParams: Codable, Sendable, Equatable {
    public init() {}
}

public struct RPCErrorObject: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public var code: Int
    public var message: String
    /// Machine-readable detail (JSON-RPC's `data` member), e.g. every problem found in a document.
    public var data: RPCErrorData?

    public init(code: Int, message: String, data: RPCErrorData? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    /// Sluice-specific: the request was valid JSON-RPC but exceeded the size limit.
    public static let requestTooLarge = -32001
    /// The desired state asked for is invalid; `data.problems` lists every problem (key path: what is wrong).
    public static let invalidConfig = -32010
    /// The change touches settings that only a restart of sluiced can change; `data.needsRestart` lists them.
    public static let restartRequired = -32011
    /// The change was valid but could not be carried out (e.g. a device failed to attach); nothing of it
    /// was applied.
    public static let applyFailed = -32012

    public var description: String { "\(message) (code \(code))" }
}

public struct RPCErrorData: Codable, Sendable, Equatable {
    public var problems: [String]?
    public var needsRestart: [String]?

    public init(problems: [String]? = nil, needsRestart: [String]? = nil) {
        self.problems = problems
        self.needsRestart = needsRestart
    }
}

public struct RPCResponse<Result: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: RPCID?
    public var result: Result?
    public var error: RPCErrorObject?

    public init(id: RPCID?, result: Result) {
        self.id = id
        self.result = result
    }

    public init(id: RPCID?, error: RPCErrorObject) {
        self.id = id
        self.error = error
    }
}

/// Largest request line the server reads before answering `requestTooLarge` and closing the connection.
public let maxRequestBytes = 1 << 20
