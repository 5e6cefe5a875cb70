import ControlProtocol
import Hummingbird
import Logging

/// A header's name (HTTPTypes' `HTTPField.Name`, which Hummingbird does not re-export by name).
typealias HeaderName = HTTPFields.Element.Name

/// The service's HTTP semantics, independent of how requests arrive: EC2's IMDSv2 as cloud-init and the AWS
/// SDKs expect it, with the caller identified by the address its request came from (the pool address the
/// switch gave the caller's port).
///
/// - `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` 1–21600: a token bound to the caller's
///   instance, expiring after the TTL (the TTL is echoed in the same header). Missing or bad TTL: 400. A PUT
///   carrying `X-Forwarded-For` (it went through a proxy): 403.
/// - `GET`/`HEAD` of `/`, `/latest/`, `/latest/meta-data/...`, `/latest/user-data`: with a valid
///   `X-aws-ec2-metadata-token` for the caller's instance. Without one: 401 when the instance's tokens are
///   `required`, served when `optional`; a token that is sent but invalid, expired or another instance's: 401
///   either way. Unknown path: 404 (after the token check, as EC2 does).
/// - Other methods, `PUT` elsewhere, `GET` of the token path: 405.
/// - A caller whose address is no enabled port's pool address: 403; sluiced unreachable: 503.
public struct MetadataService: Sendable {
    public let tokens: TokenIssuer
    public let callers: CallerDirectory
    public let documents: DocumentStore
    /// The policy of instances without an `http-tokens` file.
    public let defaultPolicy: TokenPolicy
    public let clock: MetadataClock
    let logger: Logger

    static let ttlHeader = HeaderName("X-aws-ec2-metadata-token-ttl-seconds")!
    static let tokenHeader = HeaderName("X-aws-ec2-metadata-token")!
    static let forwardedForHeader = HeaderName("X-Forwarded-For")!
    /// A token header longer than this is not a token (checked before any work).
    static let maximumTokenHeader = 256

    public init(
        tokens: TokenIssuer = TokenIssuer(), callers: CallerDirectory, documents: DocumentStore,
        defaultPolicy: TokenPolicy = .required, clock: MetadataClock, logger: Logger = Logger(label: "sluice-metadata")
    ) {
        self.tokens = tokens
        self.callers = callers
        self.documents = documents
        self.defaultPolicy = defaultPolicy
        self.clock = clock
        self.logger = logger
    }

    /// An answer: status, headers and body.
    public struct Reply: Sendable, Equatable {
        public var status: HTTPResponse.Status
        public var headers: HTTPFields
        public var body: [UInt8]

        init(_ status: HTTPResponse.Status, body: [UInt8]? = nil, headers: HTTPFields = [:]) {
            self.status = status
            var headers = headers
            headers[.contentType] = "text/plain"
            self.headers = headers
            self.body = body ?? Array("\(status.code) - \(status.reasonPhrase)".utf8)
        }
    }

    /// Answers one request from `caller` (the address it came from; nil when the transport has none).
    public func respond(
        method: HTTPRequest.Method, path: String, headers: HTTPFields, caller: String?
    ) async -> Reply {
        guard method == .get || method == .head || method == .put else {
            return Reply(.methodNotAllowed, headers: [.allow: "GET, HEAD, PUT"])
        }
        let route = Route(path: path)
        if route == .token {
            guard method == .put else { return Reply(.methodNotAllowed, headers: [.allow: "PUT"]) }
            return await issueToken(headers: headers, caller: caller)
        }
        guard method != .put else { return Reply(.methodNotAllowed, headers: [.allow: "GET, HEAD"]) }
        let client: MetadataClient
        switch await identify(caller) {
        case .success(let found): client = found
        case .failure(let refusal): return refusal.reply
        }
        let policy = documents.tokenPolicy(for: client.instanceID) ?? defaultPolicy
        if let token = headers[Self.tokenHeader] {
            let verdict: TokenIssuer.Verdict =
                token.utf8.count > Self.maximumTokenHeader
                ? .invalid : tokens.check(token, for: client.instanceID, now: clock.now())
            guard verdict == .valid else {
                logger.debug("\(client.instanceID) (\(client.address)): \(verdict) token refused")
                return Reply(.unauthorized)
            }
        } else if policy == .required {
            return Reply(.unauthorized)
        }
        let document: DocumentStore.Document
        switch route {
        case .versions: document = .listing(["latest"])
        case .latest: document = documents.latest(for: client)
        case .metaData(let components): document = documents.metaData(components, for: client)
        case .userData: document = documents.userData(for: client)
        case .token, .unknown: document = .notFound
        }
        switch document {
        case .notFound:
            return Reply(.notFound)
        case .failed(let why):
            logger.error("\(client.instanceID): \(why)")
            return Reply(.internalServerError)
        case .file, .listing:
            return Reply(.ok, body: method == .head ? [] : document.body)
        }
    }

    private func issueToken(headers: HTTPFields, caller: String?) async -> Reply {
        if headers[Self.forwardedForHeader] != nil { return Reply(.forbidden) }
        guard let text = headers[Self.ttlHeader], let ttl = Self.parseTTL(text) else {
            return Reply(.badRequest)
        }
        switch await identify(caller) {
        case .success(let client):
            let token = tokens.issue(for: client.instanceID, ttlSeconds: ttl, now: clock.now())
            return Reply(.ok, body: Array(token.utf8), headers: [Self.ttlHeader: String(ttl)])
        case .failure(let refusal):
            return refusal.reply
        }
    }

    /// A TTL header's value: decimal digits only, within `TokenIssuer.ttlRange`.
    static func parseTTL(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 5, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let value = Int(text), TokenIssuer.ttlRange.contains(value)
        else { return nil }
        return value
    }

    struct Refusal: Error {
        let reply: Reply
    }

    private func identify(_ caller: String?) async -> Result<MetadataClient, Refusal> {
        guard let caller else { return .failure(Refusal(reply: Reply(.forbidden))) }
        switch await callers.resolve(CallerDirectory.normalizedAddress(caller)) {
        case .client(let client):
            return .success(client)
        case .unknown:
            logger.notice("request from \(caller), which is no metadata client: refused")
            return .failure(Refusal(reply: Reply(.forbidden)))
        case .unavailable(let why):
            logger.warning("cannot identify \(caller): \(why)")
            return .failure(Refusal(reply: Reply(.serviceUnavailable)))
        }
    }
}

/// What a request path names.
enum Route: Equatable {
    case versions
    case latest
    case token
    case metaData([String])
    case userData
    case unknown

    init(path: String) {
        var components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard components.first == "" else {
            self = .unknown
            return
        }
        components.removeFirst()
        if components.last == "" { components.removeLast() }
        guard !components.contains("") else {
            self = .unknown
            return
        }
        switch components.first {
        case nil: self = .versions
        case "latest"?:
            switch components.dropFirst().first {
            case nil: self = .latest
            case "api"? where components == ["latest", "api", "token"]: self = .token
            case "meta-data"?: self = .metaData(Array(components.dropFirst(2)))
            case "user-data"? where components.count == 2: self = .userData
            default: self = .unknown
            }
        default: self = .unknown
        }
    }
}
