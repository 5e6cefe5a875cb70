import DPDK
import Packet

/// Stateful security groups (docs/security-groups.md): on a burst that comes from a filtered port or goes to
/// one, every IP packet must belong to a tracked connection (replies of allowed connections pass whatever
/// the rules say) or open one that the sender's egress rules and the receivers' ingress rules allow.
/// Runs after `l2`, when each packet's output port is known; for a flood it removes the filtered ports whose
/// rules refuse the packet (`PacketMeta.floodExclude`). ARP, DHCP, IPv6 neighbour discovery and the metadata
/// address pass. Bursts that touch no filtered port pass with one check.
public struct SecurityGroupStage: PipelineStage, ~Copyable {
    public static let name = "security-groups"
    public enum Drop: Int, StageReason {
        case noRule, invalid, tableFull, portLimit, fragment

        public var name: String {
            switch self {
            case .noRule: "sg-no-rule"
            case .invalid: "ct-invalid"
            case .tableFull: "ct-table-full"
            case .portLimit: "ct-port-limit"
            case .fragment: "sg-fragment"
            }
        }
    }

    public enum Event: Int, StageReason {
        case new, tracked, related, exempt, reopened

        public var name: String {
            switch self {
            case .new: "ct-new"
            case .tracked: "ct-tracked"
            case .related: "ct-related"
            case .exempt: "sg-exempt"
            case .reopened: "ct-reopened"
            }
        }
    }

    public let counters: Counters
    @usableFromInline var groups: SecurityGroupView
    @usableFromInline var bridge: BridgeView
    @usableFromInline let table: ConnTableView
    /// Last-seen times are written at most this often per connection (1/64 s).
    @usableFromInline let tickCycles: UInt64
    /// Per packet of the chunk being processed, what the first pass found, as arrays of small fields (29
    /// bytes a packet): `kinds` (`Kind`), the hash, the IPv4 key's two words (`keyWords[2k]`: `meta`,
    /// `[2k + 1]`: `addressPair`) and the candidate slot `probe` found.
    @usableFromInline let kinds: UnsafeMutablePointer<UInt8>
    @usableFromInline let hashes: UnsafeMutablePointer<UInt64>
    @usableFromInline let keyWords: UnsafeMutablePointer<UInt64>
    @usableFromInline let candidates: UnsafeMutablePointer<Int32>
    /// The rest of the packets (IPv6, ICMP errors and other ICMP, fragments, exempt traffic): a `Prepared`
    /// each, written only for them.
    @usableFromInline let prepared: UnsafeMutablePointer<Prepared>

    /// Packets whose lookups are prepared together: hashed and their buckets prefetched, then their
    /// candidate entries prefetched, then decided (VPP's and OVS's dpcls shape), so that the table's cache
    /// misses of a chunk overlap instead of following each other.
    @inlinable static var chunk: Int { 32 }

    public init(groups: SecurityGroupView, bridge: BridgeView, table: ConnTableView, tscHz: UInt64) {
        self.groups = groups
        self.bridge = bridge
        self.table = table
        tickCycles = max(tscHz / 64, 1)
        counters = Self.allocateCounters()
        kinds = .allocate(capacity: Self.chunk)
        kinds.initialize(repeating: 0, count: Self.chunk)
        hashes = .allocate(capacity: Self.chunk)
        hashes.initialize(repeating: 0, count: Self.chunk)
        keyWords = .allocate(capacity: 2 * Self.chunk)
        keyWords.initialize(repeating: 0, count: 2 * Self.chunk)
        candidates = .allocate(capacity: Self.chunk)
        candidates.initialize(repeating: -1, count: Self.chunk)
        prepared = .allocate(capacity: Self.chunk)
        prepared.initialize(repeating: Prepared(), count: Self.chunk)
    }

    deinit {
        kinds.deallocate()
        hashes.deallocate()
        keyWords.deallocate()
        candidates.deallocate()
        prepared.deallocate()
    }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {
        groups = tables.securityGroups
        bridge = tables.bridge
    }

    /// What the first pass found about a packet: the low two bits say what to do with it, the others what
    /// its lookup needs.
    @usableFromInline
    enum Kind {
        /// The packet passes unchecked.
        @inlinable static var pass: UInt8 { 0 }
        /// `prepared`'s verdict is final (exempt traffic, fragments, ICMP errors).
        @inlinable static var decided: UInt8 { 1 }
        /// `prepared`'s key must be looked up (IPv6, ICMP other than echo).
        @inlinable static var lookup: UInt8 { 2 }
        /// The IPv4 key in `keyWords` must be looked up (TCP, UDP, ICMP echo).
        @inlinable static var lookupIPv4: UInt8 { 3 }
        /// The low bits.
        @inlinable static var action: UInt8 { 3 }
        /// The packet's source is the key's B endpoint (`lookupIPv4`).
        @inlinable static var sourceIsB: UInt8 { 4 }
        /// The entry's second line is read too (TCP: the tracker's sides).
        @inlinable static var secondLine: UInt8 { 8 }
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        if _fastPath(!groups.anyFiltered) { return }
        let filtered = groups.filtered
        let ingress = Int(burst.ingress)
        let inFiltered = filtered.contains(ingress)
        let now = readTSC()
        let count = burst.count
        let t = table
        let seed = t.seed
        let kinds = kinds
        let hashes = hashes
        let keyWords = keyWords
        let candidates = candidates
        var kept = 0
        var start = 0
        var tracked: UInt64 = 0
        while start < count {
            let end = min(start &+ Self.chunk, count)
            // 1: build each key from the offsets parse found, hash it, prefetch both signature lines.
            for i in start..<end {
                let k = i &- start
                let m = burst.meta + i
                if !inFiltered {
                    // The filtered receivers: the one output port, or a flood's filtered VLAN members.
                    let egress = m.pointee.egress
                    var receives = false
                    if Int(egress) < PortLimit.maxPorts {
                        receives = filtered.contains(Int(egress))
                    } else if egress == PacketMeta.flood {
                        receives = hasFilteredReceiver(m.pointee.vlan, ingress: ingress)
                    }
                    if !receives {
                        kinds[k] = Kind.pass
                        continue
                    }
                }
                let data = UnsafeRawPointer(burst.packets[i].data)
                let h = m.pointee.headers
                let proto = h.l4Protocol
                var ports: UInt32 = 0
                var fast = h.flags.contains(.ipv4) && h.l4Offset != 0
                if fast {
                    let l4 = data + Int(h.l4Offset)
                    if proto == 6 || proto == 17 {
                        ports = SGWire.u32(l4, 0)
                        fast = proto == 6 || !Self.isExemptUDP(ports: ports)
                    } else if proto == 1 {
                        let type = SGWire.u8(l4, 0)
                        let id = UInt32(SGWire.u16(l4, 4))
                        ports = id << 16 | id
                        fast = type == 8 || type == 0
                    } else {
                        fast = false
                    }
                }
                if fast {
                    let l3 = data + Int(h.l3Offset)
                    let s = UInt64(SGWire.u32(l3, 12))
                    let d = UInt64(SGWire.u32(l3, 16))
                    fast = s != Self.metadataAddress && d != Self.metadataAddress
                    if fast {
                        // Canonical order: the lower (address, port) is endpoint A.
                        let sv = s << 16 | UInt64(ports >> 16)
                        let dv = d << 16 | UInt64(ports & 0xFFFF)
                        let sourceIsB = sv > dv
                        let a = sourceIsB ? dv : sv
                        let b = sourceIsB ? sv : dv
                        let keyMeta =
                            UInt64(m.pointee.vlan) << 48 | UInt64(proto) << 40 | 4 << 32 | (a & 0xFFFF) << 16
                            | (b & 0xFFFF)
                        let addresses = (a >> 16) << 32 | b >> 16
                        let hash = ConnKey.hashIPv4(meta: keyMeta, addresses: addresses, seed: seed)
                        keyWords[2 &* k] = keyMeta
                        keyWords[2 &* k &+ 1] = addresses
                        hashes[k] = hash
                        kinds[k] =
                            Kind.lookupIPv4 | (sourceIsB ? Kind.sourceIsB : 0) | (proto == 6 ? Kind.secondLine : 0)
                        t.prefetchBuckets(hash)
                        continue
                    }
                }
                prepareOther(k, data, m.pointee, ingress: ingress, inFiltered: inFiltered)
            }
            // 2: find each candidate slot by signature, prefetch its entry.
            for k in 0..<(end &- start) {
                let kind = kinds[k]
                if kind & Kind.lookup != 0 {
                    candidates[k] = Int32(
                        truncatingIfNeeded: t.probe(hashes[k], secondLine: kind & Kind.secondLine != 0))
                }
            }
            // 3: decide.
            for i in start..<end {
                let k = i &- start
                let kind = kinds[k]
                let action = kind & Kind.action
                if action == Kind.pass {
                    burst.keep(i, at: &kept)
                    continue
                }
                let verdict: Verdict
                if action == Kind.lookupIPv4 {
                    let keyMeta = keyWords[2 &* k]
                    let addresses = keyWords[2 &* k &+ 1]
                    let slot = t.lookupIPv4(
                        meta: keyMeta, addresses: addresses, hash: hashes[k], candidate: Int(candidates[k]))
                    let data = UnsafeRawPointer(burst.packets[i].data)
                    if slot >= 0 {
                        verdict = established(
                            slot, data, burst.meta[i].headers, sourceIsB: kind & Kind.sourceIsB != 0,
                            proto: UInt8(truncatingIfNeeded: keyMeta >> 40), now: now)
                        if verdict.drop < 0 { tracked &+= 1 }
                    } else {
                        verdict = openIPv4(
                            keyMeta, addresses, hash: hashes[k], sourceIsB: kind & Kind.sourceIsB != 0, data,
                            burst.meta[i], ingress: ingress, inFiltered: inFiltered,
                            exclusion: burst.floodExcludes.at(i), now: now)
                    }
                } else if action == Kind.lookup {
                    verdict = decide(
                        prepared + k, UnsafeRawPointer(burst.packets[i].data), burst.meta[i], ingress: ingress,
                        inFiltered: inFiltered, exclusion: burst.floodExcludes.at(i), candidate: Int(candidates[k]),
                        hash: hashes[k], now: now, tracked: &tracked)
                } else {
                    verdict = prepared[k].verdict
                }
                if verdict.drop >= 0 {
                    counters.drop(Drop(rawValue: verdict.drop)!)
                    burst.drop(i)
                } else {
                    // The filtered receivers that refuse it are in the burst's exclusion set `i`.
                    if verdict.exclude { burst.meta[i].floodExclude = UInt16(truncatingIfNeeded: i &+ 1) }
                    burst.keep(i, at: &kept)
                }
            }
            start = end
        }
        if tracked != 0 { counters.event(.tracked, count: tracked) }
        burst.endCompaction(keeping: kept)
    }

    /// The first pass for a packet the IPv4 path does not take: its `Prepared`, and its kind and hash.
    @inlinable @inline(__always)
    func prepareOther(_ k: Int, _ data: UnsafeRawPointer, _ meta: PacketMeta, ingress: Int, inFiltered: Bool) {
        let (outPort, outFlood) = receivers(meta, ingress: ingress)
        let p = prepared + k
        prepare(p, data, meta, outPort: outPort, outFlood: outFlood)
        if p.pointee.kind == Prepared.lookup {
            kinds[k] = Kind.lookup | Kind.secondLine
            hashes[k] = p.pointee.hash
            table.prefetchBuckets(p.pointee.hash)
        } else {
            kinds[k] = Kind.decided
        }
    }

    /// The filtered receivers of a packet: its filtered output port (or -1), and whether it is a flood that
    /// reaches a filtered port.
    @inlinable @inline(__always)
    func receivers(_ meta: PacketMeta, ingress: Int) -> (outPort: Int, outFlood: Bool) {
        if Int(meta.egress) < PortLimit.maxPorts {
            return (groups.filtered.contains(Int(meta.egress)) ? Int(meta.egress) : -1, false)
        }
        if meta.egress == PacketMeta.flood { return (-1, hasFilteredReceiver(meta.vlan, ingress: ingress)) }
        return (-1, false)
    }

    /// Whether a flood in `vlan` from `ingress` reaches a filtered port (a walk of the VLAN's members that
    /// stops at the first).
    @inlinable @inline(__always)
    func hasFilteredReceiver(_ vlan: UInt16, ingress: Int) -> Bool {
        for member in bridge.floodMembers(vlan) where Int(member) != ingress && groups.filtered.contains(Int(member)) {
            return true
        }
        return false
    }

    /// What the first pass found about a packet.
    @usableFromInline
    struct Prepared {
        /// The packet passes unchecked.
        @inlinable static var pass: UInt8 { 0 }
        /// `verdict` is final (exempt traffic, fragments, ICMP errors).
        @inlinable static var decided: UInt8 { 1 }
        /// `key` must be looked up.
        @inlinable static var lookup: UInt8 { 2 }

        @usableFromInline var kind: UInt8 = 0
        @usableFromInline var sourceIsB = false
        @usableFromInline var verdict = Verdict()
        @usableFromInline var flow = Flow()
        @usableFromInline var key = ConnKey(meta: 0, aHigh: 0, aLow: 0, bHigh: 0, bLow: 0)
        @usableFromInline var hash: UInt64 = 0
        /// The filtered output port of a unicast packet, or -1.
        @usableFromInline var outPort = -1
        /// A flood with filtered receivers.
        @usableFromInline var outFlood = false

        @inlinable init() {}
    }

    /// A packet's fields as the stage needs them.
    @usableFromInline
    struct Flow {
        @usableFromInline var ipv6: Bool
        @usableFromInline var proto: UInt8
        @usableFromInline var sHigh: UInt64
        @usableFromInline var sLow: UInt64
        @usableFromInline var dHigh: UInt64
        @usableFromInline var dLow: UInt64
        @usableFromInline var sPort: UInt16
        @usableFromInline var dPort: UInt16
        @usableFromInline var icmpType: Int16
        @usableFromInline var icmpCode: Int16

        @inlinable
        init() {
            self.init(
                ipv6: false, proto: 0, sHigh: 0, sLow: 0, dHigh: 0, dLow: 0, sPort: 0, dPort: 0, icmpType: -1,
                icmpCode: -1)
        }

        @inlinable
        init(
            ipv6: Bool, proto: UInt8, sHigh: UInt64, sLow: UInt64, dHigh: UInt64, dLow: UInt64, sPort: UInt16,
            dPort: UInt16, icmpType: Int16, icmpCode: Int16
        ) {
            self.ipv6 = ipv6
            self.proto = proto
            self.sHigh = sHigh
            self.sLow = sLow
            self.dHigh = dHigh
            self.dLow = dLow
            self.sPort = sPort
            self.dPort = dPort
            self.icmpType = icmpType
            self.icmpCode = icmpCode
        }
    }

    /// `drop`: a `Drop` raw value or -1; `exclude`: some filtered receivers of a flood must not receive the
    /// packet (they are in the exclusion set `decide` was given).
    @usableFromInline
    struct Verdict {
        @usableFromInline var drop: Int
        @usableFromInline var exclude: Bool

        @inlinable init(drop: Int = -1, exclude: Bool = false) {
            self.drop = drop
            self.exclude = exclude
        }
        @inlinable static func dropping(_ reason: Drop) -> Verdict { Verdict(drop: reason.rawValue) }
    }

    /// The first pass: a final verdict (`decided`) or the key to look up and its hash (`lookup`).
    @inlinable @inline(__always)
    func prepare(
        _ p: UnsafeMutablePointer<Prepared>, _ data: UnsafeRawPointer, _ meta: PacketMeta, outPort: Int, outFlood: Bool
    ) {
        p.pointee.kind = Prepared.decided
        p.pointee.verdict = prepare(data, meta, into: p)
        p.pointee.outPort = outPort
        p.pointee.outFlood = outFlood
    }

    @inlinable @inline(__always)
    func prepare(_ data: UnsafeRawPointer, _ meta: PacketMeta, into p: UnsafeMutablePointer<Prepared>) -> Verdict {
        let h = meta.headers
        let ipv6 = h.flags.contains(.ipv6)
        guard ipv6 || h.flags.contains(.ipv4) else { return Verdict() }  // ARP and non-IP: port security's
        let l3 = data + Int(h.l3Offset)
        let proto = h.l4Protocol
        var flow: Flow
        if ipv6 {
            let ip = IPv6Header(l3)
            let s = ip.source
            let d = ip.destination
            flow = Flow(
                ipv6: true, proto: proto, sHigh: s.high, sLow: s.low, dHigh: d.high, dLow: d.low, sPort: 0,
                dPort: 0, icmpType: -1, icmpCode: -1)
        } else {
            let ip = IPv4Header(l3)
            flow = Flow(
                ipv6: false, proto: proto, sHigh: 0, sLow: UInt64(ip.source.rawValue), dHigh: 0,
                dLow: UInt64(ip.destination.rawValue), sPort: 0, dPort: 0, icmpType: -1, icmpCode: -1)
        }
        let l4Offset = Int(h.l4Offset)
        if l4Offset == 0 {
            if h.flags.contains(.ipFragment) { return .dropping(.fragment) }
        } else {
            let l4 = data + l4Offset
            if proto == 6 || proto == 17 {
                flow.sPort = SGWire.u16(l4, 0)
                flow.dPort = SGWire.u16(l4, 2)
                if proto == 17 && Self.isExemptUDP(flow) {
                    counters.event(.exempt)
                    return Verdict()
                }
            } else if proto == 1 || proto == 58 {
                flow.icmpType = Int16(SGWire.u8(l4, 0))
                flow.icmpCode = Int16(SGWire.u8(l4, 1))
                if proto == 58 && Self.isExemptICMPv6(flow.icmpType) {
                    counters.event(.exempt)
                    return Verdict()
                }
                if Self.isICMPError(flow) {
                    return related(data, l4: l4Offset, end: Int(h.l3End), ipv6: ipv6, zone: meta.vlan)
                }
                if Self.isEcho(flow) {
                    let id = SGWire.u16(l4, 4)
                    flow.sPort = id
                    flow.dPort = id
                }
            }
        }
        if !ipv6 && (flow.dLow == Self.metadataAddress || flow.sLow == Self.metadataAddress) {
            counters.event(.exempt)
            return Verdict()
        }

        let (key, sourceIsB) = ConnKey.of(
            zone: meta.vlan, proto: proto, ipv6: ipv6, sHigh: flow.sHigh, sLow: flow.sLow, sPort: flow.sPort,
            dHigh: flow.dHigh, dLow: flow.dLow, dPort: flow.dPort)
        p.pointee.kind = Prepared.lookup
        p.pointee.flow = flow
        p.pointee.key = key
        p.pointee.sourceIsB = sourceIsB
        p.pointee.hash = table.hash(key)
        return Verdict()
    }

    /// The last pass for a packet to look up (not on the IPv4 path): a tracked connection's packet, or a new
    /// connection's.
    @inlinable @inline(__always)
    func decide(
        _ p: UnsafeMutablePointer<Prepared>, _ data: UnsafeRawPointer, _ meta: PacketMeta, ingress: Int,
        inFiltered: Bool, exclusion: PortSet, candidate: Int, hash: UInt64, now: UInt64, tracked: inout UInt64
    ) -> Verdict {
        let h = meta.headers
        let slot = table.lookup(p.pointee.key, hash: hash, candidate: candidate)
        if slot >= 0 {
            let verdict = established(
                slot, data, h, sourceIsB: p.pointee.sourceIsB, proto: p.pointee.flow.proto, now: now)
            if verdict.drop < 0 { tracked &+= 1 }
            return verdict
        }
        return open(
            p.pointee.key, hash: hash, sourceIsB: p.pointee.sourceIsB, data, h, flow: p.pointee.flow,
            ingress: ingress, inFiltered: inFiltered, outPort: p.pointee.outPort, outFlood: p.pointee.outFlood,
            vlan: meta.vlan, exclusion: exclusion, egress: meta.egress, now: now)
    }

    /// A new connection's first packet on the IPv4 path: its `Flow` and receivers are found again (once per
    /// connection), then `open`.
    @usableFromInline @inline(never)
    func openIPv4(
        _ keyMeta: UInt64, _ addresses: UInt64, hash: UInt64, sourceIsB: Bool, _ data: UnsafeRawPointer,
        _ meta: PacketMeta, ingress: Int, inFiltered: Bool, exclusion: PortSet, now: UInt64
    ) -> Verdict {
        let h = meta.headers
        let ip = IPv4Header(data + Int(h.l3Offset))
        let l4 = data + Int(h.l4Offset)
        let proto = h.l4Protocol
        var flow = Flow(
            ipv6: false, proto: proto, sHigh: 0, sLow: UInt64(ip.source.rawValue), dHigh: 0,
            dLow: UInt64(ip.destination.rawValue), sPort: 0, dPort: 0, icmpType: -1, icmpCode: -1)
        if proto == 1 {
            flow.icmpType = Int16(SGWire.u8(l4, 0))
            flow.icmpCode = Int16(SGWire.u8(l4, 1))
            flow.sPort = SGWire.u16(l4, 4)
            flow.dPort = flow.sPort
        } else {
            flow.sPort = SGWire.u16(l4, 0)
            flow.dPort = SGWire.u16(l4, 2)
        }
        let key = ConnKey(meta: keyMeta, aHigh: 0, aLow: addresses >> 32, bHigh: 0, bLow: addresses & 0xFFFF_FFFF)
        let (outPort, outFlood) = receivers(meta, ingress: ingress)
        return open(
            key, hash: hash, sourceIsB: sourceIsB, data, h, flow: flow, ingress: ingress, inFiltered: inFiltered,
            outPort: outPort, outFlood: outFlood, vlan: meta.vlan, exclusion: exclusion, egress: meta.egress,
            now: now)
    }

    // MARK: Tracked connections

    @inlinable @inline(__always)
    func established(
        _ slot: Int, _ data: UnsafeRawPointer, _ h: PacketHeaders, sourceIsB: Bool, proto: UInt8, now: UInt64
    ) -> Verdict {
        let info = table.info(slot)
        let reply = sourceIsB != ConnTableView.initiatorIsB(info)
        let state = ConnTableView.state(of: info)
        if proto == 6 {
            let segment = Self.segment(data, h)
            let original = table.tcpSide(slot, reply: false)
            let replySide = table.tcpSide(slot, reply: true)
            var tracker = TCPTracker(state: TCPState(rawValue: state) ?? .none, original: original, reply: replySide)
            switch tracker.track(segment, isReply: reply) {
            case .invalid:
                return .dropping(.invalid)
            case .reopen:
                // A new connection on the tuple of one that closed: the same entry starts over from this SYN.
                let fresh = TCPTracker.opening(segment)
                table.setTCPSide(slot, reply: false, fresh.original)
                table.setTCPSide(slot, reply: true, fresh.reply)
                let flipped = sourceIsB ? info | 1 : info & ~UInt64(1)
                _ = table.exchangeInfo(slot, info, ConnTableView.withState(flipped, fresh.state.rawValue))
                counters.event(.reopened)
            case .accept:
                table.updateTCPSide(slot, reply: false, from: original, to: tracker.original)
                table.updateTCPSide(slot, reply: true, from: replySide, to: tracker.reply)
                if tracker.state.rawValue != state {
                    _ = table.exchangeInfo(slot, info, ConnTableView.withState(info, tracker.state.rawValue))
                }
            }
        } else {
            var next = state
            if reply && state == ConnTable.PseudoState.new {
                next = ConnTable.PseudoState.replied
            } else if !reply && state == ConnTable.PseudoState.replied && proto == 17 {
                next = ConnTable.PseudoState.stream
            }
            if next != state { _ = table.exchangeInfo(slot, info, ConnTableView.withState(info, next)) }
        }
        table.touch(slot, now: now, reply: reply, tickCycles: tickCycles)
        return Verdict()
    }

    // MARK: New connections

    /// Out of line: once per connection, and it keeps `process`'s loop small.
    @usableFromInline @inline(never)
    func open(
        _ key: ConnKey, hash: UInt64, sourceIsB: Bool, _ data: UnsafeRawPointer, _ h: PacketHeaders, flow: Flow,
        ingress: Int,
        inFiltered: Bool, outPort: Int, outFlood: Bool, vlan: UInt16, exclusion: PortSet, egress: UInt16, now: UInt64
    ) -> Verdict {
        var state = ConnTable.PseudoState.new
        var segment = TCPSegment(flags: 0, seq: 0)
        if flow.proto == 6 {
            segment = Self.segment(data, h)
            guard TCPTracker.opens(segment.flags) else { return .dropping(.invalid) }
            state = TCPState.synSent.rawValue
        } else if Self.isEchoReply(flow) {
            return .dropping(.invalid)
        }
        let family: UInt8 = flow.ipv6 ? 6 : 4
        // The sender's egress rules.
        var egressRule = -1
        if inFiltered {
            let row = groups.portRows[ingress]
            egressRule = groups.match(
                start: row.egressStart, count: row.egressCount, family: family, proto: flow.proto,
                remoteHigh: flow.dHigh, remoteLow: flow.dLow, port: flow.dPort, icmpType: flow.icmpType,
                icmpCode: flow.icmpCode)
            if egressRule < 0 { return .dropping(.noRule) }
        }
        // Each filtered receiver's ingress rules: the unicast packet's output port, or a flood's filtered
        // VLAN members (the VLAN's member list: O(its members)).
        var exclude = false
        var owner = inFiltered ? ingress : -1
        var ingressRule = -1
        let members = bridge.floodMembers(vlan)
        let receivers = outFlood ? members.count : (outPort >= 0 ? 1 : 0)
        for k in 0..<receivers {
            let port = outFlood ? Int(members[k]) : outPort
            if outFlood && (port == ingress || !groups.filtered.contains(port)) { continue }
            let row = groups.portRows[port]
            let rule = groups.match(
                start: row.ingressStart, count: row.ingressCount, family: family, proto: flow.proto,
                remoteHigh: flow.sHigh, remoteLow: flow.sLow, port: flow.dPort, icmpType: flow.icmpType,
                icmpCode: flow.icmpCode)
            if rule < 0 {
                if !exclude { exclusion.removeAll() }
                exclusion.add(port)
                exclude = true
            } else {
                if ingressRule >= 0 { groups.hits[Int(groups.rules[ingressRule].counter)] &+= 1 }  // floods only
                ingressRule = rule
                if owner < 0 { owner = port }
            }
        }
        if Int(egress) < PortLimit.maxPorts && exclude { return .dropping(.noRule) }  // the one receiver refuses it
        if owner < 0 {
            // An unfiltered sender's flood that every filtered receiver refuses: the unfiltered ones get it,
            // and there is nothing to track.
            return Verdict(exclude: exclude)
        }
        var info = ConnTableView.makeInfo(
            initiatorIsB: sourceIsB, initiator: ingress,
            responder: Int(egress) < PortLimit.maxPorts ? Int(egress) : ConnTableView.unknownPort, state: state)
        if flow.proto == 1 || flow.proto == 58 {
            info |=
                UInt64(UInt8(truncatingIfNeeded: flow.icmpType)) << 40
                | UInt64(UInt8(truncatingIfNeeded: flow.icmpCode)) << 48
        }
        switch table.insert(key, hash: hash, info: info, owner: owner, limit: groups.perPortLimit, now: now) {
        case .success(let slot):
            if egressRule >= 0 { groups.hits[Int(groups.rules[egressRule].counter)] &+= 1 }
            if ingressRule >= 0 { groups.hits[Int(groups.rules[ingressRule].counter)] &+= 1 }
            if flow.proto == 6 {
                let tracker = TCPTracker.opening(segment)
                table.setTCPSide(slot, reply: false, tracker.original)
            }
            table.touch(slot, now: now, reply: false, tickCycles: 0)
            counters.event(.new)
            return Verdict(exclude: exclude)
        case .failure(.portLimit):
            return .dropping(.portLimit)
        case .failure(.tableFull):
            return .dropping(.tableFull)
        }
    }

    // MARK: ICMP errors

    /// An ICMP error passes if it quotes a tracked connection (netfilter's RELATED).
    @inlinable
    func related(_ data: UnsafeRawPointer, l4: Int, end: Int, ipv6: Bool, zone: UInt16) -> Verdict {
        guard let key = Self.quotedKey(data, l4: l4, end: end, ipv6: ipv6, zone: zone), table.lookup(key) >= 0 else {
            return .dropping(.invalid)
        }
        counters.event(.related)
        return Verdict()
    }

    /// The key of the connection an ICMP error quotes, or nil when the quote is cut short (the stage and its
    /// trace both use it).
    @inlinable
    static func quotedKey(_ data: UnsafeRawPointer, l4: Int, end: Int, ipv6: Bool, zone: UInt16) -> ConnKey? {
        let inner = l4 &+ 8
        var proto: UInt8
        var sHigh: UInt64 = 0
        var sLow: UInt64
        var dHigh: UInt64 = 0
        var dLow: UInt64
        var innerL4: Int
        if ipv6 {
            guard inner &+ 48 <= end else { return nil }
            let ip = IPv6Header(data + inner)
            proto = ip.nextHeader
            sHigh = ip.source.high
            sLow = ip.source.low
            dHigh = ip.destination.high
            dLow = ip.destination.low
            innerL4 = inner &+ 40
        } else {
            guard inner &+ 28 <= end else { return nil }
            let ip = IPv4Header(data + inner)
            let headerLength = ip.headerLength
            guard headerLength >= 20, inner &+ headerLength &+ 8 <= end else { return nil }
            proto = ip.protocolNumber
            sLow = UInt64(ip.source.rawValue)
            dLow = UInt64(ip.destination.rawValue)
            innerL4 = inner &+ headerLength
        }
        var sPort: UInt16 = 0
        var dPort: UInt16 = 0
        if proto == 6 || proto == 17 {
            sPort = SGWire.u16(data + innerL4, 0)
            dPort = SGWire.u16(data + innerL4, 2)
        } else if proto == 1 || proto == 58 {
            let type = SGWire.u8(data + innerL4, 0)
            if type == 8 || type == 0 || type == 128 || type == 129 {
                sPort = SGWire.u16(data + innerL4, 4)
                dPort = sPort
            }
        }
        return ConnKey.of(
            zone: zone, proto: proto, ipv6: ipv6, sHigh: sHigh, sLow: sLow, sPort: sPort, dHigh: dHigh, dLow: dLow,
            dPort: dPort
        ).key
    }

    // MARK: Packet helpers

    /// 169.254.169.254, the metadata service (the metadata issue).
    @inlinable static var metadataAddress: UInt64 { 0xA9FE_A9FE }

    /// DHCPv4 (68 ↔ 67) and DHCPv6 (546 ↔ 547).
    @inlinable
    static func isExemptUDP(_ flow: Flow) -> Bool {
        isExemptUDP(ports: UInt32(flow.sPort) << 16 | UInt32(flow.dPort))
    }

    /// `isExemptUDP` of a UDP header's first word (source port << 16 | destination port): the one place of
    /// the rule, for the IPv4 path and `Flow`s alike.
    @inlinable @inline(__always)
    static func isExemptUDP(ports: UInt32) -> Bool {
        ports == 68 << 16 | 67 || ports == 67 << 16 | 68 || ports == 546 << 16 | 547 || ports == 547 << 16 | 546
    }

    /// Neighbour discovery (133-137) and multicast listener messages (130-132, 143).
    @inlinable
    static func isExemptICMPv6(_ type: Int16) -> Bool {
        (type >= 130 && type <= 137) || type == 143
    }

    @inlinable
    static func isICMPError(_ flow: Flow) -> Bool {
        if flow.proto == 1 { return flow.icmpType == 3 || flow.icmpType == 11 || flow.icmpType == 12 }
        return flow.icmpType >= 1 && flow.icmpType <= 4
    }

    @inlinable
    static func isEcho(_ flow: Flow) -> Bool {
        flow.proto == 1 ? (flow.icmpType == 8 || flow.icmpType == 0) : (flow.icmpType == 128 || flow.icmpType == 129)
    }

    @inlinable
    static func isEchoReply(_ flow: Flow) -> Bool {
        (flow.proto == 1 && flow.icmpType == 0) || (flow.proto == 58 && flow.icmpType == 129)
    }

    /// The TCP fields of a packet (the window-scale option only on SYNs).
    @inlinable
    static func segment(_ data: UnsafeRawPointer, _ h: PacketHeaders) -> TCPSegment {
        let l4 = data + Int(h.l4Offset)
        let flags = SGWire.u8(l4, 13)
        let payload = UInt32(truncatingIfNeeded: max(Int(h.l3End) - Int(h.payloadOffset), 0))
        var segment = TCPSegment(
            flags: flags, seq: SGWire.u32(l4, 4), ack: SGWire.u32(l4, 8), window: SGWire.u16(l4, 14), length: payload)
        if flags & TCPSegment.syn != 0 {
            // Options: kind 3 (window scale, length 3); 0 ends the list, 1 is padding.
            var offset = 20
            let headerLength = Int(h.payloadOffset) - Int(h.l4Offset)
            while offset < headerLength {
                let kind = SGWire.u8(l4, offset)
                if kind == 0 { break }
                if kind == 1 {
                    offset &+= 1
                    continue
                }
                guard offset &+ 1 < headerLength else { break }
                let length = Int(SGWire.u8(l4, offset &+ 1))
                if length < 2 || offset &+ length > headerLength { break }
                if kind == 3 && length == 3 { segment.windowScale = SGWire.u8(l4, offset &+ 2) }
                offset &+= length
            }
        }
        return segment
    }
}

/// Big-endian loads at byte offsets (the Packet module keeps its own helpers internal).
@usableFromInline
enum SGWire {
    @inlinable @inline(__always)
    static func u8(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 { p.load(fromByteOffset: offset, as: UInt8.self) }

    @inlinable @inline(__always)
    static func u16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable @inline(__always)
    static func u32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
