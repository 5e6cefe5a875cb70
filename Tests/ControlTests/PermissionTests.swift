import ControlProtocol
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The socket's mode and group decide who may talk to sluiced. Needs root: it creates a group and runs
/// sluicectl as `nobody` with and without that group.
@Suite("Control socket permissions", .enabled(if: getuid() == 0, "needs root"))
struct PermissionTests {
    static let group = "sluicectl-test"
    static let nobody: UInt32 = 65534

    /// The test group's gid, creating it (a system group without members) if absent.
    static func testGroup() throws -> UInt32 {
        if let entry = getgrnam(group) { return entry.pointee.gr_gid }
        let result = try runCommand(["/usr/sbin/groupadd", "--system", group])
        guard let entry = getgrnam(group) else {
            throw TestFailure("groupadd \(group) failed (\(result.status)): \(result.stderr)")
        }
        return entry.pointee.gr_gid
    }

    @Test("the socket has the configured mode and group; only root and group members can connect")
    func groupDecides() throws {
        let gid = try Self.testGroup()
        let server = try TestServer(features: [.status], mode: 0o660, group: Self.group)
        defer { server.stop() }

        var info = stat()
        #expect(stat(server.path, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o7777 == 0o660)
        #expect(info.st_gid == gid)
        #expect(info.st_uid == getuid())

        // nobody, without the group: the kernel refuses the connect (EACCES); sluicectl says what to do.
        let outsider = try runCommand([
            "/usr/bin/setpriv", "--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups",
            Binaries.sluicectl, "version", "--socket", server.path,
        ])
        #expect(outsider.status == 3, "\(outsider.stderr)")
        #expect(outsider.stderr.contains("Permission denied"))
        #expect(outsider.stderr.contains("control.socket-group"))

        // nobody with the group as a supplementary group: served, and logged as uid 65534.
        let member = try runCommand([
            "/usr/bin/setpriv", "--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--groups=\(gid)",
            Binaries.sluicectl, "version", "--json", "--socket", server.path,
        ])
        #expect(member.status == 0, "\(member.stderr)")
        #expect(try JSONDecoder().decode(VersionInfo.self, from: Data(member.stdout.utf8)) == FakeHandler.versionInfo)
        let peers = server.log.all.filter { $0.message == "request" }.compactMap { $0.metadata["peer"] }
        #expect(peers.count == 1)
        #expect(peers.first?.contains("uid=\(Self.nobody) gid=\(Self.nobody)") == true)
        #expect(server.handler.calls.count == 1, "the refused user never reached the handler")
    }

    @Test("mode 0600: not even group members can connect")
    func ownerOnly() throws {
        let gid = try Self.testGroup()
        let server = try TestServer(features: [.status], mode: 0o600, group: Self.group)
        defer { server.stop() }
        let member = try runCommand([
            "/usr/bin/setpriv", "--reuid=\(Self.nobody)", "--regid=\(gid)", "--clear-groups",
            Binaries.sluicectl, "version", "--socket", server.path,
        ])
        #expect(member.status == 3)
        #expect(member.stderr.contains("Permission denied"))
        #expect(try server.client().call(StatusMethods.version).pid == 4242, "root still can")
    }

    @Test("an unknown socket group is a setup error")
    func unknownGroup() throws {
        #expect(throws: (any Error).self) { try TestServer(group: "no-such-group-\(getpid())") }
    }
}
