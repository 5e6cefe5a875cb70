import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// A host of 1000 vhost-user ports (server mode, no ethdev each): sluiced starts with all of them, lists
    /// them, and two virtio-user guests on ports far apart in the range exchange frames across it.
    @Suite("1000 vhost-user ports")
    struct ThousandPorts {
        static let portCount = 1000
        /// The guests' ports: the only members of VLAN 10 (every other port is in VLAN 20).
        static let guestPorts = [3, 998]

        static func config(_ sockets: URL) -> String {
            var text = "\(testEAL())\nports:\n"
            for index in 0..<portCount {
                let vlan = guestPorts.contains(index) ? 10 : 20
                text += """
                      - name: vm\(index)
                        type: vhost-user
                        path: \(sockets.path)/vm\(index).sock
                        mode: server
                        vlan: {mode: access, id: \(vlan)}

                    """
            }
            return text
        }

        /// The daemon's resident set in kB (`VmRSS`), or nil.
        static func residentKB(pid: Int32) -> Int? {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }

        @Test func aThousandPortsStartAndGuestsFarApartExchangeFrames() throws {
            let sockets = try System.scratchDirectory("vhost-1000")
            defer { try? FileManager.default.removeItem(at: sockets) }
            let daemon = try SluicedProcess(config: Self.config(sockets), label: "vhost1000")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()

            let ports = try daemon.ports()
            #expect(ports.count == Self.portCount)
            #expect(ports.values.allSatisfy { $0.type == "vhost-user" })
            // Memory use of a host of 1000 ports (hugepage memory aside): reported, and bounded generously.
            let rss = try #require(Self.residentKB(pid: daemon.pid))
            print("sluiced with \(Self.portCount) vhost-user ports: VmRSS \(rss) kB")
            #expect(rss < 1_000_000, "resident set \(rss) kB")

            let (low, high) = (Self.guestPorts[0], Self.guestPorts[1])
            let guestA = try VirtioUserGuest(
                label: "a", socketPath: "\(sockets.path)/vm\(low).sock", server: false, directory: sockets)
            let guestB = try VirtioUserGuest(
                label: "b", socketPath: "\(sockets.path)/vm\(high).sock", server: false, directory: sockets)
            try daemon.waitForGuest("vm\(low)")
            try daemon.waitForGuest("vm\(high)")
            // testpmd's frames go to a MAC nobody has: flooded in VLAN 10, whose only other member is the
            // other guest's port; none reaches the 998 ports of VLAN 20.
            let (fromA, fromB) = try VirtioUserGuest.exchangeBursts(
                guestA, on: "vm\(low)", bursts: 4, guestB, on: "vm\(high)", bursts: 2, through: daemon)
            let after = try daemon.ports()
            #expect(after["vm\(low)"]?.counters.rxPackets == fromA && after["vm\(high)"]?.counters.rxPackets == fromB)
            let elsewhere = after.filter { !["vm\(low)", "vm\(high)"].contains($0.key) }
            #expect(elsewhere.values.allSatisfy { $0.counters == PortCounterValues() }, "VLAN 20 got nothing")
            try System.waitUntil("the guests to count every frame") {
                try guestA.portStats() == (rx: fromB, tx: fromA) && guestB.portStats() == (rx: fromA, tx: fromB)
            }
            guestA.kill()
            guestB.kill()
            #expect(try daemon.stop() == 0)
        }
    }
}
