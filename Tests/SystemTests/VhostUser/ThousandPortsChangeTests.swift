import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// On the host of 1000 vhost-user ports of `ThousandPorts`: a port added (the 1001st) and another removed
    /// at run time while two guests exchange a counted unicast stream lose none of its frames, and the time
    /// config.apply takes to add the port is measured.
    @Suite("1000 vhost-user ports: a port added and one removed under traffic")
    struct ThousandPortsChange {
        static let (macA, macB) = ("02:00:00:00:a0:03", "02:00:00:00:b3:e6")
        /// The port added at run time: a member of the guests' VLAN, so a flooded frame of the stream would
        /// reach it (it gets none: the stream is unicast).
        static let added = "vm1000"
        /// The idle port removed at run time (VLAN 20).
        static let removed = "vm500"
        /// Frames the guests keep in flight: guest A injects them, both guests send each one back (macswap).
        static let inFlight: UInt64 = 2 * 32

        /// Stops a guest's forwarding and waits until testpmd has printed the stop's statistics (so that they
        /// are not taken for the answer to a later `show port stats`).
        static func stop(_ guest: VirtioUserGuest) throws {
            let before = guest.log.utf8.count
            guest.send("stop")
            try System.waitUntil("testpmd \(guest.label) to stop forwarding", timeout: .seconds(30)) {
                String(decoding: Array(guest.log.utf8.dropFirst(before)), as: UTF8.self).contains("Done.")
            }
        }

        @Test func portAddedAndRemovedUnderTrafficLoseNothing() throws {
            let sockets = try System.scratchDirectory("vhost-1000c")
            defer { try? FileManager.default.removeItem(at: sockets) }
            let daemon = try SluicedProcess(config: ThousandPorts.config(sockets), label: "vhost1000c")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            let client = try daemon.client()
            #expect(try daemon.ports().count == ThousandPorts.portCount)

            // Without traffic first (no guest, so the control thread has CPU 0 to itself): port.add of the
            // 1001st port and port.del of it again, five times, timed. Only the port is decoded and the change
            // is cheap (docs/port-scale.md): the median add is printed, and bounded only generously.
            let clock = ContinuousClock()
            let idle = "vm1001"
            var (addTimes, delTimes): ([Duration], [Duration]) = ([], [])
            for _ in 0..<5 {
                let addStart = clock.now
                let idleAdd = try client.call(
                    "port.add",
                    params: PortAddParams(
                        port: .object([
                            "name": .string(idle), "type": .string("vhost-user"),
                            "path": .string("\(sockets.path)/\(idle).sock"), "mode": .string("server"),
                            "vlan": .object(["mode": .string("access"), "id": .number(20)]),
                        ])), as: ConfigApplyResult.self)
                addTimes.append(clock.now - addStart)
                #expect(idleAdd.applied && idleAdd.changes.map(\.action) == ["add-port"], "\(idleAdd.changes)")
                #expect(try daemon.ports()[idle]?.type == "vhost-user")
                let delStart = clock.now
                let idleDel = try client.call(
                    "port.del", params: PortDeleteParams(name: idle), as: ConfigApplyResult.self)
                delTimes.append(clock.now - delStart)
                #expect(idleDel.applied && idleDel.changes.map(\.action) == ["remove-port"], "\(idleDel.changes)")
                #expect(try daemon.ports()[idle] == nil)
            }
            let (addMedian, delMedian) = (addTimes.sorted()[2], delTimes.sorted()[2])
            print(
                "\(ThousandPorts.portCount) vhost-user ports, no traffic: port.add of port 1001 took \(addMedian) "
                    + "(median of 5: \(addTimes)); port.del of it took \(delMedian) (median of 5: \(delTimes))")
            #expect(addMedian < .seconds(2), "port.add of the 1001st port took \(addMedian) (median of 5)")

            let (low, high) = (ThousandPorts.guestPorts[0], ThousandPorts.guestPorts[1])
            let (portA, portB) = ("vm\(low)", "vm\(high)")
            let guestA = try VirtioUserGuest(
                label: "a", socketPath: "\(sockets.path)/\(portA).sock", server: false, directory: sockets,
                mac: Self.macA)
            let guestB = try VirtioUserGuest(
                label: "b", socketPath: "\(sockets.path)/\(portB).sock", server: false, directory: sockets,
                mac: Self.macB)
            defer {
                guestA.kill()
                guestB.kill()
            }
            try daemon.waitForGuest(portA)
            try daemon.waitForGuest(portB)
            guestA.send("set eth-peer 0 \(Self.macB)")
            guestB.send("set eth-peer 0 \(Self.macA)")

            // Learning: B speaks (flooded in VLAN 10, whose only other member is A), then A (unicast to B).
            for guest in [guestA, guestB] { guest.send("set fwd rxonly") }
            guestA.send("start")
            guestB.send("start tx_first 1")
            try System.waitUntil("A to receive B's frames") { try guestA.portStats().rx == 32 }
            try Self.stop(guestB)
            try Self.stop(guestA)
            guestB.send("start")
            guestA.send("start tx_first 1")
            try System.waitUntil("B to receive A's frames") { try guestB.portStats().rx == 32 }
            try Self.stop(guestA)
            try Self.stop(guestB)
            let macs = try client.call(BridgeMethods.macList)
            #expect(macs.contains { $0.mac == Self.macA && $0.port == portA }, "\(macs)")
            #expect(macs.contains { $0.mac == Self.macB && $0.port == portB }, "\(macs)")

            // The counted stream: A injects `inFlight` frames to B; each guest swaps the addresses of every
            // frame it receives and sends it back, so the frames go back and forth until the guests stop.
            let (startA, startB) = (try guestA.portStats(), try guestB.portStats())
            let before = try CounterSnapshot(daemon)
            for guest in [guestA, guestB] { guest.send("set fwd macswap retry") }
            guestB.send("start")
            guestA.send("start tx_first \(Self.inFlight / 32)")
            func crossed(_ frames: UInt64) throws -> Bool {
                try CounterSnapshot(daemon).portGrowth(portB, since: before, \.txPackets) >= frames
            }
            try System.waitUntil("the stream to cross sluiced", timeout: .seconds(90)) { try crossed(2000) }

            // The 1001st port, through config.apply of the whole document (1001 ports), timed.
            let configured = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
            let document =
                configured + """
                      - name: \(Self.added)
                        type: vhost-user
                        path: \(sockets.path)/\(Self.added).sock
                        mode: server
                        vlan: {mode: access, id: 10}

                    """
            let addStart = clock.now
            let add = try client.call(
                "config.apply", params: ConfigApplyParams(document: document), as: ConfigApplyResult.self)
            let addTime = clock.now - addStart
            #expect(add.applied && add.changes.map(\.action) == ["add-port"], "\(add.changes)")
            #expect(add.changes.first?.target == Self.added)
            let midway = try CounterSnapshot(daemon).portGrowth(portB, since: before, \.txPackets)
            try System.waitUntil("the stream to go on after the add", timeout: .seconds(90)) {
                try crossed(midway + 2000)
            }

            // An idle port removed, through sluicectl.
            let removeStart = clock.now
            let removal = try System.must([
                System.binary("sluicectl"), "port", "del", Self.removed, "--socket", daemon.socketPath, "--json",
            ])
            let removeTime = clock.now - removeStart
            let removedResult = try JSONDecoder().decode(ConfigApplyResult.self, from: Data(removal.utf8))
            #expect(removedResult.applied && removedResult.changes.map(\.action) == ["remove-port"], "\(removal)")
            let late = try CounterSnapshot(daemon).portGrowth(portB, since: before, \.txPackets)
            try System.waitUntil("the stream to go on after the removal", timeout: .seconds(90)) {
                try crossed(late + 2000)
            }
            print(
                "\(ThousandPorts.portCount) vhost-user ports under traffic: config.apply adding port 1001 took "
                    + "\(addTime); sluicectl port del took \(removeTime)")
            #expect(addTime < .seconds(10), "config.apply adding the 1001st port took \(addTime)")

            // Quiesce: A stops; B sends back what is still on its way, then stops. The frames in flight are
            // then parked in A's receive ring.
            try Self.stop(guestA)
            var last = (UInt64(0), UInt64(0))
            try System.waitUntil("the frames on their way to B to be sent back", timeout: .seconds(60)) {
                let now = try CounterSnapshot(daemon)
                let b = (
                    try now.portGrowth(portB, since: before, \.txPackets),
                    try now.portGrowth(portB, since: before, \.rxPackets)
                )
                let stats = try guestB.portStats()
                defer { last = b }
                return b == last && stats.rx - startB.rx == b.0 && b.1 == stats.tx - startB.tx
            }
            try Self.stop(guestB)
            let (endA, endB) = (try guestA.portStats(), try guestB.portStats())
            let (sentA, receivedA) = (endA.tx - startA.tx, endA.rx - startA.rx)
            let (sentB, receivedB) = (endB.tx - startB.tx, endB.rx - startB.rx)
            // Wait until sluiced has received and sent everything; a stall is reported by the checks below.
            try? System.waitUntil("sluiced to count every frame the guests sent") {
                let now = try CounterSnapshot(daemon)
                return try now.portGrowth(portA, since: before, \.rxPackets) == sentA
                    && now.portGrowth(portB, since: before, \.rxPackets) == sentB
                    && now.portGrowth(portB, since: before, \.txPackets) == sentA
                    && now.portGrowth(portA, since: before, \.txPackets) == sentB
            }
            let after = try CounterSnapshot(daemon)
            print("the stream: A sent \(sentA) and received \(receivedA), B sent \(sentB) and received \(receivedB)")
            #expect(sentA > 6000 && sentB > 6000, "the stream ran throughout")
            // A → B: everything A sent reached B's port and B.
            #expect(try after.portGrowth(portA, since: before, \.rxPackets) == sentA)
            #expect(try after.portGrowth(portB, since: before, \.txPackets) == sentA)
            #expect(receivedB == sentA)
            // B → A: everything B sent reached A's port; A read all of it but the frames parked when it stopped.
            #expect(try after.portGrowth(portB, since: before, \.rxPackets) == sentB)
            #expect(try after.portGrowth(portA, since: before, \.txPackets) == sentB)
            #expect(sentB - receivedA == Self.inFlight, "every injected frame is still alive")
            #expect(try after.portGrowth(portA, since: before, \.txDropped) == 0)
            #expect(try after.portGrowth(portB, since: before, \.txDropped) == 0)
            #expect(after.newDrops(since: before).isEmpty, "\(after.newDrops(since: before))")

            // The ports: the new one is there and got nothing (the stream is unicast), the removed one is gone.
            let ports = try daemon.ports()
            #expect(ports.count == ThousandPorts.portCount)
            #expect(ports[Self.added]?.type == "vhost-user")
            #expect(ports[Self.added]?.counters == PortCounterValues())
            #expect(ports[Self.removed] == nil)
            guestA.kill()
            guestB.kill()
            #expect(try daemon.stop() == 0)
        }
    }
}
