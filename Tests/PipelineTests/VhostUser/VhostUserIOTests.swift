import CDPDK
import DPDK
import Foundation
import Packet
import Pipeline
import Testing

extension DPDKBackedTests {
    /// The vhost-user side of `PortIO` in the test process (rte_vhost without a guest), and the software
    /// completion of a checksum a guest left to the host. Guests themselves are in the system tests
    /// (SystemTests/VhostUser with virtio-user processes, tools/qemu-vhost-test with QEMU).
    @Suite("vhost-user port I/O through rte_vhost")
    struct VhostUserIO {
        static func socketPath(_ name: String) -> String { "/tmp/sluice-unit-\(getpid())-\(name).sock" }

        /// Without a guest nothing is received, and what is sent is refused: TxTarget frees it after its
        /// retries and counts it as dropped (the mbuf accounting of `TestDPDK.run` checks nothing leaks).
        @Test func withoutAGuestNothingIsReceivedAndSentFramesAreDropped() throws {
            try TestDPDK.run { env in
                let socket = try VhostUserSocket.register(path: Self.socketPath("io"), client: false, queuePairs: 2)
                defer { socket.unregister() }
                let io = PortIO(vhost: socket, pool: env.pool)
                #expect(io.isVhostUser && !PortIO(ethPort: env.ports[0]).isVhostUser)
                var received = MbufBurst(capacity: 32)
                #expect(io.receive(queue: 0, into: &received) == 0 && received.count == 0)
                #expect(io.receive(queue: 1, into: &received, limit: 8) == 0)

                let counters = PortCounters.allocate()
                defer { counters.block.deallocate() }
                let target = TxTarget(port: io, queue: 1, counters: counters, enabled: true)
                var frames = MbufBurst(capacity: 8)
                for tag in UInt32(0)..<5 { frames.append(env.frame(tag: tag, length: 64)) }
                #expect(target.send(frames.slots, count: frames.count) == 0)
                frames.count = 0  // ownership went to `send`, which freed them
                #expect(counters.block.load(PortCounters.txDropped) == 5)
                #expect(counters.block.load(PortCounters.txPackets) == 0)

                let state = socket.state
                #expect(!state.connected && state.connects == 0 && state.negotiatedFeatures == 0 && state.vrings == 0)
                #expect(state.guestRxQueueMask == 0 && state.guestTxQueueMask == 0)
                #expect(!socket.link.up && socket.link.speedMbps == 0)
                for q in 0..<2 {
                    let c = socket.counts(queue: q)
                    #expect(c.rxPackets == 0 && c.rxBytes == 0 && c.txPackets == 0 && c.txBytes == 0)
                }
                #expect(socket.stats.rxPackets == 0 && socket.stats.txPackets == 0)
                #expect(socket.info.driverName == "rte_vhost" && socket.info.maxRxQueues == 2)
            }
        }

        /// Whether a PMD lists a queue for polling (`mayReceive`): ethdev queues always; a vhost-user queue once
        /// a guest is attached with the pair set up and its tx virtqueue enabled. Every change the callbacks
        /// make moves the vhost state epoch (the PMDs' cue to rebuild their lists). The guest is simulated on
        /// the port's shared state: nothing here calls rte_vhost with its id.
        @Test func aQueueMayReceiveOnlyWithAGuestAndItsVirtqueueEnabled() throws {
            try TestDPDK.run { env in
                let socket = try VhostUserSocket.register(path: Self.socketPath("live"), client: false, queuePairs: 2)
                defer { socket.unregister() }
                let io = PortIO(vhost: socket, pool: env.pool)
                #expect(PortIO(ethPort: env.ports[0]).mayReceive(queue: 0))
                #expect(!io.mayReceive(queue: 0) && !io.mayReceive(queue: 1))
                var epoch = PortIO.vhostStateEpoch
                func moved() -> Bool {
                    let now = PortIO.vhostStateEpoch
                    defer { epoch = now }
                    return now != epoch
                }
                sl_vhost_set_enabled(socket.shared, false, 1, true)  // ring 3 ready before new_device
                #expect(moved() && !io.mayReceive(queue: 1))
                sl_vhost_attach(socket.shared, 4242, 1)  // one pair set up so far
                #expect(moved() && !io.mayReceive(queue: 0) && !io.mayReceive(queue: 1))
                sl_vhost_set_enabled(socket.shared, false, 0, true)
                #expect(moved() && io.mayReceive(queue: 0) && !io.mayReceive(queue: 1))
                sl_vhost_set_pairs(socket.shared, 2)
                #expect(moved() && io.mayReceive(queue: 0) && io.mayReceive(queue: 1))
                // The guest's rx virtqueue (Sluice sends to it) does not matter for receiving.
                sl_vhost_set_enabled(socket.shared, true, 0, true)
                #expect(moved() && io.mayReceive(queue: 0))
                sl_vhost_set_enabled(socket.shared, false, 0, false)
                #expect(moved() && !io.mayReceive(queue: 0) && io.mayReceive(queue: 1))
                sl_vhost_detach(socket.shared)
                #expect(moved() && !io.mayReceive(queue: 1))
                sl_vhost_clear_enabled(socket.shared)
                #expect(moved() && socket.state.guestTxQueueMask == 0)
            }
        }

        /// A path is registered once; out-of-range queue pairs are refused before anything is registered.
        @Test func registrationRefusesADuplicatePathAndBadQueueCounts() throws {
            try TestDPDK.run { _ in
                let path = Self.socketPath("dup")
                let socket = try VhostUserSocket.register(path: path, client: true, queuePairs: 1)
                #expect(throws: DPDKError.self) {
                    try VhostUserSocket.register(path: path, client: true, queuePairs: 1)
                }
                socket.unregister()
                // Unregistered: the path can be registered again (a port reopened at run time).
                let again = try VhostUserSocket.register(path: path, client: true, queuePairs: 1)
                again.unregister()
                #expect(throws: DPDKError.self) {
                    try VhostUserSocket.register(path: Self.socketPath("zero"), client: true, queuePairs: 0)
                }
                #expect(throws: DPDKError.self) {
                    try VhostUserSocket.register(path: Self.socketPath("many"), client: true, queuePairs: 65)
                }
            }
        }

        /// The features a guest is never offered: host TSO (so every frame fits one mbuf), as net_vhost did.
        @Test func hostTSOIsNeverOffered() {
            #expect(VhostUserSocket.disabledFeatures == (1 << 11 | 1 << 12))
        }

        /// A guest that leaves its TCP or UDP checksum to the host puts the pseudo-header sum in the field
        /// (virtio's VIRTIO_NET_F_CSUM); receive completes it, and marks the packet's checksum good.
        @Test(arguments: [UInt8(6), 17])
        func aChecksumLeftToTheHostIsCompleted(protocolNumber: UInt8) throws {
            try TestDPDK.run { env in
                let payload = 37
                let l4Length = (protocolNumber == 6 ? 20 : 8) + payload
                let mbuf = try #require(env.pool.allocate())
                defer {
                    var owned: OpaquePointer? = mbuf.raw
                    Mbuf.freeBulk(&owned, count: 1)
                }
                let frameLength = 14 + 20 + l4Length
                let data = try #require(mbuf.append(frameLength))
                let bytes = data.assumingMemoryBound(to: UInt8.self)
                bytes.initialize(repeating: 0, count: frameLength)
                let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]
                for (i, b) in ethernet.enumerated() { bytes[i] = b }
                let ip = bytes + 14
                let ipHeader: [UInt8] = [
                    0x45, 0, UInt8((20 + l4Length) >> 8), UInt8((20 + l4Length) & 0xff), 0, 1, 0x40, 0, 64,
                    protocolNumber, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                ]
                for (i, b) in ipHeader.enumerated() { ip[i] = b }
                let l4 = ip + 20
                l4[0] = 0x30
                l4[1] = 0x39
                l4[2] = 0x00
                l4[3] = 0x50
                if protocolNumber == 17 {
                    l4[4] = UInt8(l4Length >> 8)
                    l4[5] = UInt8(l4Length & 0xff)
                } else {
                    l4[12] = 0x50  // data offset 5
                }
                for i in (l4Length - payload)..<l4Length { l4[i] = UInt8(truncatingIfNeeded: i &* 7 &+ 3) }
                // The pseudo-header sum, not complemented, where the checksum goes (as the guest leaves it).
                let field = protocolNumber == 17 ? 6 : 16
                var pseudo: UInt32 = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + UInt32(protocolNumber) + UInt32(l4Length)
                while pseudo > 0xffff { pseudo = (pseudo & 0xffff) + (pseudo >> 16) }
                l4[field] = UInt8(pseudo >> 8)
                l4[field + 1] = UInt8(pseudo & 0xff)

                sl_vhost_complete_checksum(mbuf.raw)

                // Verified independently: the pseudo header plus the whole segment sums to all ones.
                var sum = UInt32(0x0a00 + 0x0001 + 0x0a00 + 0x0002) + UInt32(protocolNumber) + UInt32(l4Length)
                for i in stride(from: 0, to: l4Length, by: 2) {
                    let high = UInt32(l4[i]) << 8
                    sum += high | (i + 1 < l4Length ? UInt32(l4[i + 1]) : 0)
                }
                while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
                #expect(sum == 0xffff)
                #expect(l4[field] != 0 || l4[field + 1] != 0)
                #expect(sl_mbuf_ol_flags(mbuf.raw) & (1 << 3 | 1 << 8) == 1 << 8, "marked RX_L4_CKSUM_GOOD")
            }
        }
    }
}

/// The ethdev limit validation enforces (`PortLimit.maxEthdevPorts`) is the DPDK build's.
@Test func theEthdevLimitIsTheDPDKBuilds() {
    #expect(PortLimit.maxEthdevPorts == Int(RTE_MAX_ETHPORTS))
}
