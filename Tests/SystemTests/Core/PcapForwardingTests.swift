import ControlProtocol
import Foundation
import PcapFile
import Testing

/// Deterministic test frames: distinct MACs, an experimental EtherType, sizes from minimum to full MTU.
func testFrames(count: Int, seed: UInt8) -> [[UInt8]] {
    (0..<count).map { i in
        let length = [60, 64, 128, 333, 1000, 1514][i % 6]
        var frame = [UInt8](repeating: 0, count: length)
        frame[0...5] = [0x02, 0, 0, 0, seed, UInt8(i & 0xff)]  // destination
        frame[6...11] = [0x02, 0, 0, 1, seed, UInt8(i & 0xff)]  // source
        frame[12] = 0x88
        frame[13] = 0xb5  // IEEE local experimental EtherType
        for j in 14..<length { frame[j] = UInt8(truncatingIfNeeded: j &* 7 &+ i &+ Int(seed)) }
        return frame
    }
}

extension SystemTests {
    @Suite("Forwarding pcap traces through sluiced")
    struct PcapForwarding {
        /// Three net_pcap ports, port-a, port-b and port-c, under a ready sluiced: each replays its test frames
        /// (`counts` of them, seeds `seed`, `seed + 1`, `seed + 2`) from `in-NAME.pcap` and records what it is
        /// sent in `out-NAME.pcap` (written when sluiced stops). `config` follows the ports in the YAML.
        struct ThreePcapPorts {
            let directory: URL
            let frames: [String: [[UInt8]]]
            let daemon: SluicedProcess

            init(label: String, counts: [Int], seed: UInt8, config: String = "", options: [String] = []) throws {
                let directory = try System.scratchDirectory(label)
                self.directory = directory
                var frames: [String: [[UInt8]]] = [:]
                var items: [String] = []
                for (index, name) in ["a", "b", "c"].enumerated() {
                    frames[name] = testFrames(count: counts[index], seed: seed &+ UInt8(index))
                    try PcapFile(frames: frames[name]!).write(
                        path: directory.appendingPathComponent("in-\(name).pcap").path)
                    items.append(
                        """
                          - name: port-\(name)
                            devargs: "net_pcap_\(name),rx_pcap=\(directory.path)/in-\(name).pcap,tx_pcap=\(directory.path)/out-\(name).pcap"
                        """)
                }
                self.frames = frames
                daemon = try SluicedProcess(
                    config: "\(testEAL())\nports:\n\(items.joined(separator: "\n"))\n\(config)", label: label,
                    options: options)
                try daemon.waitReady()
            }

            /// What port-NAME was sent (read after sluiced stopped).
            func sent(to name: String) throws -> [[UInt8]] {
                try PcapFile.read(path: directory.appendingPathComponent("out-\(name).pcap").path).frames
            }

            func remove() {
                daemon.removeDirectory()
                try? FileManager.default.removeItem(at: directory)
            }
        }

        /// Two net_pcap ports patched together, a third on the bridge alone: every frame leaves on the peer
        /// byte for byte, in order, both ways; the third port's frames have nowhere to go (its VLAN has no
        /// other port) and are dropped and counted.
        @Test func patchedPortsForwardByteForByte() throws {
            let setup = try ThreePcapPorts(
                label: "pcap", counts: [64, 17, 5], seed: 0xa, config: "patches:\n  - [port-a, port-b]")
            defer { setup.remove() }
            let (daemon, framesA, framesB, framesC) = (
                setup.daemon, setup.frames["a"]!, setup.frames["b"]!, setup.frames["c"]!
            )
            try System.waitUntil("all frames to be forwarded") {
                let ports = try daemon.ports()
                let unpatchedDrops = try daemon.stages()["transmit"]?.drops["flood-no-ports"]
                return ports["port-b"]?.counters.txPackets == UInt64(framesA.count)
                    && ports["port-a"]?.counters.txPackets == UInt64(framesB.count)
                    && unpatchedDrops == UInt64(framesC.count)
            }
            let ports = try daemon.ports()
            #expect(ports["port-a"]?.counters.rxPackets == UInt64(framesA.count))
            #expect(ports["port-a"]?.counters.rxBytes == UInt64(framesA.reduce(0) { $0 + $1.count }))
            #expect(ports["port-b"]?.counters.txBytes == UInt64(framesA.reduce(0) { $0 + $1.count }))
            #expect(ports["port-c"]?.counters.rxPackets == UInt64(framesC.count))
            #expect(ports["port-c"]?.counters.txPackets == 0)
            #expect(ports.values.allSatisfy { $0.counters.txDropped == 0 })
            let stages = try daemon.stages()
            #expect(stages["patch"]?.packetsIn == UInt64(framesA.count + framesB.count))
            #expect(stages["parse"]?.packetsIn == UInt64(framesC.count), "only the bridged port's frames are parsed")
            #expect(stages["l2"]?.events["flooded"] == UInt64(framesC.count))
            #expect(stages["transmit"]?.packetsOut == UInt64(framesA.count + framesB.count))

            // net_pcap writes its output file when the port closes.
            #expect(try daemon.stop() == 0)
            #expect(try setup.sent(to: "b") == framesA)
            #expect(try setup.sent(to: "a") == framesB)
            #expect(try setup.sent(to: "c").isEmpty)
        }

        /// `--forward-mode io`, the benchmark floor: no stage runs, the first port's frames leave on the second
        /// byte for byte and the other way round (ports paired in configuration order), although every
        /// destination is unknown (the pipeline would flood them to the third port too); the third port has no
        /// peer, so its frames are freed, and nothing is sent to it.
        @Test func ioForwardModePairsPortsInOrderWithNoStage() throws {
            let setup = try ThreePcapPorts(
                label: "iopcap", counts: [40, 9, 6], seed: 0x1a, options: ["--forward-mode", "io"])
            defer { setup.remove() }
            let (daemon, framesA, framesB, framesC) = (
                setup.daemon, setup.frames["a"]!, setup.frames["b"]!, setup.frames["c"]!
            )
            try System.waitUntil("every frame to be forwarded or freed") {
                let ports = try daemon.ports()
                return ports["port-b"]?.counters.txPackets == UInt64(framesA.count)
                    && ports["port-a"]?.counters.txPackets == UInt64(framesB.count)
                    && ports["port-c"]?.counters.rxPackets == UInt64(framesC.count)
            }
            #expect(try daemon.stages().isEmpty, "no stage runs in io mode")
            #expect(try daemon.ports()["port-c"]?.counters.txPackets == 0)
            #expect(daemon.log.contains("forward mode io"))
            #expect(try daemon.stop() == 0)
            #expect(try setup.sent(to: "b") == framesA)
            #expect(try setup.sent(to: "a") == framesB)
            #expect(try setup.sent(to: "c").isEmpty)
        }

        /// An unknown forward mode is refused before DPDK starts, naming the option and the modes.
        @Test func unknownForwardModeIsRefused() throws {
            let result = try System.run([
                System.binary("sluiced"), "--forward-mode", "mac", "--config", "/nonexistent.yaml", "--check-config",
            ])
            // 64: ArgumentParser's usage error (EX_USAGE), before the configuration is read (which exits 2).
            #expect(result.status == 64)
            #expect(result.output.contains("The value 'mac' is invalid for '--forward-mode"))
            #expect(result.output.contains("'pipeline' and 'io'"))
        }

        /// The bridge's VLAN handling end to end, byte for byte: untagged frames from an access port in VLAN
        /// 100 leave the trunk tagged with VLAN 100; tagged frames from the trunk leave the access port
        /// untagged; an access port in VLAN 200 receives nothing; a frame tagged with a VLAN the trunk does not
        /// allow is dropped.
        @Test func vlanTagsArePushedAndPoppedByteForByte() throws {
            let directory = try System.scratchDirectory("vlanpcap")
            defer { try? FileManager.default.removeItem(at: directory) }
            let access = testFrames(count: 24, seed: 0x1)
            func tag(_ frame: [UInt8], vlan: UInt16) -> [UInt8] {
                Array(frame[0..<12]) + [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xff)] + Array(frame[12...])
            }
            // The trunk sends tagged frames addressed back to the access port's hosts, plus one of VLAN 300.
            let trunkUntagged = testFrames(count: 10, seed: 0x2).enumerated().map { index, frame -> [UInt8] in
                var frame = frame
                frame[0...5] = access[index][6...11]  // to a host learned on the access port
                return frame
            }
            let trunkIn =
                trunkUntagged.map { tag($0, vlan: 100) } + [tag(testFrames(count: 1, seed: 0x3)[0], vlan: 300)]
            // Whether a trunk frame arrives before or after its destination was learned, it leaves on the
            // access port (known unicast, or flooded to VLAN 100's only other port): the output is the same.
            try PcapFile(frames: access).write(path: directory.appendingPathComponent("in-access.pcap").path)
            try PcapFile(frames: []).write(path: directory.appendingPathComponent("in-other.pcap").path)
            try PcapFile(frames: trunkIn).write(path: directory.appendingPathComponent("in-trunk.pcap").path)
            func port(_ name: String, _ vlan: String) -> String {
                """
                  - name: \(name)
                    devargs: "net_pcap_\(name),rx_pcap=\(directory.path)/in-\(name).pcap,tx_pcap=\(directory.path)/out-\(name).pcap"
                    vlan: \(vlan)
                """
            }
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                    \(port("access", "{ mode: access, id: 100 }"))
                    \(port("trunk", "{ mode: trunk, allowed: [100, 200] }"))
                    \(port("other", "{ mode: access, id: 200 }"))
                    """, label: "vlanpcap")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            try System.waitUntil("every frame to be forwarded or dropped") {
                let ports = try daemon.ports()
                let refused = try daemon.stages()["vlan"]?.drops["vlan-not-allowed"] ?? 0
                return ports["trunk"]?.counters.txPackets == UInt64(access.count)
                    && ports["access"]?.counters.txPackets == UInt64(trunkUntagged.count) && refused == 1
            }
            let stages = try daemon.stages()
            #expect(try daemon.ports()["other"]?.counters.txPackets == 0)
            #expect(stages["l2"]?.events["learned"] == UInt64(access.count + trunkUntagged.count))
            #expect(try daemon.stop() == 0)
            let outTrunk = try PcapFile.read(path: directory.appendingPathComponent("out-trunk.pcap").path)
            let outAccess = try PcapFile.read(path: directory.appendingPathComponent("out-access.pcap").path)
            let outOther = try PcapFile.read(path: directory.appendingPathComponent("out-other.pcap").path)
            #expect(outTrunk.frames == access.map { tag($0, vlan: 100) }, "pushed: tag 100 after the MAC addresses")
            #expect(outAccess.frames == trunkUntagged, "popped: the frames exactly as before tagging")
            #expect(outOther.frames.isEmpty)
        }
    }
}
