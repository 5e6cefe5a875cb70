import Testing

@testable import Config

/// What net_vhost cannot do, and socket paths compared by what they name.
@Suite struct VhostUserLimitTests {
    static func vhost(_ name: String, _ path: String, _ extra: [String] = []) -> [String] {
        ["name: \(name)", "type: vhost-user", "path: \"\(path)\""] + extra
    }

    @Test func mtuCannotBeChanged() {
        expectSingleProblem(
            Doc { $0.ports[1] = Self.vhost("vm1", "/run/x/a.sock", ["mtu: 2000"]) }.yaml, at: "ports[1].mtu",
            mentioning: ["2000 cannot be set on a vhost-user port", "net_vhost", "which is 1500", "remove mtu"])
        #expect(parsed(Doc { $0.ports[1] = Self.vhost("vm1", "/run/x/a.sock", ["mtu: 1500"]) }.yaml) != nil)
    }

    @Test(arguments: ["/run/x/../x/a.sock", "//run/x/a.sock", "/run/x/./a.sock", "/run//x/a.sock/."])
    func twoSpellingsOfOneSocketAreOnePath(spelling: String) {
        let doc = Doc { $0.ports = [Self.vhost("vm0", "/run/x/a.sock"), Self.vhost("vm1", spelling)] }
        expectSingleProblem(
            doc.yaml, at: "ports[1].path",
            mentioning: [
                "\"\(spelling)\" (the same file as \"/run/x/a.sock\") is already the socket of ports[0]"
            ])
    }

    @Test func aSpellingOfTheControlSocket() {
        let doc = Doc {
            $0.control = ["socket: /run/sluice/sluice.sock"]
            $0.ports[1] = Self.vhost("vm1", "/run/sluice/vhost/../sluice.sock")
        }
        expectSingleProblem(
            doc.yaml, at: "ports[1].path",
            mentioning: ["(the same file as \"/run/sluice/sluice.sock\") is control.socket"])
    }

    @Test func normalisation() {
        #expect(NormalisedPath.of("/run/x/../x/a.sock") == "/run/x/a.sock")
        #expect(NormalisedPath.of("//run///x/./a.sock") == "/run/x/a.sock")
        #expect(NormalisedPath.of("/../a") == "/a")
        #expect(NormalisedPath.of("a/../../b") == "../b")
        #expect(NormalisedPath.of("./") == ".")
        #expect(NormalisedPath.of("/run/x/a.sock/.") == "/run/x/a.sock")
        // Paths that are already normal come back as they are; near misses do not.
        for path in ["/run/x/a.sock", "/a", "/.a/..b/...", "/run/x.y/a"] {
            #expect(NormalisedPath.of(path) == path)
        }
        #expect(NormalisedPath.of("/") == "/")
        #expect(NormalisedPath.of("/run/x/") == "/run/x")
        #expect(NormalisedPath.of("/run/./x") == "/run/x")
        #expect(NormalisedPath.of("/run/../x") == "/x")
        #expect(NormalisedPath.of("/run/..") == "/")
        #expect(NormalisedPath.of("/run//x") == "/run/x")
        #expect(NormalisedPath.of("run/x") == "run/x")
    }
}
