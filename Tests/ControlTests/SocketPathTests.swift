import ControlProtocol
import Foundation
import Glibc
import Testing

@testable import Control

/// What the server does with whatever already sits at its socket path, and with answers bigger than the
/// output cap.
@Suite("Control socket path and output cap")
struct SocketPathTests {
    @Test("a regular file at the socket path is an error and is left alone")
    func regularFileIsKept() throws {
        let directory = try scratchDirectory("path")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sluice.sock").path
        try "precious".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) {
            _ = try ControlServer(
                path: path, mode: 0o660, group: nil, methods: ControlMethodRegistry(), logger: LogRecorder().logger)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
    }

    @Test("a socket nobody listens on is stale and replaced; a live one is refused")
    func staleAndLiveSockets() throws {
        let directory = try scratchDirectory("path")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sluice.sock").path
        // A socket file whose process died: bound, never listening.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        close(fd)
        let server = try ControlServer(
            path: path, mode: 0o660, group: nil, methods: ControlMethodRegistry(), logger: LogRecorder().logger)
        defer { server.close() }
        // Now it is live: a second server must not take it over.
        #expect(throws: (any Error).self) {
            _ = try ControlServer(
                path: path, mode: 0o660, group: nil, methods: ControlMethodRegistry(), logger: LogRecorder().logger)
        }
        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK, "the live socket is still there")
    }

    @Test("one answer larger than the output cap is delivered whole; the cap is for answers left unread")
    func largeAnswerIsNotCutOff() throws {
        // The canned MAC table's answer is a few hundred bytes: a 64-byte cap is far below it.
        let server = try TestServer(features: [.bridge], limits: .init(maxPendingOutput: 64))
        defer { server.stop() }
        let client = try server.client()
        for _ in 0..<3 {
            let macs = try client.call(BridgeMethods.macList)
            #expect(macs == FakeHandler.macTable)
        }
    }
}
