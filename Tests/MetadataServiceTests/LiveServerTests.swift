import ControlProtocol
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import MetadataService

/// The service's own request context over a real TCP connection: the caller is the peer's address, whatever
/// the request's headers claim.
@Suite struct LiveServerTests {
    @Test func theCallerIsTheTCPPeerNotAHeader() async throws {
        let clock = ManualClock()
        // Hummingbird's live test client connects to "localhost": either loopback address may be the peer.
        let local = [
            MetadataClient(address: "127.0.0.1", port: "lo4", instanceID: "i-local"),
            MetadataClient(address: "::1", port: "lo6", instanceID: "i-local"),
        ]
        let service = makeService(tree: nil, clients: FakeClients(local + [vmB]), clock: clock)
        let app = service.application(host: "localhost", port: 0, logger: Logger(label: "test"))
        try await app.test(.live) { client in
            let issued = try await client.execute(
                uri: "/latest/api/token", method: .put, headers: [ttlHeader: "60", callerHeader: vmB.address])
            #expect(issued.status == .ok)
            let token = String(buffer: issued.body)
            let response = try await client.execute(
                uri: "/latest/meta-data/instance-id", method: .get,
                headers: [tokenHeader: token, callerHeader: vmB.address, forwardedHeader: vmB.address])
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "i-local")
            let port = try await client.execute(
                uri: "/latest/meta-data/sluice/port", method: .get, headers: [tokenHeader: token])
            #expect(["lo4", "lo6"].contains(String(buffer: port.body)))
        }
    }
}
