import ControlProtocol
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization

@testable import MetadataService

/// A clock that moves only when the test says so.
final class ManualClock: Sendable {
    private let current = Mutex<Duration>(.seconds(1000))

    var clock: MetadataClock { MetadataClock { [self] in current.withLock { $0 } } }

    func advance(by duration: Duration) { current.withLock { $0 += duration } }
}

/// `metadata.clients` as a test scripts it: a list it can change, a failure it can switch on, and a count of
/// calls.
final class FakeClients: Sendable {
    private let state = Mutex<(clients: [MetadataClient], failing: Bool, calls: Int)>(([], false, 0))

    init(_ clients: [MetadataClient]) { state.withLock { $0.clients = clients } }

    var clients: [MetadataClient] {
        get { state.withLock { $0.clients } }
        set { state.withLock { $0.clients = newValue } }
    }

    var failing: Bool {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }

    var calls: Int { state.withLock { $0.calls } }

    struct Unreachable: Error, CustomStringConvertible {
        var description: String { "cannot connect to the control socket" }
    }

    func list() throws -> [MetadataClient] {
        try state.withLock {
            $0.calls += 1
            if $0.failing { throw Unreachable() }
            return $0.clients
        }
    }

    var fetch: CallerDirectory.Fetch { { [self] in try list() } }
}

/// The tests' request context: the caller's address is whatever the test writes in `X-Test-Caller` (the
/// router test framework has no TCP peer). Only the tests have this context; the service's own ignores
/// headers (LiveServerTests checks it).
struct TestCallerContext: MetadataCallerContext {
    var coreContext: CoreRequestContextStorage

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    func callerAddress(of request: Request) -> String? {
        request.headers[callerHeader]
    }
}

let callerHeader = HTTPFields.Element.Name("X-Test-Caller")!
let ttlHeader = HTTPFields.Element.Name("X-aws-ec2-metadata-token-ttl-seconds")!
let tokenHeader = HTTPFields.Element.Name("X-aws-ec2-metadata-token")!
let forwardedHeader = HTTPFields.Element.Name("X-Forwarded-For")!

let vmA = MetadataClient(
    address: "169.254.0.2", port: "vm-a", instanceID: "i-aaaa", mac: "52:54:00:00:00:0a", ipv4: "10.0.0.10",
    vlan: 100)
let vmB = MetadataClient(address: "169.254.0.3", port: "vm-b", instanceID: "i-bbbb")

/// A documents tree in a temporary directory, removed by `remove()`.
struct DocumentTree {
    let root: URL

    init() throws {
        root = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("sluice-mdtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func write(_ path: String, _ text: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// A's and B's documents as an orchestrator would write them.
    static func standard() throws -> DocumentTree {
        let tree = try DocumentTree()
        try tree.write("i-aaaa/meta-data/ami-id", "ami-0123")
        try tree.write("i-aaaa/meta-data/placement/availability-zone", "rack-1")
        try tree.write("i-aaaa/meta-data/placement/region", "home")
        try tree.write("i-aaaa/meta-data/instance-id", "forged")
        try tree.write("i-aaaa/meta-data/.partial", "being written")
        try tree.write("i-aaaa/user-data", "#cloud-config\nhostname: a\n")
        try tree.write("i-bbbb/meta-data/secret", "b's secret")
        return tree
    }
}

/// A service over `tree` whose callers are `clients`, on `clock`.
func makeService(
    tree: DocumentTree?, clients: FakeClients, clock: ManualClock, defaultPolicy: TokenPolicy = .required
) -> MetadataService {
    MetadataService(
        callers: CallerDirectory(clock: clock.clock, fetch: clients.fetch),
        documents: DocumentStore(root: tree?.root.path), defaultPolicy: defaultPolicy, clock: clock.clock)
}

/// Runs `test` against `service` through Hummingbird's router test framework, with the caller taken from
/// `X-Test-Caller`.
@discardableResult
func withRouter<Value: Sendable>(
    _ service: MetadataService, _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Value
) async throws -> Value {
    let app = Application(responder: MetadataResponder<TestCallerContext>(service: service))
    return try await app.test(.router) { client in try await test(client) }
}

extension TestClientProtocol {
    /// `PUT /latest/api/token` from `caller`, with `ttl` (nil: no TTL header) and extra headers.
    func put(
        _ uri: String = "/latest/api/token", from caller: MetadataClient?, ttl: String?, extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let caller { headers[callerHeader] = caller.address }
        if let ttl { headers[ttlHeader] = ttl }
        return try await execute(uri: uri, method: .put, headers: headers)
    }

    /// A token for `caller`, asserted to be issued.
    func token(for caller: MetadataClient, ttl: Int = 21600) async throws -> String {
        let response = try await put(from: caller, ttl: String(ttl))
        guard response.status == .ok else { throw TokenRefused(status: response.status.code) }
        return String(buffer: response.body)
    }

    /// `method uri` from `caller` with `token` (nil: none).
    func get(
        _ uri: String, from caller: MetadataClient?, token: String?, method: HTTPRequest.Method = .get
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let caller { headers[callerHeader] = caller.address }
        if let token { headers[tokenHeader] = token }
        return try await execute(uri: uri, method: method, headers: headers)
    }
}

struct TokenRefused: Error {
    let status: Int
}
