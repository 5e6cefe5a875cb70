import ControlProtocol
import Foundation
import Testing

/// The sluicectl binary against the fake server: what it sends, what it prints, how it exits.
@Suite("sluicectl")
struct SluicectlTests {
    /// Runs sluicectl with `--socket` of `server`.
    static func ctl(_ server: TestServer, _ arguments: [String], input: String? = nil) throws -> CommandResult {
        try runCommand([Binaries.sluicectl] + arguments + ["--socket", server.path], input: input)
    }

    static func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    /// The params the handler received for its last call of `method`, as JSON.
    static func lastParams<P, R>(_ server: TestServer, _ method: RPCMethod<P, R>) throws -> JSONValue {
        guard let call = server.handler.calls.last(where: { $0.method == method.name }) else {
            throw TestFailure("\(method.name) was not called")
        }
        return try JSONDecoder().decode(JSONValue.self, from: Data(call.params.utf8))
    }

    static func json(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test("status tables: version, health, ports, port show, vlans, macs, pmds, stages")
    func tables() throws {
        let server = try TestServer()
        defer { server.stop() }

        let version = try Self.ctl(server, ["version"])
        #expect(version.status == 0)
        #expect(
            Self.lines(version.stdout) == [
                "sluiced     dpdk              pid  uptime", "9.9.9-test  DPDK 22.11-test  4242  1h2m",
            ])

        let health = try Self.ctl(server, ["health"])
        #expect(health.status == 0)
        #expect(Self.lines(health.stdout)[1].hasPrefix("ok"))

        let ports = Self.lines(try Self.ctl(server, ["ports"]).stdout)
        #expect(ports.count == 3 && ports[0].hasPrefix("port") && ports[2].hasPrefix("p1"))
        #expect(Self.lines(try Self.ctl(server, ["port", "list"]).stdout).count == 3)
        #expect(Self.lines(try Self.ctl(server, ["port"]).stdout).count == 3, "list is port's default")

        let show = try Self.ctl(server, ["port", "show", "p0"])
        #expect(show.status == 0)
        #expect(
            show.stdout.range(of: #"\ndevargs +net_null0,no-rx=1\n"#, options: .regularExpression) != nil,
            "\(show.stdout)")
        #expect(show.stdout.range(of: #"\nconfig\.mtu +1500\n"#, options: .regularExpression) != nil, "\(show.stdout)")
        #expect(
            show.stdout.range(of: #"\nmacs +2 learned of 4096"#, options: .regularExpression) != nil, "\(show.stdout)")
        let showJSON = try Self.json(try Self.ctl(server, ["port", "show", "p0", "--json"]).stdout)
        #expect(showJSON["status"]?["name"] == .string("p0"))
        #expect(showJSON["config"]?["devargs"] == .string("net_null0"))
        let missing = try Self.ctl(server, ["port", "show", "ghost"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no port named 'ghost'; ports are: p0, p1"))

        let vlans = Self.lines(try Self.ctl(server, ["vlans"]).stdout)
        #expect(
            vlans == ["vlan  untagged  tagged  macs", " 100  p0 p1     uplink     2", " 200  -         uplink     1"])

        #expect(Self.lines(try Self.ctl(server, ["macs"]).stdout).count == 4)
        let onPort = Self.lines(try Self.ctl(server, ["macs", "--port", "p0"]).stdout)
        #expect(onPort.count == 3 && onPort.dropFirst().allSatisfy { $0.contains(" p0 ") })
        let inVLAN = Self.lines(try Self.ctl(server, ["macs", "--vlan", "200", "--port", "p0"]).stdout)
        #expect(inVLAN.count == 2 && inVLAN[1].contains("02:00:00:00:00:03"))
        let macsJSON = try JSONDecoder().decode(
            [MACEntry].self, from: Data(try Self.ctl(server, ["macs", "--vlan", "100", "--json"]).stdout.utf8))
        #expect(macsJSON.map(\.mac) == ["02:00:00:00:00:01", "02:00:00:00:00:02"])

        let pmds = try Self.ctl(server, ["pmds"]).stdout
        #expect(pmds.contains("p0/0 p1/0"))
        // The punt path: punted, injected, lost (ring full 2 + unhandled 1).
        let pmdLines = pmds.split(separator: "\n")
        #expect(pmdLines.first?.hasSuffix("punted  injected  punt-lost") == true, "\(pmds)")
        #expect(pmdLines.dropFirst().first?.split(separator: " ").suffix(3) == ["7", "3", "3"], "\(pmds)")

        let stages = Self.lines(try Self.ctl(server, ["stages"]).stdout)
        #expect(
            stages[0].split(separator: " ", omittingEmptySubsequences: true)
                == [
                    "stage", "calls", "vectors/call", "pkts-in", "pkts-out", "cycles/pkt", "drops", "drops-by-reason",
                    "events",
                ])
        #expect(
            stages[1].split(separator: " ", omittingEmptySubsequences: true)
                == ["parse", "100", "10.0", "1000", "990", "30.0", "10", "truncated=10", "-"])
        #expect(stages[2].hasSuffix("flooded=7 learned=2"))
    }

    @Test("health exits 1 when degraded and lists the problems")
    func degraded() throws {
        let server = try TestServer(handler: FakeHandler(healthStatus: "degraded"))
        defer { server.stop() }
        let health = try Self.ctl(server, ["health"])
        #expect(health.status == 1)
        #expect(health.stdout.contains("problem: pmd lcore 1 is not running"))
        let json = try Self.ctl(server, ["health", "--json"])
        #expect(json.status == 1)
        #expect(try JSONDecoder().decode(HealthStatus.self, from: Data(json.stdout.utf8)).status == "degraded")
    }

    @Test("a failed port: ports shows it failed with its error, port show has the error, port retry sends the name")
    func failedPort() throws {
        let error = "port 'p1' (net_pcap_p1,rx_pcap=/gone/in.pcap): cannot attach the device: No such file"
        let server = try TestServer(handler: FakeHandler(failedPortError: error))
        defer { server.stop() }
        let ports = Self.lines(try Self.ctl(server, ["ports"]).stdout)
        try #require(ports.count == 4, "\(ports)")
        #expect(ports[1].split(separator: " ")[3] == "up")
        #expect(ports[2].split(separator: " ").prefix(4) == ["p1", "-", "down", "failed"], "\(ports[2])")
        #expect(ports[3] == "port p1 is not running: \(error) (sluicectl port retry p1, or port del)")

        let show = try Self.ctl(server, ["port", "show", "p1"]).stdout
        #expect(Self.lines(show).contains { $0.hasPrefix("error ") && $0.hasSuffix(" \(error)") }, "\(show)")
        #expect(show.range(of: #"\nlink +failed\n"#, options: .regularExpression) != nil, "\(show)")

        let retry = try Self.ctl(server, ["port", "retry", "p0"])
        #expect(retry.status == 0)
        #expect(retry.stdout == "port p0: up (driver net_null)\n")
        #expect(try Self.lastParams(server, PortMethods.retry) == .object(["name": .string("p0")]))
        let unknown = try Self.ctl(server, ["port", "retry", "ghost"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no port named 'ghost'"))
    }

    @Test("flush-macs sends its filter; a daemon error exits 1 with the daemon's message")
    func flushMACs() throws {
        let server = try TestServer()
        defer { server.stop() }
        let all = try Self.ctl(server, ["flush-macs"])
        #expect(all.status == 0 && all.stdout == "flushed 3 entries\n")
        #expect(try Self.lastParams(server, BridgeMethods.macFlush) == .object([:]))
        #expect(try Self.ctl(server, ["flush-macs", "--vlan", "100"]).stdout == "flushed 1 entries\n")
        #expect(try Self.lastParams(server, BridgeMethods.macFlush) == .object(["vlan": .number(100)]))
        let unknown = try Self.ctl(server, ["flush-macs", "--port", "nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "sluicectl: sluiced: no port named 'nope'\n")
        let unknownJSON = try Self.ctl(server, ["flush-macs", "--port", "nope", "--json"])
        #expect(try Self.json(unknownJSON.stdout)["code"] == .number(-32602), "--json also prints the error object")
        #expect(try Self.ctl(server, ["flush-macs", "--port", "p0", "--vlan", "1"]).status == 64)
        // The VLAN's range is sluiced's to check: its message reaches the user.
        let badVLAN = try Self.ctl(server, ["flush-macs", "--vlan", "4095"])
        #expect(badVLAN.status == 1)
        #expect(badVLAN.stderr == "sluicectl: sluiced: vlan 4095 is not a VLAN id (1...4094)\n")
        #expect(try Self.lastParams(server, BridgeMethods.macFlush) == .object(["vlan": .number(4095)]))
    }

    @Test("get-config prints the YAML; --json the whole result")
    func getConfig() throws {
        let server = try TestServer()
        defer { server.stop() }
        #expect(try Self.ctl(server, ["get-config"]).stdout == FakeHandler.document.yaml)
        let json = try Self.ctl(server, ["get-config", "--json"])
        #expect(
            try JSONDecoder().decode(ConfigDocumentResult.self, from: Data(json.stdout.utf8)) == FakeHandler.document)
    }

    @Test("apply -f sends the file, prints the plan; --dry-run and -f - (stdin) work")
    func apply() throws {
        let server = try TestServer()
        defer { server.stop() }
        let directory = try scratchDirectory("apply")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("desired.yaml").path
        let document = "ports:\n  - name: vm3\n    devargs: net_tap3,iface=vm3\n"
        try document.write(toFile: file, atomically: true, encoding: .utf8)

        let applied = try Self.ctl(server, ["apply", "-f", file])
        #expect(applied.status == 0, "\(applied.stderr)")
        let lines = Self.lines(applied.stdout)
        #expect(
            lines[0].split(separator: " ", omittingEmptySubsequences: true) == [
                "action", "target", "fields", "hitless", "summary",
            ])
        #expect(
            lines[1].hasPrefix("add-port") && lines[1].contains("vm3")
                && lines[1].hasSuffix("add vm3 (net_tap3,iface=vm3)"))
        #expect(lines[2].contains("vlan.id,max-macs"))
        #expect(lines[3].hasPrefix("replace-port") && lines[3].contains(" no "))
        #expect(lines[4] == "applied 3 changes: now revision 4, persisted")
        #expect(lines[5] == "traffic interrupted on: p1")
        #expect(try Self.lastParams(server, ConfigMethods.apply) == .object(["document": .string(document)]))

        let dry = try Self.ctl(server, ["apply", "--dry-run", "-f", "-"], input: document)
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("dry run: 3 changes planned, nothing applied (running revision 3)"))
        #expect(
            try Self.lastParams(server, ConfigMethods.apply)
                == .object(["document": .string(document), "dryRun": .bool(true)]))

        let same = try Self.ctl(server, ["apply", "-f", "-"], input: "SAME")
        #expect(same.stdout == "no changes: the running state (revision 4) already matches\n")

        let json = try Self.ctl(server, ["apply", "-f", file, "--dry-run", "--json"])
        #expect(try JSONDecoder().decode(ConfigApplyResult.self, from: Data(json.stdout.utf8)).changes.count == 3)

        let unreadable = try Self.ctl(server, ["apply", "-f", directory.appendingPathComponent("absent.yaml").path])
        #expect(unreadable.status == 64)
        #expect(unreadable.stderr.contains("no such file"))
        #expect(try Self.ctl(server, ["apply"]).status == 64, "-f is required")

        // Over the request limit: refused before sending, saying what to do.
        let huge = directory.appendingPathComponent("huge.yaml").path
        try String(repeating: "# comment\n", count: maxRequestBytes / 10 + 1).write(
            toFile: huge, atomically: true, encoding: .utf8)
        let tooLarge = try Self.ctl(server, ["apply", "-f", huge])
        #expect(tooLarge.status == 64)
        #expect(tooLarge.stderr.contains("too large"))
        #expect(server.handler.calls.filter { $0.method == "config.apply" }.count == 4, "nothing was sent")
    }

    @Test(
        "a rejected change exits 2 and prints every problem on its own line",
        arguments: [
            (
                "INVALID",
                [
                    "sluicectl: sluiced: the document has 2 problems",
                    "sluicectl:   ports[1].mtu: 70000 is out of range 68...9600",
                    "sluicectl:   patches[0][1]: \"tap9\" is not the name of a port",
                ]
            ),
            (
                "RESTART",
                [
                    "sluicectl: sluiced: the change needs a restart of sluiced",
                    "sluicectl:   only a restart of sluiced can change: eal.pmd-cpu-mask, mempool.mbufs",
                ]
            ),
            ("FAIL", ["sluicectl: sluiced: port vm3: cannot attach net_tap9: No such device; nothing was applied"]),
        ])
    func rejected(document: String, stderr: [String]) throws {
        let server = try TestServer()
        defer { server.stop() }
        let result = try Self.ctl(server, ["apply", "-f", "-"], input: document)
        #expect(result.status == 2)
        #expect(Self.lines(result.stderr) == stderr)
        #expect(result.stdout.isEmpty)
        let json = try Self.ctl(server, ["apply", "-f", "-", "--json"], input: document)
        #expect(json.status == 2)
        #expect(try Self.json(json.stdout)["code"] != nil)
    }

    @Test("port add builds the config entry from its options")
    func portAdd() throws {
        let server = try TestServer()
        defer { server.stop() }
        let result = try Self.ctl(
            server,
            [
                "port", "add", "vm3", "--devargs", "net_tap3,iface=vm3", "--vlan-trunk", "100, 200-210,300",
                "--vlan-native", "1",
                "--admin", "down", "--max-macs", "16", "--port-security-mac", "52:54:00:12:34:56",
                "--port-security-ip", "10.0.100.5", "--port-security-ip", "fd00::5",
                "--static-mac", "02:00:00:00:02:01@200", "--static-mac", "02:00:00:00:02:02", "--dry-run",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("dry run: 1 change planned"))
        #expect(
            try Self.lastParams(server, PortMethods.add)
                == Self.json(
                    """
                    {"dryRun": true, "port": {"name": "vm3", "devargs": "net_tap3,iface=vm3", "admin": "down", "max-macs": 16,
                     "vlan": {"mode": "trunk", "allowed": [100, "200-210", 300], "native": 1},
                     "port-security": {"mac": "52:54:00:12:34:56", "ips": ["10.0.100.5", "fd00::5"]},
                     "static-macs": [{"mac": "02:00:00:00:02:01", "vlan": 200}, {"mac": "02:00:00:00:02:02"}]}}
                    """))

        #expect(
            try Self.ctl(server, ["port", "add", "vm4", "--devargs", "net_tap4", "--vlan-access", "100"]).status == 0)
        #expect(
            try Self.lastParams(server, PortMethods.add)
                == Self.json(
                    """
                    {"port": {"name": "vm4", "devargs": "net_tap4", "vlan": {"mode": "access", "id": 100}}}
                    """))

        let duplicate = try Self.ctl(server, ["port", "add", "p0", "--devargs", "net_tap9"])
        #expect(duplicate.status == 2)
        #expect(duplicate.stderr.contains("ports[2].name: \"p0\" is already the name of ports[0]"))
    }

    @Test(
        "port add/set reject what can be checked locally with exit 64, saying what to fix",
        arguments: [
            (["port", "add", "x", "--devargs", "d", "--vlan-access", "5", "--vlan-trunk", "6"], "not both"),
            (["port", "add", "x", "--devargs", "d", "--vlan-native", "5"], "add --vlan-trunk"),
            (["port", "add", "x", "--devargs", "d", "--vlan-trunk", "10,,20"], "neither a VLAN id nor a range"),
            (["port", "add", "x", "--devargs", "d", "--vlan-trunk", "abc"], "neither a VLAN id nor a range"),
            (["port", "add", "x", "--devargs", "d", "--port-security-ip", "10.0.0.1"], "add --port-security-mac"),
            (["port", "add", "x", "--devargs", "d", "--static-mac", "02:00:00:00:00:01@x"], "is not a VLAN id"),
            (["port", "add", "x"], "--devargs"),
            (["port", "add", "x", "--devargs", "d", "--vlan-default"], "--vlan-default only applies to port set"),
            (["port", "add", "x", "--devargs", "d", "--max-macs-default"], "--max-macs-default only applies"),
            (["port", "add", "x", "--devargs", "d", "--no-port-security"], "--no-port-security only applies"),
            (["port", "add", "x", "--devargs", "d", "--no-static-macs"], "--no-static-macs only applies to port set"),
            (["port", "add", "x", "--devargs", "d", "--mac", "52:54:00:12:34:56"], "Unknown option '--mac'"),
            (
                ["port", "add", "x", "--devargs", "d", "--vlan-trunk", "5", "--native", "5"],
                "Unknown option '--native'"
            ),
            (["port", "set", "p0"], "nothing to change"),
            (["port", "set", "p0", "--vlan-default", "--vlan-access", "3"], "--vlan-default"),
            (["port", "set", "p0", "--max-macs", "3", "--max-macs-default"], "not both"),
            (["port", "set", "p0", "--port-security-ip", "10.0.0.1"], "--port-security-mac"),
            (["port", "set", "p0", "--no-port-security", "--port-security-mac", "52:54:00:12:34:56"], "not both"),
            (["port", "set", "p0", "--admin", "up", "--ip", "10.0.0.1"], "Unknown option '--ip'"),
            (["port", "set", "p0", "--static-mac", "02:00:00:00:00:01", "--no-static-macs"], "not both"),
            (["port", "set", "p0", "--admin", "sideways"], "'up' and 'down'"),
            (["stats", "--interval", "0"], "--interval"),
            (["version", "--timeout", "0"], "--timeout"),
        ])
    func localValidation(arguments: [String], message: String) throws {
        let result = try runCommand([Binaries.sluicectl] + arguments + ["--socket", "/nonexistent/sluice.sock"])
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("port set sends only the keys given; the -default/no- flags send null")
    func portSet() throws {
        let server = try TestServer()
        defer { server.stop() }
        let result = try Self.ctl(
            server,
            [
                "port", "set", "p0", "--admin", "up", "--vlan-default", "--max-macs-default", "--port-security-mac",
                "52:54:00:00:00:01", "--port-security-ip", "10.0.0.1", "--no-static-macs",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            try Self.lastParams(server, PortMethods.set)
                == Self.json(
                    """
                    {"name": "p0", "settings": {"admin": "up", "vlan": null, "max-macs": null,
                     "port-security": {"mac": "52:54:00:00:00:01", "ips": ["10.0.0.1"]}, "static-macs": null}}
                    """))
        #expect(result.stdout.contains("admin,max-macs,port-security,static-macs,vlan"))

        #expect(
            try Self.ctl(
                server,
                ["port", "set", "p1", "--no-port-security", "--max-macs", "8", "--vlan-access", "7", "--dry-run"]
            ).status == 0)
        #expect(
            try Self.lastParams(server, PortMethods.set)
                == Self.json(
                    """
                    {"name": "p1", "dryRun": true, "settings": {"port-security": null, "max-macs": 8, "vlan": {"mode": "access", "id": 7}}}
                    """))
    }

    @Test(
        "ranges are sluiced's to check: its problem, naming the key, reaches the user (exit 2)",
        arguments: [
            (["port", "set", "p0", "--vlan-access"], "0", "10", "ports[0].vlan.id: 0 is reserved"),
            (
                ["port", "set", "p1", "--vlan-trunk"], "100,300-200", "100,200-300",
                "ports[1].vlan.allowed[1]: \"300-200\" runs backwards"
            ),
            (
                ["port", "set", "p0", "--static-mac"], "02:00:00:00:00:01@4095", "02:00:00:00:00:01@1",
                "ports[0].static-macs[0].vlan: 4095 is reserved"
            ),
            (
                ["port", "add", "vm3", "--devargs", "net_null3", "--max-macs"], "0", "16",
                "ports[2].max-macs: 0 is out of range 1...1048576"
            ),
        ])
    func daemonChecksRanges(command: [String], bad: String, good: String, problem: String) throws {
        let server = try TestServer(handler: FakeHandler(validatesPorts: true))
        defer { server.stop() }
        let refused = try Self.ctl(server, command + [bad])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(Self.lines(refused.stderr).contains { $0.hasPrefix("sluicectl:   \(problem)") }, "\(refused.stderr)")
        #expect(server.handler.calls.count == 1, "sent to sluiced, not refused by sluicectl")
        // The same rules accept a good value: the refusal was about the value.
        let accepted = try Self.ctl(server, command + [good])
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    @Test("port del sends the name; an unknown port exits 1")
    func portDelete() throws {
        let server = try TestServer()
        defer { server.stop() }
        let result = try Self.ctl(server, ["port", "del", "p1"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("remove-port") && result.stdout.contains("traffic interrupted on: p1"))
        #expect(try Self.lastParams(server, PortMethods.delete) == .object(["name": .string("p1")]))
        #expect(try Self.ctl(server, ["port", "del", "p1", "--dry-run"]).stdout.contains("dry run"))
        #expect(
            try Self.lastParams(server, PortMethods.delete) == .object(["name": .string("p1"), "dryRun": .bool(true)]))
        let unknown = try Self.ctl(server, ["port", "del", "ghost"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no port named 'ghost'"))
    }

    @Test("stats prints rates between samples; --json one object per sample per line")
    func stats() throws {
        let server = try TestServer()
        defer { server.stop() }
        let json = try Self.ctl(server, ["stats", "--watch", "--interval", "0.1", "--count", "3", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let samples = try Self.lines(json.stdout).map { try Self.json($0) }
        #expect(samples.count == 3)
        for (index, sample) in samples.enumerated() {
            #expect(sample["sample"] == .number(Double(index + 1)))
            // The fake's counters grow by a fixed step per call: deltas are exact.
            guard case .array(let ports)? = sample["ports"], case .array(let stages)? = sample["stages"] else {
                throw TestFailure("sample without ports or stages: \(sample)")
            }
            #expect(ports.count == 2)
            #expect(
                ports[0]["rxPackets"] == .number(1000) && ports[0]["txDropped"] == .number(10)
                    && ports[0]["rxMissed"] == .number(3))
            if case .number(let pps)? = ports[0]["rxPps"] { #expect(pps > 0) }
            #expect(stages[0]["name"] == .string("parse"))
            #expect(stages[0]["dropsByReason"] == .object(["truncated": .number(10)]))
            #expect(stages[0]["cyclesPerPacket"] == .number(30))
        }
        let table = try Self.ctl(server, ["stats", "--interval", "0.1"])
        #expect(table.status == 0)
        #expect(table.stdout.hasPrefix("-- sample 1 at "))
        #expect(table.stdout.contains("rx-pps") && table.stdout.contains("drops-by-reason"))
        #expect(table.stdout.components(separatedBy: "-- sample").count == 2, "without --watch: one sample")
    }

    @Test("cannot reach sluiced: exit 3 with a hint")
    func unreachable() throws {
        let result = try runCommand([Binaries.sluicectl, "health", "--socket", "/nonexistent/sluice.sock"])
        #expect(result.status == 3)
        #expect(
            result.stderr.contains("cannot connect to /nonexistent/sluice.sock")
                && result.stderr.contains("is sluiced running?"))
        #expect(try runCommand([Binaries.sluicectl, "frobnicate"]).status == 64)
    }

    @Test("shell completion scripts are generated for bash, zsh and fish", arguments: ["bash", "zsh", "fish"])
    func completion(shell: String) throws {
        let result = try runCommand([Binaries.sluicectl, "--generate-completion-script", shell])
        #expect(result.status == 0)
        for word in ["flush-macs", "get-config", "vlan-trunk", "dry-run"] {
            #expect(result.stdout.contains(word), "\(word)")
        }
    }

    @Test("port names complete from the running daemon")
    func portNameCompletion() throws {
        let server = try TestServer()
        defer { server.stop() }
        // What the generated bash script runs: sluicectl ---completion <subcommands> -- <argument> <index of the
        // word being completed> <cursor offset in it> <the words>.
        let result = try runCommand([
            Binaries.sluicectl, "---completion", "port", "show", "--", "positional@0", "5", "1",
            "sluicectl", "port", "show", "--socket", server.path, "p",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.lines(result.stdout) == ["p0", "p1"])
    }
}
