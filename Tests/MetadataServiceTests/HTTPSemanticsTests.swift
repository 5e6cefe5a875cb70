import ControlProtocol
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MetadataService

/// IMDSv2's statuses as the service answers them through Hummingbird, on a virtual clock.
@Suite struct HTTPSemanticsTests {
    let clock = ManualClock()
    let clients = FakeClients([vmA, vmB])

    @Test func tokenIsIssuedWithItsTTLEchoed() async throws {
        try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let response = try await client.put(from: vmA, ttl: "21600")
            #expect(response.status == .ok)
            #expect(response.headers[ttlHeader] == "21600")
            #expect(response.body.readableBytes == TokenIssuer.tokenLength)
        }
    }

    @Test func ttlOutsideOneToSixHoursOrNotANumberIsABadRequest() async throws {
        try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            for ttl in ["0", "21601", "-1", "abc", "", "1.5", "6 0", "+60", "0x10", "99999999999999999999"] {
                let response = try await client.put(from: vmA, ttl: ttl)
                #expect(response.status == .badRequest, "TTL \"\(ttl)\"")
            }
            #expect(try await client.put(from: vmA, ttl: nil).status == .badRequest)
            #expect(try await client.put(from: vmA, ttl: "1").status == .ok)
            #expect(try await client.put(from: vmA, ttl: "21600").status == .ok)
            #expect(try await client.put(from: vmA, ttl: "0060").status == .ok)
        }
    }

    @Test func tokenRequestThroughAProxyIsForbidden() async throws {
        try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let response = try await client.put(from: vmA, ttl: "60", extra: [forwardedHeader: "10.0.0.10"])
            #expect(response.status == .forbidden)
        }
    }

    @Test func otherMethodsAreNotAllowed() async throws {
        try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let token = try await client.token(for: vmA)
            for method in [HTTPRequest.Method.post, .delete, .patch, .options] {
                let response = try await client.get(
                    "/latest/meta-data/instance-id", from: vmA, token: token, method: method)
                #expect(response.status == .methodNotAllowed, "\(method)")
            }
            #expect(try await client.get("/latest/api/token", from: vmA, token: token).status == .methodNotAllowed)
            #expect(
                try await client.put("/latest/meta-data/instance-id", from: vmA, ttl: "60").status == .methodNotAllowed)
        }
    }

    @Test func requiredTokensRefuseMissingAndInvalidTokens() async throws {
        try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let uri = "/latest/meta-data/instance-id"
            #expect(try await client.get(uri, from: vmA, token: nil).status == .unauthorized)
            #expect(try await client.get(uri, from: vmA, token: "not-a-token").status == .unauthorized)
            #expect(
                try await client.get(uri, from: vmA, token: String(repeating: "A", count: 64)).status == .unauthorized)
            let token = try await client.token(for: vmA)
            let response = try await client.get(uri, from: vmA, token: token)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "i-aaaa")
        }
    }

    @Test func tokenExpiresAfterItsTTL() async throws {
        try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let token = try await client.token(for: vmA, ttl: 10)
            let uri = "/latest/meta-data/instance-id"
            clock.advance(by: .milliseconds(9999))
            #expect(try await client.get(uri, from: vmA, token: token).status == .ok)
            clock.advance(by: .milliseconds(1))
            #expect(try await client.get(uri, from: vmA, token: token).status == .unauthorized)
        }
    }

    @Test func oneInstancesTokenIsRefusedForAnother() async throws {
        try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let tokenA = try await client.token(for: vmA)
            let tokenB = try await client.token(for: vmB)
            let uri = "/latest/meta-data/instance-id"
            #expect(try await client.get(uri, from: vmB, token: tokenA).status == .unauthorized)
            #expect(try await client.get(uri, from: vmA, token: tokenB).status == .unauthorized)
            let response = try await client.get(uri, from: vmB, token: tokenB)
            #expect(String(buffer: response.body) == "i-bbbb")
        }
    }

    @Test func optionalTokensServeWithoutOneButRefuseABadOne() async throws {
        let tree = try DocumentTree.standard()
        defer { tree.remove() }
        try tree.write("i-aaaa/http-tokens", "optional\n")
        try await withRouter(makeService(tree: tree, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let uri = "/latest/meta-data/instance-id"
            #expect(try await client.get(uri, from: vmA, token: nil).status == .ok)
            #expect(try await client.get(uri, from: vmA, token: "bogus").status == .unauthorized)
            // B has no http-tokens file: the service's default (required).
            #expect(try await client.get(uri, from: vmB, token: nil).status == .unauthorized)
        }
    }

    @Test func perInstanceRequiredOverridesAnOptionalDefaultAndATypoReadsAsRequired() async throws {
        let tree = try DocumentTree.standard()
        defer { tree.remove() }
        try tree.write("i-aaaa/http-tokens", "required")
        try tree.write("i-bbbb/http-tokens", "optinal")
        let service = makeService(tree: tree, clients: clients, clock: clock, defaultPolicy: .optional)
        try await withRouter(service) { (client: any TestClientProtocol) async throws in
            let uri = "/latest/meta-data/instance-id"
            #expect(try await client.get(uri, from: vmA, token: nil).status == .unauthorized)
            #expect(try await client.get(uri, from: vmB, token: nil).status == .unauthorized)
            clients.clients.append(MetadataClient(address: "169.254.0.4", port: "vm-c", instanceID: "i-cccc"))
            clock.advance(by: .seconds(2))
            let vmC = MetadataClient(address: "169.254.0.4", port: "vm-c", instanceID: "i-cccc")
            #expect(try await client.get(uri, from: vmC, token: nil).status == .ok)
        }
    }

    @Test func unknownPathsAreNotFoundAfterTheTokenCheck() async throws {
        let tree = try DocumentTree.standard()
        defer { tree.remove() }
        try await withRouter(makeService(tree: tree, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            #expect(try await client.get("/nothing", from: vmA, token: nil).status == .unauthorized)
            let token = try await client.token(for: vmA)
            for uri in [
                "/nothing", "/2009-04-04/meta-data/", "/latest/meta-data/nothing", "/latest/meta-data//ami-id",
                "/latest/meta-data/../../i-bbbb/meta-data/secret",
                "/latest/meta-data/%2e%2e/%2e%2e/i-bbbb/meta-data/secret",
                "/latest/meta-data/..%2F..%2Fi-bbbb%2Fmeta-data%2Fsecret", "/latest/meta-data/.partial",
                "/latest/meta-data/sluice/nothing", "/latest/api", "/latest/user-data/x",
            ] {
                #expect(try await client.get(uri, from: vmA, token: token).status == .notFound, "\(uri)")
            }
        }
    }

    @Test func listingsUseEC2sFormat() async throws {
        let tree = try DocumentTree.standard()
        defer { tree.remove() }
        try await withRouter(makeService(tree: tree, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let token = try await client.token(for: vmA)
            func body(_ uri: String) async throws -> String {
                let response = try await client.get(uri, from: vmA, token: token)
                #expect(response.status == .ok, "\(uri)")
                return String(buffer: response.body)
            }
            #expect(try await body("/") == "latest")
            #expect(try await body("/latest/") == "meta-data\nuser-data")
            #expect(try await body("/latest") == "meta-data\nuser-data")
            let expected = "ami-id\ninstance-id\nlocal-ipv4\nmac\nplacement/\nsluice/"
            #expect(try await body("/latest/meta-data/") == expected)
            #expect(try await body("/latest/meta-data") == expected)
            #expect(try await body("/latest/meta-data/placement/") == "availability-zone\nregion")
            #expect(try await body("/latest/meta-data/placement/region") == "home")
            #expect(try await body("/latest/meta-data/sluice/") == "port\nvlan")
        }
    }

    @Test func generatedDocumentsComeFromThePortAndWinOverTheTree() async throws {
        let tree = try DocumentTree.standard()
        defer { tree.remove() }
        try await withRouter(makeService(tree: tree, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let token = try await client.token(for: vmA)
            let expected = [
                "instance-id": "i-aaaa", "mac": "52:54:00:00:00:0a", "local-ipv4": "10.0.0.10",
                "sluice/port": "vm-a", "sluice/vlan": "100", "ami-id": "ami-0123",
            ]
            for (path, value) in expected {
                let response = try await client.get("/latest/meta-data/\(path)", from: vmA, token: token)
                #expect(String(buffer: response.body) == value, "\(path)")
            }
            let userData = try await client.get("/latest/user-data", from: vmA, token: token)
            #expect(String(buffer: userData.body) == "#cloud-config\nhostname: a\n")
            // B has no port security, no VLAN and no user data.
            let tokenB = try await client.token(for: vmB)
            let listing = try await client.get("/latest/meta-data/", from: vmB, token: tokenB)
            #expect(String(buffer: listing.body) == "instance-id\nsecret\nsluice/")
            #expect(try await client.get("/latest/meta-data/mac", from: vmB, token: tokenB).status == .notFound)
            #expect(try await client.get("/latest/user-data", from: vmB, token: tokenB).status == .notFound)
            #expect(String(buffer: try await client.get("/latest/", from: vmB, token: tokenB).body) == "meta-data")
        }
    }

    @Test func symbolicLinksOutOfTheInstancesTreeAreNotFollowed() async throws {
        let tree = try DocumentTree.standard()
        defer { tree.remove() }
        let meta = tree.root.appendingPathComponent("i-aaaa/meta-data")
        try FileManager.default.createSymbolicLink(
            at: meta.appendingPathComponent("b"),
            withDestinationURL: tree.root.appendingPathComponent("i-bbbb/meta-data"))
        try FileManager.default.createSymbolicLink(
            at: meta.appendingPathComponent("ok"), withDestinationURL: meta.appendingPathComponent("ami-id"))
        try await withRouter(makeService(tree: tree, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let token = try await client.token(for: vmA)
            #expect(try await client.get("/latest/meta-data/b/secret", from: vmA, token: token).status == .notFound)
            #expect(
                String(buffer: try await client.get("/latest/meta-data/ok", from: vmA, token: token).body) == "ami-0123"
            )
        }
    }

    @Test func headAnswersWithoutABody() async throws {
        try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let token = try await client.token(for: vmA)
            let response = try await client.get("/latest/meta-data/instance-id", from: vmA, token: token, method: .head)
            #expect(response.status == .ok)
            #expect(response.body.readableBytes == 0)
        }
    }

    @Test func unknownCallersAreForbiddenAndAnUnreachableSluicedIsUnavailable() async throws {
        try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let stranger = MetadataClient(address: "169.254.0.99", port: "?", instanceID: "?")
            #expect(try await client.put(from: stranger, ttl: "60").status == .forbidden)
            #expect(try await client.get("/latest/meta-data/", from: stranger, token: nil).status == .forbidden)
            #expect(try await client.put(from: nil, ttl: "60").status == .forbidden)
        }
        let down = FakeClients([vmA])
        down.failing = true
        try await withRouter(makeService(tree: nil, clients: down, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            #expect(try await client.put(from: vmA, ttl: "60").status == .serviceUnavailable)
            #expect(try await client.get("/latest/meta-data/", from: vmA, token: nil).status == .serviceUnavailable)
        }
    }

    @Test func aTokenFromAnEarlierRunOfTheServiceIsInvalid() async throws {
        let tokenFromBefore = try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            try await client.token(for: vmA)
        }
        try await withRouter(makeService(tree: nil, clients: clients, clock: clock)) {
            (client: any TestClientProtocol) async throws in
            let response = try await client.get("/latest/meta-data/instance-id", from: vmA, token: tokenFromBefore)
            #expect(response.status == .unauthorized)
        }
    }
}
