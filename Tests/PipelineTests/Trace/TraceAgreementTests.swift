import DPDK
import Foundation
import Packet
import Pipeline
import Testing

// The property behind `sluicectl trace`: the trace of a frame says what the pipeline then does with it.
// Over the pipeline fuzz corpus (`FrameGenerator`: valid, truncated, mutated and garbage frames from every
// port of the fuzzed 4-port bridge), frame by frame: trace the frame against the tables and the MAC table as
// they are, then run it through `SwitchPipeline` as a burst of one and compare:
// - a traced drop: the pipeline drops the frame in that stage under that reason (the one drop counter that
//   moved), and nothing leaves;
// - a traced output: exactly the traced ports send exactly one frame each, with the traced tagging applied
//   to the frame's bytes (push, pop, set the VLAN id, as is), and nothing is dropped.
// And the trace itself changes nothing: no MAC is learned by it (the table is compared before and after).
//
// SLUICE_TRACE_FRAMES and SLUICE_FUZZ_SEED override the frame count and the seed.

extension DPDKBackedTests {
    @Suite struct TraceAgreementTests {
        static let defaultFrames = 20_000

        @Test("trace agrees with the pipeline, frame by frame, over the fuzz corpus")
        func traceAgreesWithPipeline() throws {
            let environment = ProcessInfo.processInfo.environment
            let seed =
                environment["SLUICE_FUZZ_SEED"].flatMap { UInt64($0, radix: 16) }
                ?? DPDKBackedTests.PipelineFuzzTests.defaultSeed
            let frameCount = environment["SLUICE_TRACE_FRAMES"].flatMap { Int($0) } ?? Self.defaultFrames
            let context = "seed 0x\(String(seed, radix: 16))"
            try TestDPDK.run { env in
                let tables = BridgeTables(ports: FuzzNet.specs)
                let table = MACTable(capacity: 1 << 14, ports: 4, limits: FuzzNet.ports.map(\.limit), seed: 0x5eed)
                defer { withExtendedLifetime((tables, table)) {} }
                var pipeline = makeSwitchPipeline(bridge: tables, table: table, targets: env.targets())
                let traceContext = TraceContext(
                    bridge: tables.view, peers: [], enabled: [0, 1, 2, 3], macTable: table.view,
                    portNames: ["p0", "p1", "p2", "p3"])
                var burst = PacketBurst(capacity: 32)
                var generator = FrameGenerator(rng: FuzzRandom(seed: seed))
                var writer = FrameWriter(capacity: 256)
                defer { writer.deallocate() }
                var received = MbufBurst(capacity: 64)
                var outcomes: [String: Int] = [:]
                var failures = 0

                for number in 0..<frameCount where failures < 5 {
                    let ingress = generator.rng.below(4)
                    generator.next(into: &writer, ingress: ingress)
                    let frame = Array(UnsafeBufferPointer(start: writer.base, count: writer.count))
                    // The whole table every 100 frames (a scan of every slot), the learned counts every frame.
                    let entriesBefore = number % 100 == 0 ? table.entries(now: 0) : []
                    let learnedBefore = (0..<4).map { table.learnedCount(port: $0) }
                    let trace = SwitchPipeline.trace(frame, ingress: UInt16(ingress), in: traceContext)
                    if (0..<4).map({ table.learnedCount(port: $0) }) != learnedBefore
                        || (number % 100 == 0 && table.entries(now: 0) != entriesBefore)
                    {
                        Issue.record("frame \(number): the trace changed the MAC table; \(context)")
                        failures += 1
                    }

                    let before = pipeline.stages.map(\.snapshot)
                    env.fill(&burst, frames: [frame], ingress: UInt16(ingress))
                    pipeline.process(&burst)
                    burst.releaseDropped()
                    let after = pipeline.stages.map(\.snapshot)
                    var drops: [String] = []
                    for (descriptor, (old, new)) in zip(pipeline.stages, zip(before, after)) {
                        for (index, reason) in descriptor.dropReasons.enumerated()
                        where new.drops[index] != old.drops[index] {
                            drops.append("\(descriptor.name):\(reason)")
                        }
                    }
                    var sent: [String] = []
                    for port in 0..<4 {
                        while env.ports[port].receive(queue: 0, into: &received) > 0 {
                            for i in 0..<received.count {
                                let mbuf = received[i]
                                let bytes = UnsafeRawBufferPointer(start: mbuf.data, count: mbuf.dataLength)
                                sent.append("p\(port) \(hex(Array(bytes)))")
                            }
                            received.freeAll()
                        }
                    }

                    var expectedDrops: [String] = []
                    var expectedSent: [String] = []
                    if let drop = trace.drop {
                        expectedDrops = ["\(drop.stage):\(drop.reason)"]
                        outcomes["drop \(drop.stage):\(drop.reason)", default: 0] += 1
                    } else {
                        for output in trace.outputs {
                            expectedSent.append("\(output.portName) \(hex(Self.apply(output.tagging, to: frame)))")
                            outcomes["output \(output.tagging.description.prefix { $0 != " " })", default: 0] += 1
                        }
                        if trace.outputs.count > 1 { outcomes["flood", default: 0] += 1 }
                    }
                    if drops != expectedDrops || sent != expectedSent {
                        failures += 1
                        Issue.record(
                            """
                            frame \(number) in on p\(ingress), \(context): \(hex(frame))
                            trace: \(TraceNet.summary(trace))
                            pipeline dropped \(drops), sent \(sent.map { String($0.prefix(3)) })
                            expected dropped \(expectedDrops), sent \(expectedSent.map { String($0.prefix(3)) })
                            """)
                    }
                    if number % 2000 == 1999 {
                        _ = table.flushAll()
                        _ = table.recycleTombstones(waitForGracePeriod: {})
                    }
                }

                // The corpus exercised every outcome the bridge can have.
                let wanted = [
                    "drop parse:truncated-ethernet", "drop parse:group-source-mac", "drop parse:exceeds-mtu",
                    "drop port-security:source-mac", "drop port-security:source-ipv4",
                    "drop port-security:arp-sender-ip", "drop vlan:tagged-on-access", "drop vlan:vlan-not-allowed",
                    "drop vlan:untagged-on-trunk", "drop l2:same-port", "drop transmit:flood-no-ports",
                    "output as-is", "output push-vlan", "output pop-vlan", "flood",
                ]
                let scale = max(frameCount / 20_000, 1)
                for outcome in wanted {
                    #expect((outcomes[outcome] ?? 0) >= scale, "\(outcome): \(outcomes[outcome] ?? 0); \(context)")
                }
                print("trace agreement: \(frameCount) frames, \(context): \(outcomes.sorted { $0.key < $1.key })")
            }
        }

        /// The frame as it leaves with `tagging`, written independently of the transmit stage.
        static func apply(_ tagging: TraceOutput.Tagging, to frame: [UInt8]) -> [UInt8] {
            switch tagging {
            case .asIs: frame
            case .push(let vlan): F.pushTag(frame, tci: vlan)
            case .pop: F.popTag(frame)
            case .setVLAN(let vlan): F.setTCI(frame, UInt16(frame[14]) << 8 & 0xf000 | vlan)
            }
        }
    }
}
