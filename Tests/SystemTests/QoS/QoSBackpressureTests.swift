import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// A virtio-user guest sending as fast as it can into a vhost-user port limited from-vm: the switch takes
    /// the configured rate and drops nothing, the guest's ring fills (its transmit accepts only what the switch
    /// takes), and an unlimited neighbour on the same PMD keeps its throughput.
    @Suite("QoS: from-vm backpressure on a vhost-user port")
    struct QoSBackpressure {
        /// The burst is a second's worth: sluiced's PMD shares its CPU on a test machine, and a bucket smaller
        /// than what accrues while the PMD is descheduled would lose tokens (a real deployment isolates the PMD).
        static let limit = 20_000.0

        @Test func aLimitedGuestIsHeldBackAndItsNeighbourKeepsItsRate() throws {
            let sockets = try System.scratchDirectory("qos-vhost")
            defer { try? FileManager.default.removeItem(at: sockets) }
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: guest-a
                        type: vhost-user
                        path: \(sockets.path)/a.sock
                        mode: server
                        qos: {from-vm: {packets: {packets-per-second: \(Int(Self.limit)), burst-packets: \(Int(Self.limit))}}}
                      - name: guest-b
                        type: vhost-user
                        path: \(sockets.path)/b.sock
                        mode: server
                      - name: sink-a
                        devargs: "net_null_qsa,no-rx=1"
                      - name: sink-b
                        devargs: "net_null_qsb,no-rx=1"
                    patches:
                      - [guest-a, sink-a]
                      - [guest-b, sink-b]
                    """, label: "qos-vhost")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            let guestA = try VirtioUserGuest(
                label: "qa", socketPath: "\(sockets.path)/a.sock", server: false, directory: sockets)
            let guestB = try VirtioUserGuest(
                label: "qb", socketPath: "\(sockets.path)/b.sock", server: false, directory: sockets)
            try daemon.waitForGuest("guest-a")
            try daemon.waitForGuest("guest-b")
            for guest in [guestA, guestB] {
                _ = try guest.portStats()
                guest.send("set fwd txonly")
            }

            /// Over `seconds`: what the switch took from each port (rx), what guest A's transmit accepted, what A's
            /// bucket passed and held at both ends, how long A was held back, and the time elapsed.
            struct Window {
                var a = 0.0, b = 0.0, guestA = 0.0, passed = 0.0, tokensBefore = 0.0, tokensAfter = 0.0, elapsed = 0.0
                var held = 0.0
            }
            func window(_ seconds: Double) throws -> Window {
                func bucket() throws -> (passed: Double, tokens: Double, held: Double) {
                    let row = try daemon.client().call(QoSMethods.show).first { $0.port == "guest-a" }!
                    return (Double(row.passedPackets), Double(row.buckets[0].tokens), row.heldSeconds)
                }
                let before = try daemon.ports()
                let guestBefore = try guestA.portStats().tx
                let bucketBefore = try bucket()
                let start = Date()
                Thread.sleep(forTimeInterval: seconds)
                let bucketAfter = try bucket()
                let elapsed = Date().timeIntervalSince(start)
                let after = try daemon.ports()
                let guestAfter = try guestA.portStats().tx
                func taken(_ port: String) -> Double {
                    Double(after[port]!.counters.rxPackets - before[port]!.counters.rxPackets)
                }
                return Window(
                    a: taken("guest-a"), b: taken("guest-b"), guestA: Double(guestAfter - guestBefore),
                    passed: bucketAfter.passed - bucketBefore.passed, tokensBefore: bucketBefore.tokens,
                    tokensAfter: bucketAfter.tokens, elapsed: elapsed, held: bucketAfter.held - bucketBefore.held)
            }

            guestB.send("start")
            try System.waitUntil("guest B's frames to flow") {
                try daemon.ports()["guest-b"]!.counters.rxPackets > 10_000
            }
            let alone = try window(2)
            guestA.send("start")
            try System.waitUntil("guest A to be held back") {
                try daemon.client().call(QoSMethods.show).first { $0.port == "guest-a" }!.heldPolls > 1000
            }
            let together = try window(4)
            guestA.send("stop")
            guestB.send("stop")

            // The bucket passed the rate over the window, give or take the tokens it held at either end (a PMD
            // descheduled at one end takes them later): within 2 %.
            let expected = Self.limit * together.elapsed + together.tokensBefore - together.tokensAfter
            #expect(
                abs(together.passed - expected) <= expected * 0.02,
                "guest-a passed \(together.passed), expected \(expected): \(together)")
            // The guest's transmit accepted only what the switch took, give or take its ring (256 descriptors).
            #expect(together.guestA <= together.a + 512, "guest A's transmit accepted \(together.guestA)")
            // Both guests busy-poll CPU 0, so B's own sending slows down while A runs; the switch must not
            // slow it further (a PMD stuck on A's empty buckets would).
            #expect(
                together.b / together.elapsed >= alone.b / alone.elapsed * 0.3,
                "guest B: \(together.b / together.elapsed) pps with A held back, \(alone.b / alone.elapsed) alone")
            // A guest sending far above its rate is held back most of the time (one token every 50 µs, taken at
            // the next poll), and never longer than the window (one PMD polls it).
            #expect(
                together.held >= together.elapsed * 0.5 && together.held <= together.elapsed * 1.02,
                "guest A held back \(together.held) s of \(together.elapsed) s")
            #expect(alone.held < alone.elapsed * 0.02, "guest A was not held back while it did not send")
            let row = try #require(try daemon.client().call(QoSMethods.show).first { $0.port == "guest-a" })
            #expect(row.droppedPackets == 0 && row.passedPackets > 0)
            let stages = try daemon.stages()
            #expect(stages["qos"]?.drops["qos-to-vm"] == 0)
            #expect(try #require(daemon.ports()["guest-a"]?.driverStats).rxMissed == 0)
            guestA.kill()
            guestB.kill()
            #expect(try daemon.stop() == 0)
        }
    }
}
