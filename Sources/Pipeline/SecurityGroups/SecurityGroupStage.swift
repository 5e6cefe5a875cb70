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
    /// Per packet of the chunk being processed: what the first pass found (`Prepared`).
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
        prepared = .allocate(capacity: Self.chunk)
        prepared.initialize(repeating: Prepared(), count: Self.chunk)
    }

    deinit { prepared.deallocate() }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {
        groups = tables.securityGroups
        bridge = tables.bridge
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
        var kept = 0
        var start = 0
        while start < count {
            let end = min(start &+ Self.chunk, count)
            // 1: parse, hash, prefetch both signature lines.
            for i in start..<end {
                let meta = burst.meta[i]
                // The filtered receivers: the one output port, or a flood's filtered VLAN members.
                var outPort = -1
                var outFlood = false
                if Int(meta.egress) < PortLimit.maxPorts {
                    if filtered.contains(Int(meta.egress)) { outPort = Int(meta.egress) }
                } else if meta.egress == PacketMeta.flood {
                    outFlood = hasFilteredReceiver(meta.vlan, ingress: ingress)
                }
                let p = prepared + (i &- start)
                if !inFiltered && outPort < 0 && !outFlood {
                    p.pointee.kind = Prepared.pass
                    continue
                }
                prepare(p, UnsafeRawPointer(burst.packets[i].data), meta, outPort: outPort, outFlood: outFlood)
                if p.pointee.kind == Prepared.lookup { t.prefetchBuckets(p.pointee.hash) }
            }
            // 2: find each candidate slot by signature, prefetch its entry.
            for i in start..<end {
                let p = prepared + (i &- start)
                if p.pointee.kind == Prepared.lookup { p.pointee.candidate = t.probe(p.pointee.hash) }
            }
            // 3: decide.
            for i in start..<end {
                let p = prepared + (i &- start)
                let kind = p.pointee.kind
                if kind == Prepared.pass {
                    burst.keep(i, at: &kept)
                    continue
                }
                let verdict =
                    kind == Prepared.lookup
                    ? decide(
                        p, UnsafeRawPointer(burst.packets[i].data), burst.meta[i], ingress: ingress,
                        inFiltered: inFiltered, exclusion: burst.floodExcludes.at(i), now: now) : p.pointee.verdict
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
        burst.endCompaction(keeping: kept)
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
        @usableFromInline var candidate = -1
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
        p.pointee.candidate = -1
        return Verdict()
    }

    /// The last pass for a packet to look up: a tracked connection's packet, or a new connection's.
    @inlinable @inline(__always)
    func decide(
        _ p: UnsafeMutablePointer<Prepared>, _ data: UnsafeRawPointer, _ meta: PacketMeta, ingress: Int,
        inFiltered: Bool, exclusion: PortSet, now: UInt64
    ) -> Verdict {
        let h = meta.headers
        let slot = table.lookup(p.pointee.key, hash: p.pointee.hash, candidate: p.pointee.candidate)
        if slot >= 0 {
            return established(slot, data, h, sourceIsB: p.pointee.sourceIsB, flow: p.pointee.flow, now: now)
        }
        return open(
            p.pointee.key, hash: p.pointee.hash, sourceIsB: p.pointee.sourceIsB, data, h, flow: p.pointee.flow,
            ingress: ingress, inFiltered: inFiltered, outPort: p.pointee.outPort, outFlood: p.pointee.outFlood,
            vlan: meta.vlan, exclusion: exclusion, egress: meta.egress, now: now)
    }

    // MARK: Tracked connections

    @inlinable @inline(__always)
    func established(
        _ slot: Int, _ data: UnsafeRawPointer, _ h: PacketHeaders, sourceIsB: Bool, flow: Flow, now: UInt64
    ) -> Verdict {
        let info = table.info(slot)
        let reply = sourceIsB != ConnTableView.initiatorIsB(info)
        let state = ConnTableView.state(of: info)
        if flow.proto == 6 {
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
            } else if !reply && state == ConnTable.PseudoState.replied && flow.proto == 17 {
                next = ConnTable.PseudoState.stream
            }
            if next != state { _ = table.exchangeInfo(slot, info, ConnTableView.withState(info, next)) }
        }
        table.touch(slot, now: now, reply: reply, tickCycles: tickCycles)
        counters.event(.tracked)
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
        (flow.sPort == 68 && flow.dPort == 67) || (flow.sPort == 67 && flow.dPort == 68)
            || (flow.sPort == 546 && flow.dPort == 547) || (flow.sPort == 547 && flow.dPort == 546)
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
