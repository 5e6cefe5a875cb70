import ArgumentParser
import DPDK
import Foundation
import Packet
import Pipeline
import Synchronization

/// `sluice-bench --check-qos-rates`: the rate accuracy of the QoS buckets on the real clock. For each direction,
/// bucket kind and rate (1 Mbit/s to 10 Gbit/s, 1 kpps to 10 Mpps) it replays the trace's frames, in order and
/// over and over, as fast as it can through the real admission code on one port whose buckets start full:
///
/// - from-vm: what the PMD loop does per poll of a limited port (`QoSTables.fromVMAllowance`, then
///   `fromVMCharge` with the real sizes of the frames "dequeued"), 32 frames offered per poll;
/// - to-vm: the policer's decision for each frame (`QoSTables.admitToVM`, the flood policer; the `qos` stage
///   decides with the same `TokenBucketSpec.take`), bursts of 32 frames on one TSC reading as the stage does.
///
/// It then checks that the first second passes exactly the burst on top of the rate (within two frames'
/// worth of tokens: admission by the largest frame, and the frame in flight), and that the long-run rate over the
/// following `seconds` is within ±2 % of the configured one. The TSC is the clock (`EAL.tscHz`, as the
/// dataplane uses). A case whose replay could not offer more than the rate says so and fails. No ports, no PMD
/// thread: it measures the buckets, not the forwarding (the `qos` scenarios measure that).
struct QoSRateCheck {
    struct Case {
        var direction: QoSDirection
        /// A packets bucket (`rate` in packets per second) or a bandwidth bucket (`rate` in bits per second).
        var packets: Bool
        var rate: UInt64
    }

    struct Result: Codable {
        var direction: String
        var bucket: String
        /// Bits or packets per second.
        var configured: Double
        var measured: Double
        var errorPercent: Double
        /// Bytes or packets.
        var burst: UInt64
        /// What the first second passed above rate × elapsed, in the bucket's tokens (expected: `burst`).
        var firstSecondExcess: Double
        var firstSecondTolerance: Double
        /// What the replay offered, in the bucket's unit per second (must exceed the configured rate).
        var offered: Double
        var attempts: Int
        var ok: Bool
    }

    static let cases: [Case] = QoSDirection.allCases.flatMap { direction in
        [1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000].map {
            Case(direction: direction, packets: false, rate: $0)
        } + [1_000, 10_000, 100_000, 1_000_000, 10_000_000].map { Case(direction: direction, packets: true, rate: $0) }
    }

    /// The trace's frame sizes, replayed in order.
    let lengths: [UInt64]
    /// The long-run window after the first second.
    let seconds: Double
    /// The largest frame the port admits by (`mtu` 1500 + 18), as from-vm assumes before dequeuing.
    let maxFrame: UInt64 = 1518
    let tscHz = EAL.tscHz

    /// Runs a case, once more if it failed (a shared machine may deschedule the replay longer than the burst
    /// lasts; tokens above the burst are lost by definition): the report shows the attempts.
    func check(_ c: Case) -> Result {
        var result = run(c)
        if !result.ok {
            result = run(c)
            result.attempts = 2
        }
        return result
    }

    func run(_ c: Case) -> Result {
        // A burst of 200 ms at the rate, at least two full frames (or 64 packets): longer than the replay is
        // descheduled on a busy shared machine, so that it loses no tokens meanwhile.
        let burst = c.packets ? max(c.rate / 5, 64) : max(c.rate / 8 / 5, 2 * maxFrame)
        let spec = TokenBucketSpec(
            tokens: c.rate, perSeconds: c.packets ? 1 : 8, size: burst, oneTimeBurst: 0, tscHz: tscHz)
        let specs = UnsafeMutablePointer<QoSDirectionSpec>.allocate(capacity: 2)
        specs.initialize(repeating: .unlimited, count: 2)
        specs[c.direction.rawValue] = QoSDirectionSpec(
            bytes: c.packets ? nil : spec, packets: c.packets ? spec : nil, maxFrame: maxFrame)
        let state = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: QoSTables.wordsPerSlot)
        for i in 0..<QoSTables.wordsPerSlot { (state + i).initialize(to: Atomic(0)) }
        let counters = CounterBlock.allocate(count: QoSCounters.count)
        defer {
            specs.deallocate()
            state.deallocate()
            counters.deallocate()
        }
        let limited = PortSet.allocate([0])
        defer { limited.deallocate() }
        let tables = QoSTables(
            fromVM: limited, toVM: limited, specs: UnsafePointer(specs), state: state, counters: counters)
        let passedIndex = QoSCounters.index(
            slot: 0, c.direction, c.packets ? QoSCounters.passedPackets : QoSCounters.passedBytes)
        func passed() -> Double { Double(counters.load(passedIndex)) }

        let first = tscHz
        let window = UInt64(seconds * Double(tscHz))
        var next = 0
        var offered: UInt64 = 0
        var firstSample: (tsc: UInt64, passed: Double)?
        let t0 = readTSC()
        tables.bucket(slot: 0, c.direction, packets: c.packets).reset(spec, at: t0)
        var tsc = t0
        while true {
            tsc = readTSC()
            if firstSample == nil && tsc &- t0 >= first {
                firstSample = (tsc, passed())
            } else if let start = firstSample, tsc &- start.tsc >= window {
                break
            }
            switch c.direction {
            case .fromVM:
                let n = tables.fromVMAllowance(slot: 0, limit: 32, tsc: tsc)
                offered &+= c.packets ? 32 : 32 &* maxFrame
                guard n > 0 else { continue }
                var bytes: UInt64 = 0
                for _ in 0..<n {
                    bytes &+= lengths[next]
                    next = next &+ 1 == lengths.count ? 0 : next &+ 1
                }
                tables.fromVMCharge(slot: 0, packets: n, bytes: bytes, tsc: tsc)
            case .toVM:
                let t = TokenBucketSpec.scaled(tsc)
                for _ in 0..<32 {
                    let length = lengths[next]
                    offered &+= c.packets ? 1 : length
                    // A refused frame is dropped: the next frame of the trace is offered next.
                    _ = tables.admitToVM(slot: 0, length: length, at: t)
                    next = next &+ 1 == lengths.count ? 0 : next &+ 1
                }
            }
        }
        let end = (tsc: tsc, passed: passed())
        let start = firstSample!
        let unit = c.packets ? 1.0 : 8.0
        let tokensPerSecond = Double(c.rate) / unit
        let measured = (end.passed - start.passed) / (Double(end.tsc &- start.tsc) / Double(tscHz)) * unit
        let errorPercent = (measured / Double(c.rate) - 1) * 100
        let excess = start.passed - tokensPerSecond * Double(start.tsc &- t0) / Double(tscHz)
        // Two frames' worth (admission by the largest frame, a frame in flight), the tokens of 10 µs (the sample
        // is taken between two polls of the replay), and what the bucket's fixed-point rate (a scaled cycle
        // count per token, rounded down) adds over the second.
        let effective = Double(tscHz) * Double(1 << TokenBucketSpec.scaleShift) / Double(spec.cyclesPerToken)
        let tolerance =
            (c.packets ? 2.0 : Double(2 * maxFrame)) + tokensPerSecond * 10e-6 + abs(effective - tokensPerSecond)
        let offeredRate = Double(offered) / (Double(end.tsc &- t0) / Double(tscHz)) * unit
        let ok =
            offeredRate > Double(c.rate) * 1.05 && abs(errorPercent) <= 2 && abs(excess - Double(burst)) <= tolerance
        return Result(
            direction: c.direction.name, bucket: c.packets ? "packets" : "bandwidth", configured: Double(c.rate),
            measured: measured, errorPercent: errorPercent, burst: burst, firstSecondExcess: excess,
            firstSecondTolerance: tolerance, offered: offeredRate, attempts: 1, ok: ok)
    }

    /// One line per case, for people.
    static func table(_ results: [Result]) -> String {
        func rate(_ value: Double, packets: Bool) -> String {
            packets ? String(format: "%.1f kpps", value / 1e3) : String(format: "%.3f Mbit/s", value / 1e6)
        }
        var lines = [
            [
                "direction", "bucket", "configured", "measured", "error", "burst", "first-second-excess", "offered",
                "attempts", "verdict",
            ]
        ]
        for r in results {
            let packets = r.bucket == "packets"
            lines.append([
                r.direction, r.bucket, rate(r.configured, packets: packets), rate(r.measured, packets: packets),
                String(format: "%+.3f %%", r.errorPercent), "\(r.burst) \(packets ? "pkts" : "B")",
                String(format: "%.0f ± %.0f", r.firstSecondExcess, r.firstSecondTolerance),
                rate(r.offered, packets: packets), "\(r.attempts)", r.ok ? "ok" : "FAIL",
            ])
        }
        let widths = (0..<lines[0].count).map { column in lines.map { $0[column].count }.max()! }
        return lines.map { line in
            zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

extension SluiceBench {
    /// `--check-qos-rates`: every case of `QoSRateCheck` (or the low rates only, with `--qos-quick`) on the
    /// trace's frame sizes; a table or JSON; exit status 1 when a case is outside its tolerance.
    func runQoSRateCheck(frames: [[UInt8]]) throws {
        let arguments = [
            "sluice-bench", "-l", String(mainLcore), "--no-huge", "-m", "64", "--no-pci",
            "--file-prefix", "sluice-bench-qos-\(getpid())", "--log-level=lib.eal:error",
        ]
        do {
            try EAL.initialize(arguments: arguments)
        } catch {
            FileHandle.standardError.write(Data("sluice-bench: \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { EAL.cleanup() }
        let check = QoSRateCheck(lengths: frames.map { UInt64($0.count) }, seconds: qosRateSeconds)
        let cases = QoSRateCheck.cases.filter { !qosQuick || $0.rate <= ($0.packets ? 10_000 : 10_000_000) }
        let results = cases.map { check.check($0) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            print(QoSRateCheck.table(results), terminator: "")
        }
        if results.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }
}
