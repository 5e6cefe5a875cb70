import Foundation
import Packet
import Testing

/// Seeded differential fuzzing: PacketParser against ReferenceParser on random, structured-random and mutated
/// golden frames. Every case is derived from (seed, case index) alone, so one failing case can be replayed:
///
///     SLUICE_FUZZ_SEED=0x... SLUICE_FUZZ_CASE=123456 swift test --filter FuzzTests
///
/// SLUICE_FUZZ_CASES changes the number of cases (default 1,000,000).
@Suite struct FuzzTests {
    static let defaultSeed: UInt64 = 0x5_1c1c_e0f0_2025
    static let defaultCases = 1_000_000

    static func environmentNumber(_ name: String) -> UInt64? {
        guard let text = ProcessInfo.processInfo.environment[name] else { return nil }
        if text.hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }

    @Test func differentialFuzz() {
        let seed = Self.environmentNumber("SLUICE_FUZZ_SEED") ?? Self.defaultSeed
        let total = Int(Self.environmentNumber("SLUICE_FUZZ_CASES") ?? UInt64(Self.defaultCases))
        let cases: Range<Int> =
            if let only = Self.environmentNumber("SLUICE_FUZZ_CASE") { Int(only)..<Int(only) + 1 } else { 0..<total }
        let seedText = "0x" + String(seed, radix: 16)

        let corpus = FuzzCorpus(seed: seed)
        let buffer = GuardedBuffer()
        var frame: [UInt8] = []
        frame.reserveCapacity(1 << 16)
        var outcomes = [Int](repeating: 0, count: ParseError.allCases.count + 1)  // last: success
        var flagCounts = [Int](repeating: 0, count: 16)
        var failures = 0
        var fastAccepted = 0
        let clock = ContinuousClock()
        let started = clock.now

        for index in cases {
            var rng = SplitMix64(seed: seed ^ (UInt64(index) &* 0xd1b5_4a32_d192_ed03))
            corpus.generate(into: &frame, rng: &rng)
            // The ingress port's MTU: mostly none; in one case in ten a few bytes either side of this frame's
            // (tagged and untagged), sometimes with the frame continuing past this first segment.
            var mtu = PacketParser.maximumFrameLength
            var frameLength = frame.count
            if rng.chance(10) {
                mtu = max(0, frame.count - 20 + rng.below(8))
                if rng.chance(30) { frameLength += rng.below(64) }
            }

            let (headers, error) = frame.withUnsafeBytes { raw in
                buffer.atEnd(raw, count: raw.count) { data, length in
                    var headers = sentinelHeaders
                    let error =
                        mtu == PacketParser.maximumFrameLength && frameLength == length
                        ? PacketParser.parse(data, length: length, into: &headers)
                        : PacketParser.parse(data, length: length, frameLength: frameLength, mtu: mtu, into: &headers)
                    return (headers, error)
                }
            }
            let reference = ReferenceParser.parse(frame, frameLength: frameLength, mtu: mtu)
            // The common-shape fast path on its own: either it declines and writes nothing, or it gives
            // exactly what the general parser gives.
            let (fast, fastHeaders, general) = frame.withUnsafeBytes { raw in
                buffer.atEnd(raw, count: raw.count) { data, length in
                    var fastHeaders = sentinelHeaders
                    let fast = PacketParser.parseCommonIPv4(
                        data, length: length, frameLength: frameLength, mtu: mtu, into: &fastHeaders)
                    var generalHeaders = sentinelHeaders
                    let generalError = PacketParser.parseAnyFrame(
                        data, length: length, frameLength: frameLength, mtu: mtu, into: &generalHeaders)
                    return (fast, fastHeaders, generalError == nil ? generalHeaders : nil)
                }
            }

            var problem: String? = nil
            if fast {
                fastAccepted += 1
                if fastHeaders != general {
                    problem = "fast path gave \(fastHeaders), general parser \(String(describing: general))"
                }
            } else if fastHeaders != sentinelHeaders {
                problem = "the fast path declined but modified the headers"
            }
            switch (error, reference) {
            case (nil, .success(let expected)):
                if headers != expected {
                    problem = "fields differ: parser \(headers), reference \(expected)"
                } else if let broken = brokenInvariant(headers, length: frame.count) {
                    problem = "invariant broken: \(broken) in \(headers)"
                } else if frame[6] & 1 != 0 || frameLength - Int(headers.l3Offset) > mtu {
                    problem = "accepted a frame with a group source or over the MTU \(mtu)"
                }
            case (let error?, .failure(let expected)):
                if error.name != expected.rawValue { problem = "error differs: parser \(error), reference \(expected)" }
                if headers != sentinelHeaders { problem = "a failed parse modified the headers" }
            case (nil, .failure(let expected)):
                problem = "parser succeeded with \(headers), reference failed with \(expected)"
            case (let error?, .success(let expected)):
                problem = "parser failed with \(error), reference succeeded with \(expected)"
            }
            if let problem {
                failures += 1
                Issue.record(
                    "fuzz seed \(seedText) case \(index) (replay: SLUICE_FUZZ_SEED=\(seedText) SLUICE_FUZZ_CASE=\(index)): \(problem); mtu \(mtu), frame length \(frameLength), first segment \(frame.count) bytes: \(hex(frame))"
                )
                if failures >= 5 { break }
            }

            if let error {
                outcomes[Int(error.rawValue)] += 1
            } else {
                outcomes[outcomes.count - 1] += 1
                var bits = headers.flags.rawValue
                while bits != 0 {
                    flagCounts[bits.trailingZeroBitCount] += 1
                    bits &= bits - 1
                }
            }
        }

        let elapsed = clock.now - started
        let summary = ParseError.allCases.map { "\($0.name)=\(outcomes[Int($0.rawValue)])" }.joined(separator: " ")
        print(
            "fuzz: \(cases.count) cases, seed \(seedText), \(elapsed); success=\(outcomes.last!) (fast path \(fastAccepted)) \(summary)"
        )

        // The generator must actually reach every outcome, or the agreement above proves little.
        if failures == 0 && cases.count >= 100_000 {
            for error in ParseError.allCases where error != .frameTooLong {
                #expect(outcomes[Int(error.rawValue)] >= 100, "fuzzing rarely reaches \(error.name)")
            }
            #expect(outcomes.last! >= cases.count / 10, "too few successful parses")
            #expect(fastAccepted >= cases.count / 50, "fuzzing rarely reaches the parser's fast path")
            for bit in 0..<13 {
                #expect(flagCounts[bit] >= 100, "fuzzing rarely sets flag bit \(bit)")
            }
        }
    }
}

/// Frames to mutate: the golden frames plus structured-random frames (deep header chains, odd lengths), each
/// with the offsets of the fields worth corrupting.
struct FuzzCorpus {
    struct Entry {
        let frame: [UInt8]
        /// Offsets of 16-bit fields that decide lengths and dispatch (EtherTypes, IP lengths, ports, ...).
        let fields16: [Int]
        /// Offsets of 8-bit fields that do (version/IHL, next header, protocol, data offset, ext lengths).
        let fields8: [Int]
        /// End of the headers: mutations prefer bytes before it.
        let headerEnd: Int
    }

    var entries: [Entry] = []
    static let structuredCount = 2000

    init(seed: UInt64) {
        var frames = allGoldens.map(\.frame)
        var rng = SplitMix64(seed: seed ^ 0xc0ffee)
        for _ in 0..<Self.structuredCount { frames.append(Self.structuredFrame(&rng)) }
        entries = frames.map(Self.entry)
    }

    static func entry(_ frame: [UInt8]) -> Entry {
        var fields16 = [12, 16]
        var fields8 = [14, 18]
        var headerEnd = min(frame.count, 64)
        if case .success(let h) = ReferenceParser.parse(frame) {
            let l3 = Int(h.l3Offset)
            let l4 = Int(h.l4Offset)
            headerEnd = min(frame.count, Int(h.payloadOffset) + 16)
            if h.flags.contains(.ipv4) {
                fields16 += [l3 + 2, l3 + 6]
                fields8 += [l3, l3 + 9]
            }
            if h.flags.contains(.ipv6) {
                fields16 += [l3 + 4]
                fields8 += [l3, l3 + 6]
                // Extension headers: next-header and length bytes of each.
                var next = Int(frame[l3 + 6])
                var at = l3 + 40
                while [0, 43, 44, 60].contains(next), at + 8 <= frame.count {
                    fields8 += [at, at + 1]
                    fields16 += [at + 2]
                    let size = next == 44 ? 8 : (Int(frame[at + 1]) + 1) * 8
                    next = Int(frame[at])
                    at += size
                }
            }
            if l4 != 0 {
                fields16 += [l4 + 2, l4 + 4]
                fields8 += [l4 + 8, l4 + 12]
            }
        }
        return Entry(
            frame: frame, fields16: fields16.filter { $0 + 2 <= frame.count },
            fields8: fields8.filter { $0 < frame.count },
            headerEnd: max(headerEnd, 1))
    }

    /// A random but well-formed (mostly) frame with a random header stack.
    static func structuredFrame(_ rng: inout SplitMix64) -> [UInt8] {
        func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in rng.byte() } }
        let destinations = [
            Build.hostB, .broadcast, EthernetAddress("01:00:5e:00:00:01")!, EthernetAddress(rawValue: rng.next()),
        ]
        let dst = destinations[rng.below(destinations.count)]
        let vlan: UInt16? = rng.chance(30) ? UInt16(truncatingIfNeeded: rng.next()) : nil

        func l4(version: Int, fragment: Bool) -> (UInt8, [UInt8]) {
            switch rng.below(8) {
            case 0, 1:
                let options = random(4 * rng.below(11))
                return (6, Build.tcp(flags: rng.byte(), options: options, random(rng.below(40))))
            case 2, 3:
                let payload = random(rng.below(48))
                let length: UInt16? = fragment ? UInt16(8 + payload.count + rng.below(3000)) : nil
                return (17, Build.udp(dst: UInt16(truncatingIfNeeded: rng.next()), length: length, payload))
            case 4, 5:
                let inner = Build.ethernet(
                    dst: hostC, src: hostD, type: rng.chance(50) ? 0x0800 : 0x86dd, random(rng.below(60)))
                let flags: UInt8 = rng.chance(85) ? 0x08 : rng.byte()
                return (
                    17,
                    Build.udp(dst: 4789, Build.vxlan(vni: UInt32(truncatingIfNeeded: rng.next()), flags: flags, inner))
                )
            case 6:
                return (version == 4 ? 1 : 58, Build.icmp(type: rng.byte(), random(rng.below(32))))
            default:
                let protocols: [UInt8] = [47, 50, 51, 59, 132, 1, 58, rng.byte()]
                return (protocols[rng.below(protocols.count)], random(rng.below(40)))
            }
        }

        var frame: [UInt8]
        switch rng.below(20) {
        case 0..<9:
            let fragmentWords: [UInt16] = [
                0x4000, 0x0000, 0x2000, UInt16(rng.below(0x2000)), 0x2000 | UInt16(rng.below(0x2000)),
            ]
            let fragment = fragmentWords[rng.chance(60) ? 0 : rng.below(fragmentWords.count)]
            let (proto, payload) = l4(version: 4, fragment: fragment & 0x2000 != 0)
            let options = rng.chance(20) ? random(4 * (1 + rng.below(10))) : []
            frame = Build.ethernet(
                dst: dst, vlan: vlan, type: 0x0800,
                Build.ipv4(proto: proto, fragment: fragment, options: options, payload))
        case 9..<17:
            var chain: [[UInt8]] = []
            var nextHeaders: [UInt8] = []
            var fragment = false
            for _ in 0..<(rng.chance(50) ? 0 : rng.below(11)) {
                let type: UInt8 = [0, 43, 60, 44][rng.below(4)]
                nextHeaders.append(type)
                if type == 44 {
                    fragment = true
                    chain.append(
                        Build.ipv6Fragment(
                            next: 0, offset: rng.chance(70) ? 0 : UInt16(rng.below(0x2000)), more: rng.chance(50)))
                } else {
                    chain.append(Build.ipv6Options(next: 0, units: UInt8(rng.below(4))))
                }
            }
            let (proto, payload) = l4(version: 6, fragment: fragment)
            nextHeaders.append(proto)
            // Link the chain: each header's first byte names the next one.
            var body: [UInt8] = []
            for (i, header) in chain.enumerated() {
                var header = header
                header[0] = nextHeaders[i + 1]
                body += header
            }
            frame = Build.ethernet(dst: dst, vlan: vlan, type: 0x86dd, Build.ipv6(next: nextHeaders[0], body + payload))
        case 17, 18:
            frame = Build.ethernet(
                dst: dst, vlan: vlan, type: 0x0806,
                Build.arp(
                    opcode: UInt16(1 + rng.below(2)), sha: Build.hostA,
                    spa: IPv4Address(rawValue: UInt32(truncatingIfNeeded: rng.next())), tha: .zero,
                    tpa: IPv4Address(10, 0, 0, 9)))
        default:
            let types: [UInt16] = [0x88cc, 0x8100, 0x88a8, 0x9100, 0x0026, UInt16(truncatingIfNeeded: rng.next())]
            frame = Build.ethernet(dst: dst, vlan: vlan, type: types[rng.below(types.count)], random(rng.below(80)))
        }
        if rng.chance(40) { frame = Build.padded(frame, to: 60 + 4 * rng.below(3)) }
        return frame
    }

    static let etherTypes: [UInt16] = [0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x9100]
    static let boundary16: [UInt16] = [0, 1, 7, 8, 19, 20, 21, 29, 30, 39, 40, 0x7fff, 0xfffe, 0xffff, 4789]

    /// Writes case input into `frame`, reusing its storage.
    func generate(into frame: inout [UInt8], rng: inout SplitMix64) {
        frame.removeAll(keepingCapacity: true)
        if rng.chance(12) {
            // Pure random bytes, often steered to a known EtherType and IP version so they get past Ethernet.
            let count = rng.below(130)
            for _ in 0..<count { frame.append(rng.byte()) }
            if count >= 14 && rng.chance(70) {
                let type = Self.etherTypes[rng.below(Self.etherTypes.count)]
                frame[12] = UInt8(type >> 8)
                frame[13] = UInt8(type & 0xff)
                if count > 14 && rng.chance(60) { frame[14] = rng.chance(50) ? 0x45 : 0x60 }
            }
            return
        }
        let entry = entries[rng.below(entries.count)]
        frame.append(contentsOf: entry.frame)
        for _ in 0..<(1 + rng.below(3)) {
            guard !frame.isEmpty else { break }
            // Mostly hit header bytes; sometimes anywhere.
            let span = rng.chance(80) ? min(entry.headerEnd, frame.count) : frame.count
            switch rng.below(10) {
            case 0, 1:
                frame[rng.below(span)] ^= 1 << UInt8(rng.below(8))
            case 2:
                frame[rng.below(span)] = rng.byte()
            case 3:
                frame.removeLast(rng.below(frame.count + 1) / (rng.chance(50) ? 1 : 8))
            case 4, 5:
                // Length or dispatch field corruption.
                if rng.chance(60), !entry.fields16.isEmpty {
                    let at = entry.fields16[rng.below(entry.fields16.count)]
                    guard at + 2 <= frame.count else { break }
                    let old = UInt16(frame[at]) << 8 | UInt16(frame[at + 1])
                    let deltas: [Int] = [-9, -8, -4, -1, 1, 4, 8, 9]
                    let value: UInt16 =
                        switch rng.below(3) {
                        case 0: Self.boundary16[rng.below(Self.boundary16.count)]
                        case 1: UInt16(truncatingIfNeeded: Int(old) + deltas[rng.below(deltas.count)])
                        default: UInt16(truncatingIfNeeded: rng.next())
                        }
                    frame[at] = UInt8(value >> 8)
                    frame[at + 1] = UInt8(value & 0xff)
                } else if !entry.fields8.isEmpty {
                    let at = entry.fields8[rng.below(entry.fields8.count)]
                    guard at < frame.count else { break }
                    let values: [UInt8] = [
                        0, 0x40, 0x44, 0x45, 0x46, 0x4f, 0x60, 0x50, 0xf0, 0x10, 1, 6, 17, 44, 58, 60, 0, 43, 59, 0xff,
                    ]
                    frame[at] =
                        rng.chance(70)
                        ? values[rng.below(values.count)] : frame[at] &+ UInt8(truncatingIfNeeded: rng.below(5) - 2)
                }
            case 6:
                for _ in 0..<(1 + rng.below(24)) { frame.append(rng.byte()) }
            case 7:
                if rng.chance(50) {
                    frame.insert(rng.byte(), at: rng.below(span + 1))
                } else {
                    frame.remove(at: rng.below(span))
                }
            case 8:
                let type = Self.etherTypes[rng.below(Self.etherTypes.count)]
                let at = rng.chance(50) ? 12 : 16
                if at + 2 <= frame.count {
                    frame[at] = UInt8(type >> 8)
                    frame[at + 1] = UInt8(type & 0xff)
                }
            default:
                // Swap in a 16-bit value from the same frame at another field (plausible but wrong lengths).
                if entry.fields16.count >= 2 {
                    let a = entry.fields16[rng.below(entry.fields16.count)]
                    let b = entry.fields16[rng.below(entry.fields16.count)]
                    if a + 2 <= frame.count && b + 2 <= frame.count {
                        frame.swapAt(a, b)
                        frame.swapAt(a + 1, b + 1)
                    }
                }
            }
        }
    }
}
