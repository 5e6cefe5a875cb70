import ControlProtocol
import Foundation
import PcapFile
import Testing

/// Deterministic test frames: distinct MACs, an experimental EtherType, sizes from minimum to full MTU.
func testFrames(count: Int, seed: UInt8) -> [[UInt8]] {
    (0..<count).map { i in
        let length = [60, 64, 128, 333, 1000, 1514][i % 6]
        var frame = [UInt8](repeating: 0, count: length)
        frame[0...5] = [0x02, 0, 0, 0, seed, UInt8(i & 0xff)]          // destination
        frame[6...11] = [0x02, 0, 0, 1, seed, UInt8(i & 0xff)]         // source
        frame[12] = 0x88; frame[13] = 0xb5                             // IEEE local experimental EtherType
        for j in 14..<length { frame[j] = UInt8(truncatingIfNeeded: j &* 7 &+ i &+ Int(seed)) }
        return frame
    }
}

extension SystemTests {
    @Suite("Forwarding pcap traces through sluiced")
    struct PcapForwarding {
        /// Two net_pcap ports patched together, a third on the bridge alone: every frame leaves on the peer
        /// byte for byte, in order, both ways; the third port's frames have nowhere to go (its VLAN has no
        /// other port) and are dropped and counted.
        @Test func patchedPortsForwardByteForByte() throws {
            let directory = try System.scratchDirectory("pcap")
            defer { try? FileManager.default.removeItem(at: directory) }
            let framesA = testFrames(count: 64, seed: 0xa), framesB = testFrames(count: 17, seed: 0xb)
            let framesC = testFrames(count: 5, seed: 0xc)
            for (name, frames) in [("a", framesA), ("b", framesB), ("c", framesC)] {
                try PcapFile(frames: frames).write(path: directory.appendingPathComponent("in-\(name).pcap").path)
            }
            func port(_ name: String) -> String {
                """
                  - name: port-\(name)
                    devargs: "net_pcap_\(name),rx_pcap=\(directory.path)/in-\(name).pcap,tx_pcap=\(directory.path)/out-\(name).pcap"
                """
            }
            let daemon = try SluicedProcess(config: """
                \(testEAL())
                ports:
                \(port("a"))
                \(port("b"))
                \(port("c"))
                patches:
                  - [port-a, port-b]
                """, label: "pcap")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
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
            let outB = try PcapFile.read(path: directory.appendingPathComponent("out-b.pcap").path)
            let outA = try PcapFile.read(path: directory.appendingPathComponent("out-a.pcap").path)
            let outC = try PcapFile.read(path: directory.appendingPathComponent("out-c.pcap").path)
            #expect(outB.frames == framesA)
            #expect(outA.frames == framesB)
            #expect(outC.frames.isEmpty)
        }
    }
}
