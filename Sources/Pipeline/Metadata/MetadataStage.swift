import DPDK
import Packet
import Synchronization

/// The metadata intercept (issue 15, docs/metadata.md), between the VLAN and L2 stages:
/// - **From a served VM port**: IPv4 TCP to the intercepted address and port, whatever its destination MAC,
///   leaves the bridge: new connections (SYN) pass the port's request rate limit, the flow is remembered in
///   the NAT table (guest port, guest address, the MACs the guest used), the source becomes the port's pool
///   address and the destination the service, and the frame goes out of the service port. Anything else to
///   the intercepted address is dropped (`other-to-intercept`); ARP requests for it are answered in place and
///   sent back to the guest. Every other frame passes after one address compare.
/// - **From the service port**: a TCP segment from the service to a pool address is translated back with
///   its NAT entry and delivered only to that pool address's port, with the MACs the guest used and the TTL
///   clamped to the hop limit; without an entry it is dropped (`no-flow`). ARP requests for pool addresses
///   are answered in place. Other traffic to a pool address is dropped (`not-from-service`); the rest passes.
///
/// ARP is answered in the PMD rather than punted: the answer is a few stores in the request's own buffer
/// from values the stage already holds, sent on the ingress port's tx queue this PMD owns; a punt would add
/// two ring crossings and the control loop's latency (up to 100 ms) to a guest's first request.
///
/// Packets the stage sends (requests, replies, ARP answers) leave the burst and are transmitted by the stage
/// itself, grouped by output port, at the end of the burst: they must not meet the L2 stage, which would learn
/// from and forward by addresses the guest chose.
public struct MetadataStage: PipelineStage, ~Copyable {
    public static let name = "metadata"
    public enum Drop: Int, StageReason {
        /// To the intercepted address but not a TCP segment to its port (UDP, ICMP, other ports, fragments, a
        /// tagged frame).
        case otherToIntercept
        /// A new connection over the port's request rate limit.
        case rateLimited
        /// The port's NAT entries for this guest port are all taken by live flows.
        case natFull
        /// Another PMD was writing the flow's NAT entry at that instant.
        case natBusy
        /// A segment from the service that matches no NAT entry.
        case noFlow
        /// To a pool address from something other than the service's address and port.
        case notFromService
        /// The output port (the service port, or the flow's VM port) is administratively down.
        case egressDown
        /// The output port's tx queue did not take the packet.
        case txQueueFull

        public var name: String {
            switch self {
            case .otherToIntercept: "other-to-intercept"
            case .rateLimited: "rate-limited"
            case .natFull: "nat-full"
            case .natBusy: "nat-busy"
            case .noFlow: "no-flow"
            case .notFromService: "not-from-service"
            case .egressDown: "egress-down"
            case .txQueueFull: "tx-queue-full"
            }
        }
    }
    public enum Event: Int, StageReason {
        /// Requests rewritten towards the service; replies translated back to a guest.
        case intercepted, translated
        /// ARP requests answered: for the intercepted address (from guests), for pool addresses (from the host).
        case arpAnswered

        public var name: String {
            switch self {
            case .intercepted: "intercepted"
            case .translated: "translated"
            case .arpAnswered: "arp-answered"
            }
        }
    }

    public let counters: Counters
    @usableFromInline var metadata: MetadataView
    /// The targets given at init until a generation is bound, then that generation's (`maxPorts` entries).
    @usableFromInline var targets: UnsafeMutablePointer<TxTarget>
    @usableFromInline let ownTargets: UnsafeMutablePointer<TxTarget>
    /// Packets the stage sends, all for `outSlot`; sent when the slot changes and at the end of the burst.
    @usableFromInline var out: MbufBurst
    @usableFromInline var outSlot: Int = 0

    /// - Parameters:
    ///   - metadata: the tables used (until a generation is bound, once generations carry them).
    ///   - targets: this PMD's tx queue of each port slot, indexed by slot; copied.
    ///   - capacity: the burst capacity.
    public init(metadata: MetadataView, targets: [TxTarget], capacity: Int) {
        precondition(targets.count <= PortLimit.maxPorts, "at most \(PortLimit.maxPorts) ports")
        self.metadata = metadata
        ownTargets = .allocate(capacity: PortLimit.maxPorts)
        // Slots without a port get a disabled target: never sent to (pipelines built without ports, in tests,
        // have no target to copy).
        let unused = targets.first.map(Self.disabled) ?? Self.unusedTarget
        for slot in 0..<PortLimit.maxPorts {
            (ownTargets + slot).initialize(to: slot < targets.count ? targets[slot] : unused)
        }
        self.targets = ownTargets
        out = MbufBurst(capacity: capacity)
        counters = Self.allocateCounters()
    }

    deinit {
        // `out` is empty between bursts (and MbufBurst frees what it holds).
        ownTargets.deinitialize(count: PortLimit.maxPorts)
        ownTargets.deallocate()
    }

    /// A disabled copy of a target, for slots without a port.
    static func disabled(_ target: TxTarget) -> TxTarget {
        TxTarget(port: target.port, queue: target.queue, counters: target.counters, enabled: false)
    }

    /// A disabled target for pipelines built without ports.
    static var unusedTarget: TxTarget {
        TxTarget(port: EthPort(id: UInt16.max), queue: 0, counters: PortCounters.allocate(), enabled: false)
    }

    /// Whether bursts from `ingress` reach the stage (a served VM port or the service port).
    @inlinable @inline(__always)
    public func serves(_ ingress: UInt16) -> Bool { metadata.serves(ingress) }

    /// Whether `burst` (parsed) needs the stage: every burst from the service port, and a burst from a served
    /// VM port holding an ARP frame or a packet to the intercepted address (`PacketBurst.parsed`). For any
    /// other burst the stage would keep every packet.
    @inlinable @inline(__always)
    public func wants(_ burst: borrowing PacketBurst) -> Bool {
        burst.ingress == metadata.serviceSlot
            || (metadata.servesVM(burst.ingress) && (burst.parsed.toIntercept || burst.parsed.holdsAny(of: .arp)))
    }

    /// The generation's metadata tables and tx queues.
    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {
        metadata = tables.metadata
        targets = tables.targets
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let ingress = burst.ingress
        if metadata.servesVM(ingress) {
            fromVM(&burst, now: readTSC())
        } else if ingress == metadata.serviceSlot {
            fromService(&burst, now: readTSC())
        }
    }

    /// `process` at TSC `now` (tests give the time).
    @inlinable
    public mutating func process(_ burst: inout PacketBurst, now: UInt64) {
        let ingress = burst.ingress
        if metadata.servesVM(ingress) {
            fromVM(&burst, now: now)
        } else if ingress == metadata.serviceSlot {
            fromService(&burst, now: now)
        }
    }

    // MARK: From a VM port

    @inlinable
    mutating func fromVM(_ burst: inout PacketBurst, now: UInt64) {
        let v = metadata
        let count = burst.count
        // Ordinary traffic: one address compare per IPv4 packet, and nothing moves.
        var first = 0
        while first < count {
            let h = burst.meta[first].headers
            if h.flags.contains(.ipv4) {
                let destination = MetadataRewrite.ipv4Destination(burst.packets[first].data, l3: Int(h.l3Offset))
                if _slowPath(destination == v.intercept) { break }
            } else if _slowPath(h.flags.contains(.arp)) {
                break
            }
            first &+= 1
        }
        if first == count { return }
        let slot = Int(burst.ingress)
        var kept = first
        var intercepted: UInt64 = 0
        for i in first..<count {
            let mbuf = burst.packets[i]
            let h = burst.meta[i].headers
            let data = mbuf.data
            let l3 = Int(h.l3Offset)
            if h.flags.contains(.arp) {
                if LocalReplies.answerARP(
                    data, length: mbuf.dataLength, l3: l3, mac: v.gatewayMAC, address: v.intercept)
                {
                    counters.event(.arpAnswered)
                    send(mbuf, to: slot)
                } else {
                    burst.keep(i, at: &kept)
                }
                continue
            }
            guard h.flags.contains(.ipv4), MetadataRewrite.ipv4Destination(data, l3: l3) == v.intercept else {
                burst.keep(i, at: &kept)
                continue
            }
            let l4 = Int(h.l4Offset)
            guard h.flags.contains(.tcp), !h.flags.contains(.ipFragment), !h.flags.contains(.vlanTagged),
                MetadataRewrite.tcpDestinationPort(data, l4: l4) == v.interceptPort
            else {
                counters.drop(.otherToIntercept)
                burst.drop(i)
                continue
            }
            let flags = MetadataRewrite.tcpFlags(data, l4: l4)
            let opening = flags.contains(.syn) && !flags.contains(.ack)
            if opening && v.limited.contains(slot) && !takeRequest(slot: slot, now: now) {
                counters.drop(.rateLimited)
                burst.drop(i)
                continue
            }
            let ethernet = EthernetHeader(data)
            let flow = MetadataFlow(
                guestPort: MetadataRewrite.tcpSourcePort(data, l4: l4),
                guestAddress: MetadataRewrite.ipv4Source(data, l3: l3), guestMAC: ethernet.source,
                addressedMAC: ethernet.destination, closing: flags.contains(.fin) || flags.contains(.rst))
            switch v.nat.unsafelyUnwrapped.record(slot: slot, flow, reopen: opening, now: now) {
            case .recorded: break
            case .full:
                counters.drop(.natFull)
                burst.drop(i)
                continue
            case .busy:
                counters.drop(.natBusy)
                burst.drop(i)
                continue
            }
            MetadataRewrite.toService(
                data, l3: l3, l4: l4, source: IPv4Address(rawValue: v.poolAddresses.unsafelyUnwrapped[slot]),
                destination: v.service, destinationPort: v.servicePort, destinationMAC: v.serviceMAC,
                sourceMAC: v.gatewayMAC)
            intercepted &+= 1
            send(mbuf, to: Int(v.serviceSlot))
        }
        burst.endCompaction(keeping: kept)
        if intercepted > 0 { counters.event(.intercepted, count: intercepted) }
        flush()
    }

    /// Takes one request token of a limited slot at TSC `now`: false when the bucket is empty.
    @inlinable @inline(__always)
    func takeRequest(slot: Int, now: UInt64) -> Bool {
        let spec = metadata.limits.unsafelyUnwrapped[slot]
        let state = metadata.bucket(slot: slot)
        let t = TokenBucketSpec.scaled(now)
        while true {
            let e0 = state.emptyTime.pointee.load(ordering: .relaxed)
            let o0 = state.oneTime.pointee.load(ordering: .relaxed)
            var e = e0
            var o = o0
            guard spec.take(1, at: t, emptyTime: &e, oneTime: &o) else { return false }
            if state.commit(from: e0, o0, to: e, o) { return true }
        }
    }

    // MARK: From the service port

    @inlinable
    mutating func fromService(_ burst: inout PacketBurst, now: UInt64) {
        let v = metadata
        let count = burst.count
        var kept = 0
        var translated: UInt64 = 0
        for i in 0..<count {
            let mbuf = burst.packets[i]
            let h = burst.meta[i].headers
            let data = mbuf.data
            let l3 = Int(h.l3Offset)
            if h.flags.contains(.arp) {
                if let asked = LocalReplies.arpSender(data, length: mbuf.dataLength, l3: l3), asked.opcode == 1,
                    v.slot(ofPoolAddress: asked.target) >= 0,
                    LocalReplies.answerARP(
                        data, length: mbuf.dataLength, l3: l3, mac: v.gatewayMAC, address: asked.target)
                {
                    counters.event(.arpAnswered)
                    send(mbuf, to: Int(burst.ingress))
                } else {
                    burst.keep(i, at: &kept)
                }
                continue
            }
            guard h.flags.contains(.ipv4) else {
                burst.keep(i, at: &kept)
                continue
            }
            let slot = v.slot(ofPoolAddress: MetadataRewrite.ipv4Destination(data, l3: l3))
            guard slot >= 0 else {
                burst.keep(i, at: &kept)
                continue
            }
            let l4 = Int(h.l4Offset)
            guard h.flags.contains(.tcp), !h.flags.contains(.ipFragment), !h.flags.contains(.vlanTagged),
                MetadataRewrite.ipv4Source(data, l3: l3) == v.service,
                MetadataRewrite.tcpSourcePort(data, l4: l4) == v.servicePort
            else {
                counters.drop(.notFromService)
                burst.drop(i)
                continue
            }
            let nat = v.nat.unsafelyUnwrapped
            guard let flow = nat.lookup(slot: slot, guestPort: MetadataRewrite.tcpDestinationPort(data, l4: l4))
            else {
                counters.drop(.noFlow)
                burst.drop(i)
                continue
            }
            let flags = MetadataRewrite.tcpFlags(data, l4: l4)
            if (flags.contains(.fin) || flags.contains(.rst)) && !flow.closing { nat.close(slot: slot, flow, now: now) }
            MetadataRewrite.toGuest(
                data, l3: l3, l4: l4, source: v.intercept, sourcePort: v.interceptPort,
                destination: flow.guestAddress, hopLimit: v.hopLimit, destinationMAC: flow.guestMAC,
                sourceMAC: flow.addressedMAC)
            translated &+= 1
            send(mbuf, to: slot)
        }
        burst.endCompaction(keeping: kept)
        if translated > 0 { counters.event(.translated, count: translated) }
        flush()
    }

    // MARK: Sending

    /// Queues `mbuf` (which has left the burst) for `slot`.
    @inlinable @inline(__always)
    mutating func send(_ mbuf: Mbuf, to slot: Int) {
        if out.count > 0 && (outSlot != slot || out.isFull) { flush() }
        outSlot = slot
        out.append(mbuf)
    }

    /// Sends the queued packets on `outSlot`; what the port does not take is freed and counted.
    @inlinable
    mutating func flush() {
        let n = out.count
        guard n > 0 else { return }
        out.count = 0
        let target = targets[outSlot]
        guard target.enabled else {
            Mbuf.freeBulk(out.slots, count: n)
            counters.drop(.egressDown, count: UInt64(truncatingIfNeeded: n))
            return
        }
        let sent = target.send(out.slots, count: n)
        if sent < n { counters.drop(.txQueueFull, count: UInt64(truncatingIfNeeded: n - sent)) }
    }
}
