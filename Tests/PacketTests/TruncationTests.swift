import Packet
import Testing

/// Every prefix of every golden frame, placed flush against a guard page (after it and before it), so any
/// read outside the prefix crashes. The outcome of each prefix is predicted exactly: shorter than the L3
/// packet is one specific error; at least the L3 packet (padding cut) parses to the full frame's headers.
@Suite struct TruncationTests {
    let buffer = GuardedBuffer()

    /// What a prefix of `count` bytes of `golden` must parse to.
    static func expectedOutcome(_ golden: Golden, count: Int) -> Result<PacketHeaders, ParseError> {
        let e = golden.expected
        let l3 = Int(e.l3Offset)
        if count < 14 { return .failure(.truncatedEthernet) }
        if e.flags.contains(.vlanTagged) && count < 18 { return .failure(.truncatedVLAN) }
        let isL3Known = e.flags.contains(.arp) || e.flags.contains(.ipv4) || e.flags.contains(.ipv6)
        if !isL3Known {
            var h = e
            h.l3End = UInt16(count)
            return .success(h)
        }
        if count >= Int(e.l3End) { return .success(e) }
        if e.flags.contains(.arp) { return .failure(.truncatedARP) }
        if e.flags.contains(.ipv4) {
            if count - l3 < 20 { return .failure(.truncatedIPv4) }
            let headerLength = Int(golden.frame[l3] & 0x0f) * 4
            return .failure(headerLength > count - l3 ? .badIPv4HeaderLength : .badIPv4TotalLength)
        }
        return .failure(count - l3 < 40 ? .truncatedIPv6 : .badIPv6PayloadLength)
    }

    @Test(arguments: allGoldens)
    func everyPrefix(golden: Golden) {
        var mismatches = 0
        golden.frame.withUnsafeBytes { raw in
            for count in 0...golden.frame.count {
                for placement in ["end", "start"] {
                    let parse = { (data: UnsafeRawPointer, length: Int) -> (PacketHeaders, ParseError?) in
                        var headers = sentinelHeaders
                        let error = PacketParser.parse(data, length: length, into: &headers)
                        return (headers, error)
                    }
                    let (headers, error) =
                        placement == "end"
                        ? buffer.atEnd(raw, count: count, parse) : buffer.atStart(raw, count: count, parse)
                    let outcome: Result<PacketHeaders, ParseError> = error.map { .failure($0) } ?? .success(headers)
                    let expected = Self.expectedOutcome(golden, count: count)
                    if outcome != expected {
                        mismatches += 1
                        Issue.record(
                            "\(golden.name)[0..<\(count)] at \(placement): got \(outcome), expected \(expected)")
                    }
                    if error == nil, let broken = brokenInvariant(headers, length: count) {
                        Issue.record("\(golden.name)[0..<\(count)]: \(broken)")
                    }
                    if error != nil && headers != sentinelHeaders {
                        Issue.record("\(golden.name)[0..<\(count)]: failure modified the headers")
                    }
                }
                let reference = ReferenceParser.parse(Array(golden.frame[0..<count]))
                let expected = Self.expectedOutcome(golden, count: count).mapError { RefError(rawValue: $0.name)! }
                if reference != expected {
                    Issue.record("\(golden.name)[0..<\(count)]: reference got \(reference), expected \(expected)")
                }
                if mismatches > 5 { return }
            }
        }
    }
}
