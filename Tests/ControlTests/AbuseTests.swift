import ControlProtocol
import Foundation
import Testing

@testable import Control

#if canImport(Glibc)
    import Glibc
#endif

/// Clients that misbehave: each gets an error or is disconnected, and the server keeps serving the others.
@Suite("Control server under abuse")
struct AbuseTests {
    /// The server still answers a well-behaved client on a fresh connection.
    static func expectServing(_ server: TestServer, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let info = try server.client().call(StatusMethods.version)
        #expect(info == FakeHandler.versionInfo, sourceLocation: sourceLocation)
    }

    @Test("garbage bytes (NUL, invalid UTF-8, control characters) get parse errors; the connection stays usable")
    func garbage() throws {
        let server = try TestServer(features: [.status])
        defer { server.stop() }
        let client = try server.raw()
        var generator = SplitMix(seed: 42)
        let garbageLines: [[UInt8]] =
            [
                [0, 0, 0, 0],
                [0xFF, 0xFE, 0xFD, 0x80, 0xC0, 0xAF],
                Array(#"{"jsonrpc":"2.0","id":1,"method":"ver"#.utf8) + [0xFF, 0x00] + Array(#"sion"}"#.utf8),
                Array(#"{"jsonrpc":"2.0","id":1,"method":"version","params":""#.utf8) + [0xED, 0xA0, 0x80]
                    + Array(#""}"#.utf8),
                [0x1B, 0x5B, 0x32, 0x4A, 0x07, 0x08],
            ]
            + (0..<20).map { _ in
                (0..<Int(generator.next() % 3000 + 1)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }.filter {
                    $0 != 0x0A
                }
            }
        for line in garbageLines {
            #expect(client.send(line + [0x0A]))
            let response = try client.response()
            #expect(response.error != nil && response.result == nil)
            #expect(
                [RPCErrorObject.parseError, RPCErrorObject.invalidRequest, RPCErrorObject.methodNotFound].contains(
                    response.error?.code ?? 0),
                "\(String(describing: response.error))")
        }
        #expect(try decodeResult(client.roundTrip(requestLine("version", id: 99)), as: VersionInfo.self).pid == 4242)
        #expect(server.handler.calls.map(\.method) == ["version"], "no garbage line reached the handler")
    }

    @Test("a request over 1 MiB gets -32001 and the connection is closed; the server keeps serving")
    func oversizedRequest() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.raw()
        // A well-formed request whose line exceeds the limit (the document alone is over 1 MiB).
        let document = String(repeating: "x", count: maxRequestBytes + 1000)
        let line = requestLine("config.apply", params: #"{"document":"\#(document)"}"#)
        client.send(line + "\n")  // may fail part-way: the server stops reading after the error
        let response = try client.response()
        #expect(response.error?.code == RPCErrorObject.requestTooLarge)
        #expect(response.id == nil)
        #expect(client.waitClosed())
        #expect(server.handler.calls.count == 0)
        try Self.expectServing(server)
    }

    @Test("an endless line without newline is cut off at 1 MiB")
    func endlessLine() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.raw()
        let chunk = [UInt8](repeating: UInt8(ascii: "["), count: 65536)
        var sent = 0
        while sent < 4 * maxRequestBytes && client.send(chunk) { sent += chunk.count }
        #expect(try client.response().error?.code == RPCErrorObject.requestTooLarge)
        #expect(client.waitClosed())
        try Self.expectServing(server)
    }

    @Test("a request just under 1 MiB is served")
    func largeRequestUnderLimit() throws {
        let server = try TestServer()
        defer { server.stop() }
        let document = String(repeating: "x", count: maxRequestBytes - 200)
        let response = try server.raw().roundTrip(
            requestLine("config.apply", id: 2, params: #"{"document":"\#(document)","dryRun":true}"#))
        #expect(try decodeResult(response, as: ConfigApplyResult.self).dryRun)
    }

    @Test("100 concurrent clients, each doing several requests, all get their own answers")
    func hundredClients() throws {
        let server = try TestServer()
        defer { server.stop() }
        let clientCount = 100
        let requestsPerClient = 10
        // All connected at once before any of them works.
        let clients = try (0..<clientCount).map { _ in try server.raw() }
        let failures = Failures()
        let group = DispatchGroup()
        for (index, client) in clients.enumerated() {
            let work = UncheckedSendable(client)
            group.enter()
            Thread {
                defer { group.leave() }
                let methods = ["version", "port.list", "mac.list", "vlan.list", "health"]
                for request in 0..<requestsPerClient {
                    let id = index * 1000 + request
                    let method = methods[(index + request) % methods.count]
                    do {
                        let response = try work.value.roundTrip(requestLine(method, id: id))
                        if response.id != .number(id) || response.result == nil {
                            failures.add("client \(index): request \(id) got \(response)")
                        }
                    } catch {
                        failures.add("client \(index): request \(id): \(error)")
                    }
                }
            }.start()
        }
        #expect(group.wait(timeout: .now() + 120) == .success, "clients did not finish")
        #expect(failures.all.isEmpty, "\(failures.all.prefix(5))")
        #expect(server.handler.calls.count == clientCount * requestsPerClient)
        try Self.expectServing(server)
    }

    @Test("connections beyond the client limit are closed at once; freed slots are reused")
    func clientLimit() throws {
        let server = try TestServer(limits: .init(maxClients: 8))
        defer { server.stop() }
        // Each one answered: all eight are registered.
        let clients = try (0..<8).map { _ in try server.raw() }
        for (index, client) in clients.enumerated() {
            #expect(try client.roundTrip(requestLine("version", id: index)).id == .number(index))
        }
        let extra = try server.raw()
        extra.send(requestLine("version") + "\n")
        #expect(extra.waitClosed(), "the ninth connection is refused")
        #expect(server.log.all.contains { $0.message.contains("8 clients already connected") })
        // One leaves; a new client gets its slot.
        clients[0].finishSending()
        #expect(clients[0].waitClosed())
        let next = try server.raw()
        #expect(try next.roundTrip(requestLine("version", id: 77)).id == .number(77))
        for client in clients.dropFirst() { #expect(try client.roundTrip(requestLine("health")).result != nil) }
    }

    @Test("a client that sends requests but never reads is disconnected; the others are served meanwhile")
    func clientThatNeverReads() throws {
        // Big answers (200 ports) and a small output cap, so the cap is reached quickly.
        let server = try TestServer(handler: FakeHandler(portCount: 200), limits: .init(maxPendingOutput: 512 * 1024))
        defer { server.stop() }
        let greedy = try server.raw()
        let polite = try server.raw()
        let request = Array((requestLine("port.list") + "\n").utf8)
        var sent = 0
        var disconnected = false
        while sent < 100_000 {
            guard greedy.send(request) else {
                disconnected = true
                break
            }
            sent += 1
            if sent % 2 == 0 {
                // Served in between: the greedy client does not hold up the loop.
                #expect(try polite.roundTrip(requestLine("version", id: sent)).id == .number(sent))
            }
        }
        #expect(disconnected, "still connected after \(sent) unread answers")
        #expect(greedy.waitClosed())
        #expect(server.log.all.contains { $0.message.contains("does not read its answers") })
        #expect(try polite.roundTrip(requestLine("version", id: -1)).id == .number(-1))
        try Self.expectServing(server)
    }

    @Test("a client that connects and sends nothing, or stops mid-line, is disconnected after the idle timeout")
    func idleClients() throws {
        let server = try TestServer(limits: .init(idleTimeout: .milliseconds(300)))
        defer { server.stop() }
        let silent = try server.raw()
        let partial = try server.raw()
        partial.send(#"{"jsonrpc":"2.0","id":1,"meth"#)
        let served = try server.raw()
        #expect(try served.roundTrip(requestLine("version")).result != nil)
        #expect(silent.waitClosed(timeout: .seconds(60)))
        #expect(partial.waitClosed(timeout: .seconds(60)))
        #expect(served.waitClosed(timeout: .seconds(60)), "idle after its answer: closed as well")
        let reasons = server.log.all.map(\.message)
        #expect(reasons.contains { $0.contains("sent nothing") })
        #expect(reasons.contains { $0.contains("sent an incomplete request") })
        try Self.expectServing(server)
    }

    @Test("a client that stops reading with answers pending is disconnected after the idle timeout")
    func stuckReader() throws {
        let server = try TestServer(
            handler: FakeHandler(portCount: 400), limits: .init(idleTimeout: .milliseconds(300)))
        defer { server.stop() }
        let stuck = try server.raw()
        // More than the socket buffers hold, less than the output cap: only the idle timeout ends it.
        for id in 0..<20 { stuck.send(requestLine("port.list", id: id) + "\n") }
        try System.waitUntil("the stuck reader to be disconnected") {
            server.log.all.contains { $0.message.contains("does not read its answers for") }
        }
        try Self.expectServing(server)
    }

    @Test("deeply nested JSON is refused before it is parsed; the server survives")
    func deepNesting() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.raw()
        for depth in [65, 1000, 100_000] {
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let response = try client.roundTrip(
                requestLine("port.set", id: depth, params: #"{"name":"p0","settings":{"x":\#(nested)}}"#))
            #expect(response.error?.code == RPCErrorObject.invalidRequest)
            #expect(response.error?.message.contains("deeper than 64") == true)
            let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
            #expect(try client.roundTrip(objects).error?.code == RPCErrorObject.invalidRequest)
            // Unbalanced: only opening brackets.
            #expect(
                try client.roundTrip(String(repeating: "{", count: depth)).error?.code == RPCErrorObject.invalidRequest)
        }
        // Within the bound: parsed and answered normally (port.set takes any settings object).
        let nested = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        let response = try client.roundTrip(
            requestLine("port.set", id: 1, params: #"{"name":"p0","settings":{"x":\#(nested)}}"#))
        #expect(try decodeResult(response, as: ConfigApplyResult.self).changes.first?.fields == ["x"])
        // Brackets inside strings do not count.
        let document = String(repeating: "[{", count: 5000)
        #expect(
            try client.roundTrip(
                requestLine("config.apply", id: 2, params: #"{"document":"\#(document)\"\\","dryRun":true}"#)
            ).result != nil)
        #expect(server.handler.calls.map(\.method) == ["port.set", "config.apply"])
    }

    @Test("the nesting scan counts brackets outside strings only")
    func nestingScan() {
        func exceeds(_ limit: Int, _ text: String) -> Bool { RequestDispatcher.nestingExceeds(limit, Array(text.utf8)) }
        #expect(!exceeds(2, #"{"a":[1,2]}"#))
        #expect(exceeds(1, #"{"a":[1,2]}"#))
        #expect(!exceeds(1, #"{"a":"[[[[{{{{"}"#))
        #expect(!exceeds(1, #"{"a":"\"[[[["}"#))
        #expect(!exceeds(1, #"{"a":"\\"}"#))
        #expect(exceeds(1, #"{"a":"\\",[]}"#))
        #expect(!exceeds(3, "[][][][][][][][][]"))
        #expect(exceeds(64, String(repeating: "[", count: 65)))
        #expect(!exceeds(64, String(repeating: "[", count: 64)))
    }
}

/// A deterministic pseudo-random sequence (tests must not depend on the run).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var all: [String] { lock.withLock { messages } }
}

enum System {
    /// Polls `condition` until it holds or `timeout` passes: tests wait for states, never for fixed times.
    static func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestFailure("timed out after \(timeout) waiting for \(what)")
    }
}
