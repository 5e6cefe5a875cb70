import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// vhost-user ports with `net_virtio_user` processes (dpdk-testpmd) as the guests: one port in client
    /// mode (the guest owns the socket, as QEMU does in the recommended set-up) and one in server mode.
    /// The QEMU tests are `tools/qemu-vhost-test` (docs/vhost-user.md).
    @Suite("vhost-user ports with virtio-user guests")
    struct VhostUser {
        static let virtioFVersion1: UInt64 = 1 << 32

        static func config(_ sockets: URL) -> String {
            """
            \(testEAL())
            ports:
              - name: guest-a
                type: vhost-user
                path: \(sockets.path)/a.sock
              - name: guest-b
                type: vhost-user
                path: \(sockets.path)/b.sock
                mode: server
            """
        }

        /// Both ports wait (nothing counted) while no guest exists, then guests attach, frames cross Sluice
        /// both ways and every counter agrees; after `kill -9 sluiced` and a restart, the client-mode port
        /// reconnects to the guest that kept running, and traffic flows again.
        @Test func trafficCrossesBothWaysAndSurvivesARestart() throws {
            let sockets = try System.scratchDirectory("vhost-sockets")
            defer { try? FileManager.default.removeItem(at: sockets) }
            let daemon = try SluicedProcess(config: Self.config(sockets), label: "vhost")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()

            // No guests yet: the client-mode socket does not even exist. Both ports wait and count nothing.
            #expect(!FileManager.default.fileExists(atPath: sockets.appendingPathComponent("a.sock").path))
            #expect(
                FileManager.default.fileExists(atPath: sockets.appendingPathComponent("b.sock").path),
                "server mode creates its socket")
            for (name, port) in try daemon.ports() {
                let vhost = try #require(port.vhostUser, "\(name)")
                #expect(port.type == "vhost-user")
                #expect(vhost.state == .waiting && vhost.negotiatedFeatures == "0x0" && vhost.connects == 0)
                #expect(!port.linkUp)
                #expect(port.counters == PortCounterValues())
                #expect(
                    port.queueCounters?.first
                        == QueueCounterValues(queue: 0, rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0))
            }
            #expect(try daemon.vhost("guest-a").mode == "client")
            #expect(try daemon.vhost("guest-b").mode == "server")

            let guestA = try VirtioUserGuest(
                label: "a", socketPath: "\(sockets.path)/a.sock", server: true, directory: sockets)
            let guestB = try VirtioUserGuest(
                label: "b", socketPath: "\(sockets.path)/b.sock", server: false, directory: sockets)
            try daemon.waitForGuest("guest-a")
            try daemon.waitForGuest("guest-b")
            for name in ["guest-a", "guest-b"] {
                let vhost = try daemon.vhost(name)
                #expect(
                    vhost.negotiatedFeatureBits.map { $0 & Self.virtioFVersion1 != 0 } == true,
                    "\(vhost.negotiatedFeatures)")
                #expect(vhost.vrings == 2 && vhost.guestRxQueuesEnabled == [0] && vhost.guestTxQueuesEnabled == [0])
                #expect(try daemon.ports()[name]?.linkUp == true)
            }

            let (fromA, fromB) = try VirtioUserGuest.exchangeBursts(
                guestA, on: "guest-a", bursts: 4, guestB, on: "guest-b", bursts: 2, through: daemon)
            let ports = try daemon.ports()
            let a = try #require(ports["guest-a"])
            let b = try #require(ports["guest-b"])
            #expect(a.counters.rxPackets == fromA && b.counters.rxPackets == fromB)
            #expect(a.counters.txDropped == 0 && b.counters.txDropped == 0)
            #expect(a.counters.rxBytes == b.counters.txBytes && b.counters.rxBytes == a.counters.txBytes)
            #expect(a.queueCounters?.first?.rxPackets == fromA && a.queueCounters?.first?.txPackets == fromB)
            #expect(b.queueCounters?.first?.rxPackets == fromB && b.queueCounters?.first?.txPackets == fromA)
            // One queue pair and one PMD: the queue's bytes (counted from the PMD's own sums) are the port's.
            #expect(a.queueCounters?.first?.rxBytes == a.counters.rxBytes && a.counters.rxBytes > 0)
            #expect(a.queueCounters?.first?.txBytes == a.counters.txBytes && a.counters.txBytes > 0)
            #expect(
                b.queueCounters?.first?.rxBytes == b.counters.rxBytes
                    && b.queueCounters?.first?.txBytes == b.counters.txBytes)
            #expect(a.driverStats?.rxPackets == fromA && b.driverStats?.txPackets == fromA)
            // And the guests saw them (once they have taken them off their rings).
            try System.waitUntil("the guests to count every frame") {
                try guestA.portStats() == (rx: fromB, tx: fromA) && guestB.portStats() == (rx: fromA, tx: fromB)
            }

            // kill -9 sluiced while the guests keep running, then start it again: the client-mode port
            // finds guest A's socket and reattaches by itself. (A net_virtio_user guest in client mode does
            // not reconnect, unlike QEMU with reconnect=1, so guest B is restarted.)
            #expect(try daemon.stop(signal: SIGKILL) == SIGKILL)
            guestB.kill()
            let restarted = try SluicedProcess(config: Self.config(sockets), label: "vhost")
            defer { restarted.removeDirectory() }
            try restarted.waitReady()
            try restarted.waitForGuest("guest-a")
            #expect(guestA.process.isRunning, "the guest was not touched")
            let guestB2 = try VirtioUserGuest(
                label: "b2", socketPath: "\(sockets.path)/b.sock", server: false, directory: sockets)
            try restarted.waitForGuest("guest-b")
            guestB2.send("set fwd rxonly")
            guestB2.send("start")
            // Continuous traffic: a guest that has only just attached may not have posted its receive
            // buffers yet, and what cannot be delivered is dropped (and counted), never queued.
            guestA.send("stop")
            guestA.send("set fwd txonly")
            guestA.send("start")
            try System.waitUntil("frames from the reattached guest A to reach the new guest B") {
                try guestB2.portStats().rx > 1_000
            }
            let after = try restarted.ports()
            #expect(after["guest-a"]!.counters.rxPackets > 1_000 && after["guest-b"]!.counters.txPackets > 1_000)
            #expect(try restarted.stop() == 0)
            #expect(
                !FileManager.default.fileExists(atPath: sockets.appendingPathComponent("b.sock").path),
                "sluiced removes its server socket")
            #expect(guestA.process.isRunning)
        }

        /// A guest that stops reading, and one that vanishes mid-burst, cost Sluice only the frames it
        /// cannot deliver (dropped and counted after the bounded retries): the PMD keeps forwarding the
        /// other guest's traffic. A guest that comes back is reattached.
        @Test func stalledAndVanishingGuestsDoNotStallThePMD() throws {
            let sockets = try System.scratchDirectory("vhost-stall")
            defer { try? FileManager.default.removeItem(at: sockets) }
            let daemon = try SluicedProcess(config: Self.config(sockets), label: "vhoststall")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            let sender = try VirtioUserGuest(
                label: "tx", socketPath: "\(sockets.path)/a.sock", server: true, directory: sockets)
            var receiver = try VirtioUserGuest(
                label: "rx", socketPath: "\(sockets.path)/b.sock", server: false, directory: sockets)
            try daemon.waitForGuest("guest-a")
            try daemon.waitForGuest("guest-b")

            receiver.send("set fwd rxonly")
            receiver.send("start")
            sender.send("set fwd txonly")
            sender.send("start")
            try System.waitUntil("traffic to flow from guest A to guest B") {
                try (daemon.ports()["guest-b"]?.counters.txPackets ?? 0) > 10_000
            }

            /// Waits until guest A's frames keep arriving at sluiced and guest B's port drops more.
            func expectProgress(_ what: String) throws {
                let before = try daemon.ports()
                try System.waitUntil(what) {
                    let now = try daemon.ports()
                    return now["guest-a"]!.counters.rxPackets > before["guest-a"]!.counters.rxPackets + 10_000
                        && now["guest-b"]!.counters.txDropped > before["guest-b"]!.counters.txDropped + 1_000
                }
            }

            // B stops polling: its ring fills up and Sluice drops what does not fit.
            receiver.send("stop")
            try expectProgress("drops on the stalled guest B while guest A's traffic keeps flowing")
            #expect(try daemon.vhost("guest-b").state == .connected)

            // B vanishes mid-burst.
            receiver.kill()
            try System.waitUntil("guest B's port to wait again") { try daemon.vhost("guest-b").state == .waiting }
            try expectProgress("drops to the absent guest B while guest A's traffic keeps flowing")
            let gone = try daemon.vhost("guest-b")
            #expect(gone.disconnects == 1 && gone.negotiatedFeatures == "0x0" && gone.guestRxQueuesEnabled.isEmpty)
            #expect(try daemon.ports()["guest-b"]?.linkUp == false)

            // B comes back (a rebooted guest, a restarted QEMU): reattached, and it receives again.
            receiver = try VirtioUserGuest(
                label: "rx2", socketPath: "\(sockets.path)/b.sock", server: false, directory: sockets)
            try daemon.waitForGuest("guest-b", connects: 2)
            receiver.send("set fwd rxonly")
            receiver.send("start")
            let delivered = try daemon.ports()["guest-b"]!.counters.txPackets
            // Counted by the guest itself (Sluice's count runs ahead by what sits in the guest's ring).
            try System.waitUntil("the returned guest B to receive") { try receiver.portStats().rx > 10_000 }
            #expect(try daemon.ports()["guest-b"]!.counters.txPackets > delivered)
            #expect(daemon.process.isRunning)
            #expect(try daemon.stop() == 0)
        }
    }
}
