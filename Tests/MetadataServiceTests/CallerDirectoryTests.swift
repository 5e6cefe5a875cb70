import Control
import ControlProtocol
import Foundation
import Logging
import Synchronization
import Testing

@testable import MetadataService

/// The client map: cached, refreshed on unknown addresses (at most once a second) and when old, served from
/// the last answer while sluiced is away.
@Suite struct CallerDirectoryTests {
    let clock = ManualClock()

    @Test func knownAddressesAreServedFromTheCache() async {
        let clients = FakeClients([vmA, vmB])
        let directory = CallerDirectory(clock: clock.clock, fetch: clients.fetch)
        #expect(await directory.resolve("169.254.0.2") == .client(vmA))
        #expect(await directory.resolve("169.254.0.3") == .client(vmB))
        clock.advance(by: .seconds(29))
        #expect(await directory.resolve("169.254.0.2") == .client(vmA))
        #expect(clients.calls == 1)
    }

    @Test func anUnknownAddressRefreshesAtMostOncePerInterval() async {
        let clients = FakeClients([vmA])
        let directory = CallerDirectory(clock: clock.clock, fetch: clients.fetch)
        #expect(await directory.resolve("169.254.0.3") == .unknown)
        #expect(await directory.resolve("169.254.0.3") == .unknown)
        #expect(clients.calls == 1)
        clients.clients = [vmA, vmB]
        clock.advance(by: .milliseconds(999))
        #expect(await directory.resolve("169.254.0.3") == .unknown)
        #expect(clients.calls == 1)
        clock.advance(by: .milliseconds(1))
        #expect(await directory.resolve("169.254.0.3") == .client(vmB))
        #expect(clients.calls == 2)
    }

    @Test func anOldMapIsFetchedAgainSoChangedInstanceIDsShow() async {
        let clients = FakeClients([vmA])
        let directory = CallerDirectory(clock: clock.clock, fetch: clients.fetch)
        #expect(await directory.resolve("169.254.0.2") == .client(vmA))
        var renamed = vmA
        renamed.instanceID = "i-renamed"
        clients.clients = [renamed]
        clock.advance(by: .seconds(30))
        #expect(await directory.resolve("169.254.0.2") == .client(renamed))
        #expect(clients.calls == 2)
    }

    @Test func whileSluicedIsAwayTheLastMapAnswersAndUnknownsAreUnavailable() async {
        let clients = FakeClients([vmA])
        let directory = CallerDirectory(clock: clock.clock, fetch: clients.fetch)
        #expect(await directory.resolve("169.254.0.2") == .client(vmA))
        clients.failing = true
        clock.advance(by: .seconds(31))
        #expect(await directory.resolve("169.254.0.2") == .client(vmA))
        guard case .unavailable = await directory.resolve("169.254.0.3") else {
            Issue.record("an unknown address while sluiced is away is not unavailable")
            return
        }
        clients.failing = false
        clock.advance(by: .seconds(1))
        #expect(await directory.resolve("169.254.0.3") == .unknown)
    }

    @Test func neverFetchedIsUnavailable() async {
        let clients = FakeClients([vmA])
        clients.failing = true
        let directory = CallerDirectory(clock: clock.clock, fetch: clients.fetch)
        guard case .unavailable = await directory.resolve("169.254.0.2") else {
            Issue.record("resolved without a map")
            return
        }
    }

    @Test func anAddressListedTwiceNamesNoOne() async {
        var twin = vmB
        twin.address = vmA.address
        let clients = FakeClients([vmA, twin, vmB])
        let directory = CallerDirectory(clock: clock.clock, fetch: clients.fetch)
        #expect(await directory.resolve("169.254.0.2") == .unknown)
        #expect(await directory.resolve("169.254.0.3") == .client(vmB))
    }

    @Test func ipv4MappedAddressesAreNormalised() {
        #expect(CallerDirectory.normalizedAddress("::ffff:169.254.0.2") == "169.254.0.2")
        #expect(CallerDirectory.normalizedAddress("169.254.0.2") == "169.254.0.2")
        #expect(CallerDirectory.normalizedAddress("fe80::1") == "fe80::1")
    }

    @Test func concurrentRequestsShareOneFetch() async {
        let clients = FakeClients([vmA, vmB])
        let directory = CallerDirectory(clock: clock.clock, fetch: clients.fetch)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask { _ = await directory.resolve("169.254.0.2") }
            }
        }
        #expect(clients.calls == 1)
    }

    /// The production fetch against the real control server with a test registry serving `metadata.clients`.
    @Test func resolvesThroughTheControlSocket() async throws {
        let clients = FakeClients([vmA, vmB])
        let server = try ControlTestServer { methods in
            methods.register(MetadataMethods.clients) { () throws(RPCErrorObject) -> [MetadataClient] in
                do { return try clients.list() } catch {
                    throw RPCErrorObject(code: RPCErrorObject.internalError, message: "\(error)")
                }
            }
        }
        let directory = CallerDirectory(
            clock: clock.clock, fetch: CallerDirectory.controlSocket(path: server.path, timeout: .seconds(30)))
        #expect(await directory.resolve("169.254.0.3") == .client(vmB))
        #expect(await directory.resolve("169.254.0.9") == .unknown)
        #expect(clients.calls == 1)
        server.stop()
        clock.advance(by: .seconds(31))
        #expect(await directory.resolve("169.254.0.3") == .client(vmB))
        guard case .unavailable(let why) = await directory.resolve("169.254.0.9") else {
            Issue.record("an unknown address with the control socket gone is not unavailable")
            return
        }
        #expect(why.contains(server.path))
    }
}

/// The real ControlServer on a temporary socket, on its own thread, serving what `register` registers.
final class ControlTestServer: Sendable {
    let directory: URL
    let path: String
    private let stopFlag = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    init(register: (inout ControlMethodRegistry) -> Void) throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("sluice-mdctl-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("sluice.sock").path
        var methods = ControlMethodRegistry()
        register(&methods)
        let server = Handoff(
            value: try ControlServer(
                path: path, mode: 0o600, group: nil, methods: methods, logger: Logger(label: "test-control")))
        let thread = Thread { [self] in
            server.value.run(tick: 20, until: { self.stopFlag.load(ordering: .acquiring) })
            server.value.close()
            self.done.signal()
        }
        thread.start()
    }

    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        stopFlag.store(true, ordering: .releasing)
        done.wait()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}

/// Moves the non-Sendable server to its thread, its only user from then on.
private struct Handoff<Value>: @unchecked Sendable {
    let value: Value
}
