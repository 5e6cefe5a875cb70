import Foundation
import PcapFile
import Testing

extension SystemTests {
    /// `sluice-bench --check-qos-rates`: the buckets' long-run rate within ±2 % and exactly the burst on top in
    /// the first second, on the real clock, against a trace of mixed frame sizes (60 to 1514 bytes). The debug
    /// build runs the low rates (`--qos-quick`); `tools/test` runs every rate on the release build.
    @Suite("QoS rate accuracy (sluice-bench --check-qos-rates)")
    struct QoSRateAccuracyTests {
        struct Result: Decodable {
            var direction: String
            var bucket: String
            var configured: Double
            var measured: Double
            var errorPercent: Double
            var burst: UInt64
            var firstSecondExcess: Double
            var firstSecondTolerance: Double
            var ok: Bool
        }

        @Test func lowRatesAreAccurate() throws {
            let directory = try System.scratchDirectory("qs-rates")
            defer { try? FileManager.default.removeItem(at: directory) }
            let trace = directory.appendingPathComponent("trace.pcap").path
            try PcapFile(frames: testFrames(count: 60, seed: 9)).write(path: trace)
            let output = try System.must(
                [
                    System.binary("sluice-bench"), "--trace", trace, "--check-qos-rates", "--qos-quick",
                    "--qos-rate-seconds", "1", "--json",
                ], timeout: .seconds(120))
            let results = try JSONDecoder().decode(
                [Result].self, from: Data(output.utf8.drop { $0 != UInt8(ascii: "[") }))
            // Both directions, both bucket kinds, two rates each.
            #expect(results.count == 8, "\(output)")
            #expect(Set(results.map { "\($0.direction) \($0.bucket)" }).count == 4)
            for r in results {
                #expect(r.ok, "\(r)")
                // The verdict is the report's; check its numbers too.
                #expect(abs(r.measured / r.configured - 1) <= 0.02, "\(r)")
                #expect(abs(r.firstSecondExcess - Double(r.burst)) <= r.firstSecondTolerance, "\(r)")
            }
        }
    }
}
