import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// Real DHCP clients in network namespaces (prefix `dh`) on net_tap access ports of sluiced: busybox
    /// udhcpc and Debian's dhclient get their configured or allocated address, the router, the MTU (option
    /// 26) and classless routes (option 121); renew (unicast to the server, so ARP for it is answered) and
    /// release; a second VLAN with the same subnet and the same address stays apart; a burst of 1,000
    /// DISCOVERs from one port leaves forwarding between two others alone; an `auto` address survives a
    /// restart. Clients run with timeouts and private scripts, pid and lease files in the daemon's directory;
    /// namespaces and client processes are removed even on failure.
    @Suite("DHCP clients in namespaces", .serialized)
    struct DHCPClients {
        static let tag = "\(getpid() % 10_000)"
        static func name(_ suffix: String) -> String { "dh\(tag)\(suffix)" }

        /// An `auto` port without a device worth the name, added before host-b by the restart check.
        static let spare =
            "  - name: spare\n    devargs: \"net_null_dhs,no-rx=1\"\n    vlan: {mode: access, id: 100}\n"
            + "    dhcp: {address: auto}\n"

        static func config(taps: [String: String], spare: Bool = false) -> String {
            """
            \(testEAL())
            dhcp:
              - vlan: 100
                subnet: 10.0.100.0/24
                server: 10.0.100.2
                server-mac: "02:00:00:00:01:00"
                router: 10.0.100.1
                lease-seconds: 600
                mtu: 1400
                routes: [{destination: 169.254.169.254/32, via: 10.0.100.1}]
                pool: 10.0.100.100-10.0.100.109
              - vlan: 200
                subnet: 10.0.100.0/24
                server: 10.0.100.3
                server-mac: "02:00:00:00:02:00"
                router: 10.0.100.1
            ports:
              - name: host-a
                devargs: "net_tap_dha,iface=\(taps["a"]!)"
                vlan: {mode: access, id: 100}
                dhcp: {address: 10.0.100.5}
            \(spare ? Self.spare : "")  - name: host-b
                devargs: "net_tap_dhb,iface=\(taps["b"]!)"
                vlan: {mode: access, id: 100}
                dhcp: {address: auto}
              - name: host-c
                devargs: "net_tap_dhc,iface=\(taps["c"]!)"
                vlan: {mode: access, id: 200}
                dhcp: {address: 10.0.100.5}
              - name: host-d
                devargs: "net_tap_dhd,iface=\(taps["d"]!)"
                vlan: {mode: access, id: 100}
            """
        }

        /// udhcpc's event script: the address, MTU and static routes (or the router) applied with `ip`.
        static let udhcpcScript = """
            #!/bin/sh
            echo "$1 ${ip:-} ${mtu:-} ${staticroutes:-}" >> "$(dirname "$0")/udhcpc-$interface.events"
            case "$1" in
              deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
              bound|renew)
                ip addr replace "$ip/$mask" dev "$interface"
                [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
                if [ -n "$staticroutes" ]; then
                  set -- $staticroutes
                  while [ $# -ge 2 ]; do ip route replace "$1" via "$2" dev "$interface"; shift 2; done
                elif [ -n "$router" ]; then
                  ip route replace default via "$router" dev "$interface"
                fi ;;
            esac
            exit 0
            """

        /// dhclient's script (never the host's /sbin/dhclient-script): the same with dhclient's variables.
        static let dhclientScript = """
            #!/bin/sh
            echo "$reason ${new_ip_address:-} ${new_interface_mtu:-}" >> "$(dirname "$0")/dhclient.events"
            case "$reason" in
              PREINIT) ip link set "$interface" up ;;
              BOUND|RENEW|REBIND|REBOOT)
                ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
                [ -n "$new_interface_mtu" ] && ip link set "$interface" mtu "$new_interface_mtu"
                set -- $new_rfc3442_classless_static_routes
                while [ $# -gt 0 ]; do
                  len=$1; shift; n=$(( (len + 7) / 8 )); dst=""; i=0
                  while [ $i -lt 4 ]; do
                    if [ $i -lt $n ]; then o=$1; shift; else o=0; fi
                    dst="$dst${dst:+.}$o"; i=$((i + 1))
                  done
                  gw="$1.$2.$3.$4"; shift 4
                  ip route replace "$dst/$len" via "$gw" dev "$interface"
                done ;;
              RELEASE|EXPIRE|STOP)
                # dhclient -r runs this right after sending its RELEASE, which the kernel holds until ARP for
                # the server resolves; removing the last address drops what waits for ARP, so wait for it first
                srv=${old_dhcp_server_identifier:-${new_dhcp_server_identifier:-}}; i=0
                while [ -n "$srv" ] && [ $i -lt 30 ] && ! ip neigh show "$srv" dev "$interface" | grep -q lladdr
                do sleep 0.1; i=$((i + 1)); done
                ip addr flush dev "$interface" ;;
            esac
            exit 0
            """

        static let dhclientConf = """
            option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
            send host-name "dh-guest-b";
            request subnet-mask, routers, interface-mtu, rfc3442-classless-static-routes;
            timeout 30;
            retry 1;
            """

        /// 1,000 DISCOVERs from a raw socket on `interface`, as fast as it sends.
        static let discoverBurst = """
            import socket, struct, sys
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((sys.argv[1], 0))
            mac = bytes.fromhex("020000dd0001")
            msg = bytes([1, 1, 6, 0]) + b"\\x12\\x34\\x56\\x78" + bytes(20) + mac + bytes(10 + 192)
            msg += b"\\x63\\x82\\x53\\x63" + bytes([53, 1, 1, 255])
            udp = struct.pack("!HHHH", 68, 67, 8 + len(msg), 0) + msg
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(4), b"\\xff" * 4)
            frame = b"\\xff" * 6 + mac + b"\\x08\\x00" + ip + udp
            for _ in range(1000):
                s.send(frame)
            """

        /// Starts `command` in `namespace`, its output to `log`; the caller terminates it.
        static func background(_ namespace: Namespace, _ command: [String], log: URL) throws -> Process {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            let process = Process()
            // The test runner's threads block signals the clients rely on (udhcpc's SIGUSR1 renew, SIGTERM):
            // a child inherits that mask, so it is cleared before the client starts.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments =
                [
                    "-c",
                    "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
                        + "os.execvp(sys.argv[1], sys.argv[1:])",
                    "ip", "netns", "exec", namespace.name,
                ] + command
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            return process
        }

        static func write(_ text: String, _ url: URL, executable: Bool = false) throws {
            try text.write(to: url, atomically: true, encoding: .utf8)
            if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
        }

        @Test func clientsGetTheirAddressesMTUAndRoutes() throws {
            let taps = Dictionary(uniqueKeysWithValues: ["a", "b", "c", "d"].map { ($0, Self.name("t\($0)")) })
            var namespaces: [String: Namespace] = [:]
            defer { for namespace in namespaces.values { namespace.delete() } }
            for host in ["a", "b", "c", "d"] { namespaces[host] = try Namespace.create(Self.name("n\(host)")) }
            let daemon = try SluicedProcess(config: Self.config(taps: taps), label: "dhcp-clients")
            defer { daemon.removeDirectory() }
            let directory = daemon.directory
            var udhcpcA: Process?
            var dhclientB: Process?
            let dhclientPID = directory.appendingPathComponent("dhclient.pid").path
            defer {
                // Client processes go even on failure.
                for client in [udhcpcA, dhclientB] {
                    guard let client, client.isRunning else { continue }
                    client.terminate()
                    client.waitUntilExit()
                }
            }
            try daemon.waitReady()
            for host in ["a", "b", "c"] {
                try namespaces[host]!.adoptSilent(
                    interface: taps[host]!, mac: "02:00:00:dd:00:0\(host == "a" ? 1 : host == "b" ? 2 : 3)")
            }
            try namespaces["d"]!.adopt(interface: taps["d"]!, address: "10.0.100.50/24")
            let udhcpcScript = directory.appendingPathComponent("udhcpc.sh")
            let dhclientScript = directory.appendingPathComponent("dhclient.sh")
            let dhclientConf = directory.appendingPathComponent("dhclient.conf")
            try Self.write(Self.udhcpcScript, udhcpcScript, executable: true)
            try Self.write(Self.dhclientScript, dhclientScript, executable: true)
            try Self.write(Self.dhclientConf, dhclientConf)

            // a: udhcpc in the foreground, kept running for the renew and the release.
            let a = namespaces["a"]!
            let process = try Self.background(
                a,
                [
                    "busybox", "udhcpc", "-f", "-i", taps["a"]!, "-s", udhcpcScript.path, "-t", "10", "-T", "2",
                    "-x", "hostname:dh-guest-a",
                ], log: directory.appendingPathComponent("udhcpc.log"))
            udhcpcA = process
            try System.waitUntil("udhcpc on a to configure 10.0.100.5", timeout: .seconds(60)) {
                try a.exec(["ip", "-4", "addr", "show", "dev", taps["a"]!]).contains("inet 10.0.100.5/24")
            }
            #expect(try a.exec(["ip", "link", "show", taps["a"]!]).contains("mtu 1400"))
            let routesA = try a.exec(["ip", "route"])
            #expect(routesA.contains("169.254.169.254 via 10.0.100.1"), "\(routesA)")
            #expect(routesA.contains("default via 10.0.100.1"), "\(routesA)")

            // b: dhclient in the foreground (a daemonised one would outlive the test's bookkeeping), with the
            // `auto` address.
            let b = namespaces["b"]!
            let leases = directory.appendingPathComponent("dhclient.leases").path
            let dhclient = try Self.background(
                b,
                [
                    "dhclient", "-d", "-v", "-cf", dhclientConf.path, "-sf", dhclientScript.path, "-pf", dhclientPID,
                    "-lf", leases, taps["b"]!,
                ], log: directory.appendingPathComponent("dhclient.log"))
            dhclientB = dhclient
            try System.waitUntil("dhclient on b to configure its address", timeout: .seconds(60)) {
                try b.exec(["ip", "-4", "addr", "show", "dev", taps["b"]!]).contains("inet 10.0.100.")
            }
            let addressB = try b.exec(["ip", "-4", "addr", "show", "dev", taps["b"]!])
            #expect(addressB.contains("inet 10.0.100.100/24"), "\(addressB)")
            #expect(try b.exec(["ip", "link", "show", taps["b"]!]).contains("mtu 1400"))
            let routesB = try b.exec(["ip", "route"])
            #expect(routesB.contains("169.254.169.254 via 10.0.100.1"), "\(routesB)")
            #expect(routesB.contains("default via 10.0.100.1"), "\(routesB)")

            // c: VLAN 200, the same subnet and the same address as a, from VLAN 200's server; no MTU there.
            let c = namespaces["c"]!
            let udhcpcC = try c.run(
                [
                    "busybox", "udhcpc", "-f", "-q", "-n", "-i", taps["c"]!, "-s", udhcpcScript.path,
                    "-t", "10", "-T", "2",
                ],
                timeout: .seconds(90))
            #expect(udhcpcC.status == 0, "\(udhcpcC.output)")
            #expect(try c.exec(["ip", "-4", "addr", "show", "dev", taps["c"]!]).contains("inet 10.0.100.5/24"))
            #expect(try c.exec(["ip", "link", "show", taps["c"]!]).contains("mtu 1500"))
            let eventsC = try String(
                contentsOf: directory.appendingPathComponent("udhcpc-\(taps["c"]!).events"), encoding: .utf8)
            #expect(eventsC.contains("bound 10.0.100.5"), "\(eventsC)")
            // Apart: VLAN 200 does not reach d (VLAN 100); b does.
            #expect(try c.run(["ping", "-c", "2", "-W", "1", "10.0.100.50"], timeout: .seconds(30)).status != 0)
            #expect(try b.run(["ping", "-c", "2", "-W", "2", "10.0.100.50"], timeout: .seconds(30)).status == 0)

            let client = try daemon.client()
            var status = try client.call(DHCPMethods.show)
            let ports = Dictionary(uniqueKeysWithValues: status.ports.map { ($0.port, $0) })
            #expect(ports["host-a"]?.state == "bound" && ports["host-a"]?.hostname == "dh-guest-a")
            #expect(ports["host-b"]?.state == "bound" && ports["host-b"]?.mode == "auto")
            #expect(ports["host-b"]?.address == "10.0.100.100" && ports["host-b"]?.hostname == "dh-guest-b")
            #expect(ports["host-c"]?.state == "bound" && ports["host-c"]?.address == "10.0.100.5")
            #expect(status.networks.first { $0.vlan == 100 }?.poolAllocated == 1)

            // Renew: udhcpc unicasts a REQUEST to the server (after ARP for it) and is acked again.
            let acksBefore = status.counters["ack"] ?? 0
            kill(process.processIdentifier, SIGUSR1)
            try System.waitUntil("a's renew to be acked", timeout: .seconds(30)) {
                let now = try client.call(DHCPMethods.show)
                return (now.counters["ack"] ?? 0) > acksBefore && (now.counters["arp-answered"] ?? 0) > 0
            }
            // Release: udhcpc's SIGUSR2 sends a RELEASE of a's lease.
            kill(process.processIdentifier, SIGUSR2)
            try System.waitUntil("a's release to be recorded", timeout: .seconds(30)) {
                try client.call(DHCPMethods.show).ports.first { $0.port == "host-a" }?.state == "released"
            }
            // Release with dhclient: the running one stops (SIGTERM: it sends nothing), then `dhclient -r` sends
            // the RELEASE of the lease in its lease file. It sends it unicast to the server through the kernel's
            // UDP socket (after ARP for the server), from the leased address: with that address gone from the
            // interface the send fails ("Network is unreachable") and dhclient still exits 0, so the address is
            // checked first; the script's RELEASE waits for the server's ARP entry before it removes the address
            // (see dhclientScript and docs/dhcp.md).
            dhclient.terminate()
            dhclient.waitUntilExit()
            let addressBeforeRelease = try b.exec(["ip", "-4", "addr", "show", "dev", taps["b"]!])
            #expect(addressBeforeRelease.contains("inet 10.0.100.100/24"), "\(addressBeforeRelease)")
            let release = try b.run(
                [
                    "dhclient", "-r", "-v", "-cf", dhclientConf.path, "-sf", dhclientScript.path, "-pf",
                    dhclientPID + ".release", "-lf", leases, taps["b"]!,
                ], timeout: .seconds(60))
            #expect(release.status == 0 && release.output.contains("DHCPRELEASE of 10.0.100.100"), "\(release.output)")
            #expect(!release.output.contains("Failed to send"), "\(release.output)")
            try System.waitUntil("b's release (dhclient -r) to be recorded", timeout: .seconds(30)) {
                try client.call(DHCPMethods.show).ports.first { $0.port == "host-b" }?.state == "released"
            }

            // 1,000 DISCOVERs from a's port while b pings d: forwarding between b and d is not disturbed.
            try b.exec(["ip", "addr", "replace", "10.0.100.100/24", "dev", taps["b"]!])
            let before = try daemon.ports()["host-d"]!.counters.rxPackets
            let script = directory.appendingPathComponent("burst.py")
            try Self.write(Self.discoverBurst, script)
            let ping = Process()
            ping.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            ping.arguments = ["netns", "exec", b.name, "ping", "-c", "20", "-i", "0.05", "-W", "2", "10.0.100.50"]
            let pingOutput = Pipe()
            ping.standardOutput = pingOutput
            ping.standardError = FileHandle.nullDevice
            try ping.run()
            try a.exec(["python3", script.path, taps["a"]!], timeout: .seconds(60))
            ping.waitUntilExit()
            let pingText = String(decoding: pingOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(ping.terminationStatus == 0 && pingText.contains(" 0% packet loss"), "\(pingText)")
            #expect(try daemon.ports()["host-d"]!.counters.rxPackets >= before + 20)
            let stage = try #require(try daemon.stages()["dhcp"])
            #expect(stage.drops["dhcp-rate-limited", default: 0] > 0, "\(stage.drops)")
            status = try client.call(DHCPMethods.show)
            #expect((status.counters["offer"] ?? 0) < 100, "the responder answered at most the port's rate")

            // The `auto` address survives a restart, even where the configuration order alone would give it
            // to another port: `spare` (auto) is added before b, then sluiced restarts.
            let document = Self.config(taps: taps, spare: true)
                .replacingOccurrences(of: "@SOCKET@", with: daemon.socketPath)
                .replacingOccurrences(of: "@PREFIX@", with: daemon.filePrefix)
            let applied = try client.call(ConfigMethods.apply, ConfigApplyParams(document: document))
            #expect(applied.applied && applied.persisted, "\(applied)")
            let addresses = { (status: DHCPStatus) in
                Dictionary(uniqueKeysWithValues: status.ports.map { ($0.port, $0.address ?? "-") })
            }
            #expect(addresses(try client.call(DHCPMethods.show))["spare"] == "10.0.100.101")
            if let udhcpcA, udhcpcA.isRunning { udhcpcA.terminate() }
            #expect(try daemon.stop() == 0)
            let restarted = try SluicedProcess(
                config: Self.config(taps: taps), label: "dhcp-clients", reusing: directory)
            try restarted.waitReady()
            let after = addresses(try restarted.client().call(DHCPMethods.show))
            #expect(after["host-b"] == "10.0.100.100" && after["spare"] == "10.0.100.101", "\(after)")
            #expect(try restarted.stop() == 0)
        }
    }
}
