import DPDK
import Foundation
import Packet
import Pipeline
import Testing

// A property test of the whole pipeline: ≥ 1,000,000 random, truncated and mutated frames pushed through
// `SwitchPipeline` in bursts from random ingress ports of a 4-port bridge, against a model of the bridge
// written independently in this file (`BridgeModel`). Checked:
// - no crash;
// - every frame each port transmits, in order, against the model (an FNV-1a hash of its bytes per frame);
// - mbuf accounting after every burst: once the rings are drained the pool's available count is back where
//   it started (so also at the end);
// - every stage's counters, exactly, against the model (calls, packets in and out, each drop reason, each L2
//   event), and the MAC table's contents after each epoch;
// - counter consistency without the model: for every stage but transmit, packets-in = packets-out + drops,
//   and each stage's packets-in is the previous stage's packets-out; for transmit,
//       packets-in + copies = packets-out + drops
//   where a flood to n ports is one packet in and n out, so `copies` = sum over flooded packets of (their
//   output ports - 1) — taken from the model, which knows which packets were flooded to how many ports — and
//   packets-out is also the number of frames drained from the rings and the sum of the ports' tx counters.
//
// Reproducible: the frames come from a seeded PRNG (xoshiro256**) and the MAC table's hash seed is fixed.
// SLUICE_FUZZ_SEED and SLUICE_FUZZ_FRAMES override the seed and the frame count; a failure names the seed
// and the burst.
//
// The parser is the one thing the model borrows: it calls `PacketParser.parse` (tested on its own against an
// independent reference parser in PacketTests) to know which frames the parse stage must drop and where
// their headers are. Port security, VLAN assignment, learning, forwarding, flooding and tagging are
// re-implemented here from their specifications.

/// xoshiro256** seeded through SplitMix64: small, fast in a debug build, the same on every platform.
struct FuzzRandom {
    var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9e37_79b9_7f4a_7c15
            var z = x
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// 0 ..< n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// True with probability `percent` / 100.
    mutating func percent(_ percent: Int) -> Bool { below(100) < percent }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}

/// Writes a frame forward into a fixed buffer; fields that depend on what follows are patched afterwards.
struct FrameWriter {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
        base.initialize(repeating: 0, count: capacity)
    }

    func deallocate() { base.deallocate() }

    mutating func u8(_ value: UInt8) {
        if count < capacity { base[count] = value }
        count += 1
    }
    mutating func u16(_ value: UInt16) {
        u8(UInt8(value >> 8))
        u8(UInt8(truncatingIfNeeded: value))
    }
    mutating func u32(_ value: UInt32) {
        u16(UInt16(value >> 16))
        u16(UInt16(truncatingIfNeeded: value))
    }
    mutating func mac(_ value: UInt64) {
        u16(UInt16(truncatingIfNeeded: value >> 32))
        u32(UInt32(truncatingIfNeeded: value))
    }
    mutating func ipv6(_ address: IPv6Address) {
        u32(UInt32(address.high >> 32))
        u32(UInt32(truncatingIfNeeded: address.high))
        u32(UInt32(address.low >> 32))
        u32(UInt32(truncatingIfNeeded: address.low))
    }
    mutating func random(_ n: Int, _ rng: inout FuzzRandom) { for _ in 0..<n { u8(rng.byte()) } }
    mutating func zeros(_ n: Int) { for _ in 0..<n { u8(0) } }
    func patch16(_ offset: Int, _ value: UInt16) {
        guard offset + 1 < capacity else { return }
        base[offset] = UInt8(value >> 8)
        base[offset + 1] = UInt8(truncatingIfNeeded: value)
    }
    func u16(at offset: Int) -> UInt16 { UInt16(base[offset]) << 8 | UInt16(base[offset + 1]) }
    func u32(at offset: Int) -> UInt32 { UInt32(u16(at: offset)) << 16 | UInt32(u16(at: offset + 2)) }
    func mac(at offset: Int) -> UInt64 { UInt64(u16(at: offset)) << 32 | UInt64(u32(at: offset + 2)) }
    /// The frame is `count` bytes, at most `capacity`.
    mutating func clamp() { count = min(count, capacity) }
}

/// FNV-1a over a frame's bytes, fed in pieces so that the model can hash a frame with a tag pushed, popped or
/// rewritten without building it.
struct FNV {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ byte: UInt8) { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    mutating func add(_ bytes: UnsafePointer<UInt8>, _ range: Range<Int>) { for i in range { add(bytes[i]) } }
    mutating func add16(_ value: UInt16) {
        add(UInt8(value >> 8))
        add(UInt8(truncatingIfNeeded: value))
    }
}

/// The fuzzed network: hosts, their home ports, the ports' configuration (kept apart from the pipeline's
/// `BridgePortSpec`s on purpose: the model's VLAN sets are computed here).
enum FuzzNet {
    static let hosts: [UInt64] = (0..<8).map { 0x0200_0000_0100 | UInt64($0) }
    static func hostIPv4(_ i: Int) -> UInt32 { 0x0a00_0100 | UInt32(i) }  // 10.0.1.i
    static func hostIPv6(_ i: Int) -> IPv6Address { IPv6Address(high: 0x2001_0db8_0001_0000, low: UInt64(i)) }
    /// Host i lives on port i % 4 (it also shows up elsewhere now and then: moves).
    static func home(_ host: Int) -> Int { host % 4 }

    struct Port {
        var access: UInt16?
        var allowed: Set<UInt16> = []
        var native: UInt16?
        var securityMAC: UInt64?
        var securityIPv4: [UInt32] = []
        var securityIPv6: [IPv6Address] = []
        var limit = MACTable.unlimited
        /// Frames (up to 256 bytes here) with more than this after the Ethernet header and tag are dropped.
        var mtu = 1500
    }

    /// Port 0: access 10, port security (host 0's MAC and addresses). Port 1: access 10, MTU 100. Port 2:
    /// access 20, at most 6 learned MACs. Port 3: trunk 10, 20, 40, no native VLAN (VLAN 40 has no other
    /// port), MTU 120. The small MTUs cut through the fuzzed frames' lengths (60 to 256 bytes).
    static let ports: [Port] = [
        Port(access: 10, securityMAC: hosts[0], securityIPv4: [hostIPv4(0)], securityIPv6: [hostIPv6(0)]),
        Port(access: 10, mtu: 100),
        Port(access: 20, limit: 6),
        Port(allowed: [10, 20, 40], mtu: 120),
    ]

    static var specs: [BridgePortSpec] {
        ports.map { port in
            BridgePortSpec(
                vlanMode: port.access.map { .access(vlan: $0) }
                    ?? .trunk(allowed: port.allowed.sorted(), native: port.native),
                allowedMAC: port.securityMAC.map { EthernetAddress(rawValue: $0) },
                allowedIPv4: port.securityMAC == nil ? nil : port.securityIPv4.map { IPv4Address(rawValue: $0) },
                allowedIPv6: port.securityMAC == nil ? nil : port.securityIPv6, mtu: port.mtu)
        }
    }
}

/// What the pipeline must do, frame by frame: the expected counters of every stage, the expected output
/// of every port and the MAC table.
struct BridgeModel {
    struct Counters: Equatable, CustomStringConvertible {
        var calls: UInt64 = 0, packetsIn: UInt64 = 0, packetsOut: UInt64 = 0
        var drops: [UInt64]
        var events: [UInt64]
        init(drops: Int, events: Int = 0) {
            self.drops = Array(repeating: 0, count: drops)
            self.events = Array(repeating: 0, count: events)
        }
        init(_ snapshot: StageSnapshot) {
            calls = snapshot.calls
            packetsIn = snapshot.packetsIn
            packetsOut = snapshot.packetsOut
            drops = snapshot.drops
            events = snapshot.events
        }
        var description: String { "calls \(calls) in \(packetsIn) out \(packetsOut) drops \(drops) events \(events)" }
    }

    var parse = Counters(drops: ParseStage.dropReasons.count)
    var portSecurity = Counters(drops: 5)
    var vlan = Counters(drops: 3)
    var l2 = Counters(drops: 2, events: 7)  // same-port, split-horizon (no VTEPs here: always 0)
    var transmit = Counters(drops: TransmitStage.Drop.allCases.count)
    /// Flood copies made: the `copies` of the transmit identity.
    var copies: UInt64 = 0
    /// (VLAN << 48 | MAC) → port, and how many learned MACs each port owns.
    var table: [UInt64: Int] = [:]
    var learned = [Int](repeating: 0, count: 4)
    /// Per port, the hashes of the frames it must transmit for the burst being modelled, in order.
    var expected: [[UInt64]] = Array(repeating: [], count: 4)

    let members: [UInt16: [Int]]
    let untagged: [UInt16: Set<Int>]

    init() {
        var members: [UInt16: [Int]] = [:]
        var untagged: [UInt16: Set<Int>] = [:]
        for (index, port) in FuzzNet.ports.enumerated() {
            if let access = port.access {
                members[access, default: []].append(index)
                untagged[access, default: []].insert(index)
            } else {
                for vlan in port.allowed { members[vlan, default: []].append(index) }
                if let native = port.native {
                    if !port.allowed.contains(native) { members[native, default: []].append(index) }
                    untagged[native, default: []].insert(index)
                }
            }
        }
        self.members = members.mapValues { $0.sorted() }
        self.untagged = untagged
    }

    mutating func resetTable() {
        table.removeAll(keepingCapacity: true)
        learned = [0, 0, 0, 0]
    }

    /// Stage calls for one burst: a stage runs only while the burst still has packets.
    mutating func countCalls(parsed: Int, secured: Int, assigned: Int, switched: Int, received: Int) {
        if received > 0 { parse.calls += 1 }
        if parsed > 0 { portSecurity.calls += 1 }
        if secured > 0 { vlan.calls += 1 }
        if assigned > 0 { l2.calls += 1 }
        if switched > 0 { transmit.calls += 1 }
    }

    enum Stage { case parse, portSecurity, vlan, l2, transmit }

    /// Models one frame from `ingress`; returns the last stage it reached.
    mutating func frame(_ data: UnsafePointer<UInt8>, length: Int, ingress: Int) -> Stage {
        parse.packetsIn += 1
        var headers = PacketHeaders()
        let mtu = FuzzNet.ports[ingress].mtu
        if let error = PacketParser.parse(
            UnsafeRawPointer(data), length: length, frameLength: length, mtu: mtu, into: &headers)
        {
            parse.drops[Int(error.rawValue)] += 1
            return .parse
        }
        // What the switch must refuse, from the specification: nothing with a group source or over the MTU
        // passes the parse stage.
        #expect(data[6] & 1 == 0, "a group source MAC passed the parser")
        #expect(length - (headers.flags.contains(.vlanTagged) ? 18 : 14) <= mtu, "a frame over the MTU passed")
        parse.packetsOut += 1

        // Port security.
        portSecurity.packetsIn += 1
        let port = FuzzNet.ports[ingress]
        func u32(_ offset: Int) -> UInt32 {
            UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8
                | UInt32(data[offset + 3])
        }
        func mac(_ offset: Int) -> UInt64 {
            UInt64(u32(offset)) << 16 | UInt64(data[offset + 4]) << 8 | UInt64(data[offset + 5])
        }
        if let allowedMAC = port.securityMAC {
            let restrict = !port.securityIPv4.isEmpty || !port.securityIPv6.isEmpty
            let l3 = Int(headers.l3Offset)
            var reason: Int?
            if mac(6) != allowedMAC {
                reason = 0
            } else if headers.flags.contains(.ipv4) {
                let source = u32(l3 + 12)
                if restrict && source != 0 && !port.securityIPv4.contains(source) { reason = 1 }
            } else if headers.flags.contains(.ipv6) {
                let high = UInt64(u32(l3 + 8)) << 32 | UInt64(u32(l3 + 12))
                let low = UInt64(u32(l3 + 16)) << 32 | UInt64(u32(l3 + 20))
                let unspecified = high == 0 && low == 0
                let linkLocal = high >> 48 & 0xffc0 == 0xfe80
                if restrict && !unspecified && !linkLocal
                    && !port.securityIPv6.contains(IPv6Address(high: high, low: low))
                {
                    reason = 2
                }
            } else if headers.flags.contains(.arp) {
                if mac(l3 + 8) != allowedMAC {
                    reason = 3
                } else {
                    let sender = u32(l3 + 14)
                    if restrict && sender != 0 && !port.securityIPv4.contains(sender) { reason = 4 }
                }
            }
            if let reason {
                portSecurity.drops[reason] += 1
                return .portSecurity
            }
        }
        portSecurity.packetsOut += 1

        // VLAN assignment.
        vlan.packetsIn += 1
        let tagged = headers.flags.contains(.vlanTagged)
        let tci = tagged ? UInt16(data[14]) << 8 | UInt16(data[15]) : 0
        let vid = tci & 0x0fff
        let bridgeVLAN: UInt16
        if !tagged || vid == 0 {
            guard let untaggedVLAN = port.access ?? port.native else {
                vlan.drops[2] += 1
                return .vlan
            }
            bridgeVLAN = untaggedVLAN
        } else if port.access == nil {
            guard port.allowed.contains(vid) || port.native == vid else {
                vlan.drops[1] += 1
                return .vlan
            }
            bridgeVLAN = vid
        } else {
            vlan.drops[0] += 1
            return .vlan
        }
        vlan.packetsOut += 1

        // Learning and forwarding.
        l2.packetsIn += 1
        let source = mac(6)
        if source != 0 && source & 0x0100_0000_0000 == 0 {
            let key = UInt64(bridgeVLAN) << 48 | source
            let limit = port.limit
            if let owner = table[key] {
                if owner != ingress {
                    if learned[ingress] >= limit {
                        l2.events[2] += 1
                    } else {
                        table[key] = ingress
                        learned[owner] -= 1
                        learned[ingress] += 1
                        l2.events[1] += 1
                    }
                }
            } else if learned[ingress] >= limit {
                l2.events[2] += 1
            } else {
                table[key] = ingress
                learned[ingress] += 1
                l2.events[0] += 1
            }
        }
        let destination = mac(0)
        var outputs: [Int]
        if destination & 0x0100_0000_0000 != 0 {
            l2.events[5] += 1
            outputs = []
        } else if let owner = table[UInt64(bridgeVLAN) << 48 | destination] {
            if owner == ingress {
                l2.drops[0] += 1
                return .l2
            }
            outputs = [owner]
        } else {
            l2.events[5] += 1
            l2.events[6] += 1
            outputs = []
        }
        let flood = outputs.isEmpty
        l2.packetsOut += 1

        // Transmit: flood expansion and tagging.
        transmit.packetsIn += 1
        let vlanMembers = members[bridgeVLAN] ?? []
        if flood {
            outputs = vlanMembers.filter { $0 != ingress }
            if outputs.isEmpty {
                transmit.drops[3] += 1
                return .transmit
            }
            copies += UInt64(outputs.count - 1)
        } else if !vlanMembers.contains(outputs[0]) {
            transmit.drops[4] += 1
            return .transmit
        }
        let untaggedPorts = untagged[bridgeVLAN] ?? []
        for out in outputs {
            var hash = FNV()
            if untaggedPorts.contains(out) {
                if tagged {
                    hash.add(data, 0..<12)
                    hash.add(data, 16..<length)
                } else {
                    hash.add(data, 0..<length)
                }
            } else if tagged {
                hash.add(data, 0..<14)
                hash.add16(vid == bridgeVLAN ? tci : (tci & 0xf000) | bridgeVLAN)
                hash.add(data, 16..<length)
            } else {
                hash.add(data, 0..<12)
                hash.add16(0x8100)
                hash.add16(bridgeVLAN)
                hash.add(data, 12..<length)
            }
            expected[out].append(hash.value)
            transmit.packetsOut += 1
        }
        return .transmit
    }
}

/// Generates the fuzz frames: mostly plausible traffic between the hosts, with tags, QinQ, ARP, IPv4 and
/// IPv6 (options, extension headers, fragments, VXLAN), some garbage, and a third of them mutated afterwards
/// (cut short, bytes flipped, length fields overwritten, junk appended).
struct FrameGenerator {
    var rng: FuzzRandom

    /// Writes one frame arriving on `ingress` into `w`.
    mutating func next(into w: inout FrameWriter, ingress: Int) {
        w.count = 0
        if rng.percent(8) {
            // Garbage: random bytes, random length (sometimes shorter than an Ethernet header).
            w.random(rng.below(160), &rng)
            return
        }
        // Source: a host, usually one that lives on this port; on port 0 usually the port's own host.
        var host = rng.below(FuzzNet.hosts.count)
        if rng.percent(75) {
            let local = FuzzNet.hosts.indices.filter { FuzzNet.home($0) == ingress }
            host = local[rng.below(local.count)]
        }
        var source = FuzzNet.hosts[host]
        switch rng.below(100) {
        case 0..<6: source = rng.next() & 0xfeff_ffff_ffff  // a random unicast MAC
        case 6..<8: source = 0
        case 8..<10: source = rng.next() & 0xffff_ffff_ffff | 0x0100_0000_0000  // a group address
        default: break
        }
        var destination: UInt64
        switch rng.below(100) {
        case 0..<25: destination = 0xffff_ffff_ffff
        case 25..<35: destination = [0x0100_5e00_00fb, 0x3333_0000_0001, 0x0180_c200_0000][rng.below(3)]
        case 35..<90: destination = FuzzNet.hosts[rng.below(FuzzNet.hosts.count)]
        default: destination = rng.next() & 0xfeff_ffff_ffff
        }
        w.mac(destination)
        w.mac(source)
        // Tags: none, one 802.1Q tag (VID 0, a bridge VLAN or any), or two (QinQ, stacked 802.1Q).
        let vids: [UInt16] = [0, 10, 20, 30, 40, 1, 4095]
        let tagRoll = rng.below(100)
        if tagRoll >= 50 {
            let tci =
                UInt16(truncatingIfNeeded: rng.below(16)) << 12
                | (rng.percent(80) ? vids[rng.below(vids.count)] : UInt16(truncatingIfNeeded: rng.below(4096)))
            if tagRoll >= 90 {
                w.u16([0x88a8, 0x9100, 0x8100][rng.below(3)])
                w.u16(UInt16(truncatingIfNeeded: rng.below(4096)))
            }
            w.u16(0x8100)
            w.u16(tci)
        }
        let l3 = w.count + 2
        switch rng.below(100) {
        case 0..<22: arp(&w, host: host)
        case 22..<60: ipv4(&w, host: host, l3: l3)
        case 60..<90: ipv6(&w, host: host, l3: l3)
        default:
            w.u16(rng.percent(80) ? 0x88b5 : UInt16(truncatingIfNeeded: rng.below(0x600)))
            w.random(rng.below(64), &rng)
        }
        if rng.percent(70) && w.count < 60 { w.zeros(60 - w.count) }
        w.clamp()
        if rng.percent(33) { mutate(&w, l3: l3) }
    }

    mutating func sourceIPv4(host: Int) -> UInt32 {
        switch rng.below(100) {
        case 0..<70: FuzzNet.hostIPv4(host)
        case 70..<80: 0
        case 80..<90: FuzzNet.hostIPv4(rng.below(FuzzNet.hosts.count))
        default: UInt32(truncatingIfNeeded: rng.next())
        }
    }

    mutating func arp(_ w: inout FrameWriter, host: Int) {
        w.u16(0x0806)
        w.u16(rng.percent(95) ? 1 : 6)
        w.u16(0x0800)
        w.u8(6)
        w.u8(rng.percent(97) ? 4 : 16)
        w.u16(UInt16(1 + rng.below(2)))
        w.mac(rng.percent(85) ? FuzzNet.hosts[host] : FuzzNet.hosts[rng.below(FuzzNet.hosts.count)])
        w.u32(sourceIPv4(host: host))
        w.mac(0)
        w.u32(FuzzNet.hostIPv4(rng.below(FuzzNet.hosts.count)))
    }

    mutating func ipv4(_ w: inout FrameWriter, host: Int, l3: Int) {
        w.u16(0x0800)
        let optionWords = rng.percent(85) ? 0 : rng.below(3)
        w.u8(0x45 + UInt8(optionWords))
        w.u8(0)
        w.u16(0)  // total length: patched below
        w.u16(UInt16(truncatingIfNeeded: rng.next()))
        let fragment: UInt16 = rng.percent(90) ? 0x4000 : [0x2000, 0x0010, 0x2020][rng.below(3)]
        w.u16(fragment)
        w.u8(64)
        let proto: UInt8 = [17, 17, 6, 1, 47, 17][rng.below(6)]
        w.u8(proto)
        w.u16(0)
        w.u32(sourceIPv4(host: host))
        w.u32(rng.percent(90) ? FuzzNet.hostIPv4(rng.below(FuzzNet.hosts.count)) : 0xffff_ffff)
        for _ in 0..<optionWords { w.u32(0x0101_0101) }
        l4(&w, proto: proto, ipv6: false)
        w.patch16(l3 + 2, UInt16(truncatingIfNeeded: w.count - l3))
    }

    mutating func ipv6(_ w: inout FrameWriter, host: Int, l3: Int) {
        w.u16(0x86dd)
        w.u32(0x6000_0000)
        w.u16(0)  // payload length: patched below
        let extensionRoll = rng.below(100)
        let proto: UInt8 = [17, 6, 58, 58, 59][rng.below(5)]
        w.u8(extensionRoll < 10 ? 0 : extensionRoll < 15 ? 44 : proto)
        w.u8(64)
        switch rng.below(100) {
        case 0..<65: w.ipv6(FuzzNet.hostIPv6(host))
        case 65..<72: w.ipv6(IPv6Address(high: 0, low: 0))
        case 72..<82:
            w.ipv6(IPv6Address(high: 0xfe80_0000_0000_0000 | (rng.next() & 0x003f_0000_0000_0000), low: rng.next()))
        case 82..<90: w.ipv6(FuzzNet.hostIPv6(rng.below(FuzzNet.hosts.count)))
        default: w.ipv6(IPv6Address(high: rng.next(), low: rng.next()))
        }
        w.ipv6(FuzzNet.hostIPv6(rng.below(FuzzNet.hosts.count)))
        if extensionRoll < 10 {
            w.u8(proto)
            w.u8(0)
            w.u8(1)
            w.u8(4)
            w.u32(0)  // hop-by-hop with PadN
        } else if extensionRoll < 15 {
            w.u8(proto)
            w.u8(0)
            w.u16(rng.percent(50) ? 1 : 0x0100)
            w.u32(7)  // fragment header
        }
        l4(&w, proto: proto, ipv6: true)
        w.patch16(l3 + 4, UInt16(truncatingIfNeeded: w.count - l3 - 40))
    }

    mutating func l4(_ w: inout FrameWriter, proto: UInt8, ipv6: Bool) {
        let payload = rng.below(48)
        switch proto {
        case 17:
            let vxlan = rng.percent(15)
            let start = w.count
            w.u16(UInt16(1024 + rng.below(1000)))
            w.u16(vxlan ? 4789 : UInt16(rng.below(1024)))
            w.u16(0)
            w.u16(0)
            if vxlan {
                w.u8(rng.percent(80) ? 0x08 : 0)
                w.zeros(7)
                w.random(rng.below(40), &rng)  // the inner frame, often too short
            } else {
                w.random(payload, &rng)
            }
            w.patch16(start + 4, UInt16(truncatingIfNeeded: w.count - start))
        case 6:
            w.u16(40000)
            w.u16(80)
            w.u32(1)
            w.u32(0)
            let words = rng.percent(90) ? 5 : rng.below(16)
            w.u8(UInt8(words) << 4)
            w.u8(0x10)
            w.u16(0xffff)
            w.u32(0)
            w.zeros(max(words - 5, 0) * 4)
            w.random(payload, &rng)
        case 1, 58:
            w.u8(ipv6 ? 128 : 8)
            w.u8(0)
            w.u16(0)
            w.u32(UInt32(truncatingIfNeeded: rng.next()))
            w.random(payload, &rng)
        default:
            w.random(payload, &rng)
        }
    }

    mutating func mutate(_ w: inout FrameWriter, l3: Int) {
        for _ in 0..<(1 + rng.below(3)) {
            switch rng.below(100) {
            case 0..<30:
                w.count = rng.below(w.count + 1)  // cut short
            case 30..<55:
                if w.count > 0 { w.base[rng.below(w.count)] ^= UInt8(1 << rng.below(8)) }  // flip a bit
            case 55..<85:
                // Overwrite a byte where headers keep lengths, types and tags.
                let spots = [
                    12, 13, 16, 17, l3, l3 + 2, l3 + 3, l3 + 4, l3 + 5, l3 + 6, l3 + 24, l3 + 25, l3 + 32, l3 + 44,
                    l3 + 45,
                ]
                let spot = spots[rng.below(spots.count)]
                if spot < w.count { w.base[spot] = rng.byte() }
            default:
                w.random(1 + rng.below(32), &rng)  // junk at the end
                w.clamp()
            }
        }
    }
}

extension DPDKBackedTests {
    @Suite struct PipelineFuzzTests {
        static let defaultSeed: UInt64 = 0x5eed_2026_0001
        static let defaultFrames = 1_000_000
        /// Bursts per epoch: after each, the MAC table is compared with the model and flushed (so that random
        /// source MACs cannot fill it over a million frames).
        static let epochBursts = 500

        @Test(
            "a million random, truncated and mutated frames through SwitchPipeline: model-exact outputs and counters, no leak"
        )
        func fuzzWholePipeline() throws {
            let environment = ProcessInfo.processInfo.environment
            let seed = environment["SLUICE_FUZZ_SEED"].flatMap { UInt64($0, radix: 16) } ?? Self.defaultSeed
            let frameCount = environment["SLUICE_FUZZ_FRAMES"].flatMap { Int($0) } ?? Self.defaultFrames
            let started = ContinuousClock.now
            let context = "seed 0x\(String(seed, radix: 16)) (rerun with SLUICE_FUZZ_SEED=\(String(seed, radix: 16)))"
            try TestDPDK.run { env in
                let tables = BridgeTables(ports: FuzzNet.specs)
                let table = MACTable(capacity: 1 << 14, ports: 4, limits: FuzzNet.ports.map(\.limit), seed: 0x5eed)
                defer { withExtendedLifetime((tables, table)) {} }
                let targets = env.targets()
                var pipeline = makeSwitchPipeline(bridge: tables, table: table, targets: targets)
                var burst = PacketBurst(capacity: 32)
                var generator = FrameGenerator(rng: FuzzRandom(seed: seed))
                var model = BridgeModel()
                var writer = FrameWriter(capacity: 256)
                defer { writer.deallocate() }
                let available = env.pool.available
                var frames = 0
                var bursts = 0
                var drained: UInt64 = 0
                var drainedBytes: UInt64 = 0
                var failures = 0
                func fail(_ message: String) {
                    failures += 1
                    Issue.record("\(context), burst \(bursts): \(message)")
                }
                var bursty = MbufBurst(capacity: 64)

                while frames < frameCount && failures == 0 {
                    // One burst: 1 to 32 frames from one random port.
                    let size = min(1 + generator.rng.below(32), frameCount - frames)
                    let ingress = generator.rng.below(4)
                    var reached = (parsed: 0, secured: 0, assigned: 0, switched: 0)
                    while burst.count < size {
                        generator.next(into: &writer, ingress: ingress)
                        guard let mbuf = env.pool.allocate(), let data = mbuf.append(writer.count) else {
                            fail(
                                "cannot allocate a frame of \(writer.count) bytes (pool available \(env.pool.available))"
                            )
                            break
                        }
                        data.copyMemory(from: writer.base, byteCount: writer.count)
                        burst.packets.append(mbuf)
                        switch model.frame(writer.base, length: writer.count, ingress: ingress) {
                        case .parse: break
                        case .portSecurity: reached.parsed += 1
                        case .vlan:
                            reached.parsed += 1
                            reached.secured += 1
                        case .l2:
                            reached.parsed += 1
                            reached.secured += 1
                            reached.assigned += 1
                        case .transmit:
                            reached.parsed += 1
                            reached.secured += 1
                            reached.assigned += 1
                            reached.switched += 1
                        }
                    }
                    model.countCalls(
                        parsed: reached.parsed, secured: reached.secured, assigned: reached.assigned,
                        switched: reached.switched, received: burst.count)
                    frames += burst.count
                    bursts += 1
                    burst.beginBurst(ingress: UInt16(ingress))
                    pipeline.process(&burst)
                    burst.releaseDropped()
                    if burst.count != 0 {
                        fail("\(burst.count) packets left in the burst")
                        burst.packets.freeAll()
                    }

                    // What each port sent, against the model.
                    for port in 0..<4 {
                        var got: [UInt64] = []
                        while env.ports[port].receive(queue: 0, into: &bursty) > 0 {
                            for i in 0..<bursty.count {
                                let mbuf = bursty[i]
                                var hash = FNV()
                                hash.add(mbuf.data.assumingMemoryBound(to: UInt8.self), 0..<mbuf.dataLength)
                                got.append(hash.value)
                                drainedBytes += UInt64(mbuf.packetLength)
                            }
                            drained += UInt64(bursty.count)
                            bursty.freeAll()
                        }
                        if got != model.expected[port] {
                            fail(
                                "ingress \(ingress): port \(port) sent \(got.count) frames, the model expected \(model.expected[port].count) (or other bytes)"
                            )
                        }
                        model.expected[port].removeAll(keepingCapacity: true)
                    }
                    if env.pool.available != available {
                        fail(
                            "pool available \(env.pool.available), expected \(available): mbufs leaked or double-freed")
                    }

                    if bursts % Self.epochBursts == 0 || frames >= frameCount {
                        // The MAC table against the model, then a fresh epoch.
                        var entries: [UInt64: Int] = [:]
                        for entry in table.entries(now: 0) {
                            entries[UInt64(entry.vlan) << 48 | entry.mac] = Int(entry.port)
                        }
                        if entries != model.table {
                            fail("MAC table: \(entries.count) entries, the model has \(model.table.count)")
                        }
                        for port in 0..<4 where table.learnedCount(port: port) != model.learned[port] {
                            fail(
                                "port \(port) owns \(table.learnedCount(port: port)) MACs, the model says \(model.learned[port])"
                            )
                        }
                        let snapshots = [
                            pipeline.parse.snapshot, pipeline.portSecurity.snapshot, pipeline.vlan.snapshot,
                            pipeline.l2.snapshot, pipeline.transmit.snapshot,
                        ]
                        let modelled = [model.parse, model.portSecurity, model.vlan, model.l2, model.transmit]
                        for (name, (real, expected)) in zip(
                            ["parse", "port-security", "vlan", "l2", "transmit"], zip(snapshots, modelled))
                        where BridgeModel.Counters(real) != expected {
                            fail("\(name) counters \(BridgeModel.Counters(real)), the model: \(expected)")
                        }
                        _ = table.flushAll()
                        _ = table.recycleTombstones(waitForGracePeriod: {})  // no other thread uses the table
                        model.resetTable()
                    }
                }
                let elapsed = ContinuousClock.now - started

                // Counter consistency, from the pipeline's own counters (no model needed except for `copies`).
                let parse = pipeline.parse.snapshot
                let security = pipeline.portSecurity.snapshot
                let vlan = pipeline.vlan.snapshot
                let l2 = pipeline.l2.snapshot
                let transmit = pipeline.transmit.snapshot
                for (name, stage) in [("parse", parse), ("port-security", security), ("vlan", vlan), ("l2", l2)] {
                    #expect(
                        stage.packetsIn == stage.packetsOut + stage.drops.reduce(0, +), "\(name): \(stage); \(context)")
                }
                #expect(parse.packetsIn == UInt64(frames), "\(context)")
                #expect(security.packetsIn == parse.packetsOut && vlan.packetsIn == security.packetsOut, "\(context)")
                #expect(l2.packetsIn == vlan.packetsOut && transmit.packetsIn == l2.packetsOut, "\(context)")
                #expect(
                    transmit.packetsIn + model.copies == transmit.packetsOut + transmit.drops.reduce(0, +),
                    "transmit: \(transmit), copies \(model.copies); \(context)")
                #expect(transmit.packetsOut == drained, "\(context)")
                let ports = targets.map { PortSnapshot($0.counters) }
                #expect(
                    ports.reduce(0) { $0 + $1.txPackets } == drained && ports.allSatisfy { $0.txDropped == 0 },
                    "\(context)")
                #expect(ports.reduce(0) { $0 + $1.txBytes } == drainedBytes, "\(context)")
                #expect(pipeline.patch.snapshot.calls == 0)
                #expect(env.pool.available == available, "\(context)")
                #expect(frames == frameCount, "\(context)")

                // The run must have exercised what it claims to: every path taken many times.
                let coverage: [(String, UInt64)] = [
                    ("parse drops", parse.drops.reduce(0, +)), ("port-security drops", security.drops.reduce(0, +)),
                    ("tagged-on-access", vlan.drops[0]), ("vlan-not-allowed", vlan.drops[1]),
                    ("untagged-on-trunk", vlan.drops[2]),
                    ("same-port", l2.drops[0]), ("learned", l2.events[0]), ("moved", l2.events[1]),
                    ("learn-limit", l2.events[2]),
                    ("flooded", l2.events[5]), ("unknown-unicast", l2.events[6]), ("flood-no-ports", transmit.drops[3]),
                    ("copies", model.copies), ("known unicast", l2.packetsOut - l2.events[5]),
                ]
                // (At a million frames: each at least 1000 times, each parse error and port-security reason at
                // least 10 and 100 times. frame-too-long cannot happen in a 2 KiB mbuf.)
                let scale = UInt64(frameCount / 1000)
                for (what, count) in coverage { #expect(count >= scale, "\(what): only \(count); \(context)") }
                for reason in ParseError.allCases where reason != .frameTooLong {
                    #expect(
                        parse.drops[Int(reason.rawValue)] >= scale / 100,
                        "parse \(reason): \(parse.drops[Int(reason.rawValue)]); \(context)")
                }
                for reason in 0..<5 {
                    #expect(security.drops[reason] >= scale / 10, "port-security reason \(reason); \(context)")
                }
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print(
                    """
                    pipeline fuzz: \(frames) frames in \(bursts) bursts, \(context), \(String(format: "%.1f", seconds)) s; \
                    parse \(parse.description), port-security drops \(security.drops), vlan drops \(vlan.drops), \
                    l2 drops \(l2.drops) events \(l2.events), transmit in \(transmit.packetsIn) + copies \(model.copies) \
                    = out \(transmit.packetsOut) + drops \(transmit.drops)
                    """)
            }
        }
    }
}
