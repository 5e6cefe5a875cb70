import DPDK
import Packet

/// The last stage: expands floods, gives each packet the VLAN tagging its output port needs, sorts the burst
/// by output port and hands each port its packets in one tx burst.
///
/// Tagging: a bridged packet leaves untagged where its VLAN is untagged (access ports, a trunk's native
/// VLAN) and tagged elsewhere; the tag is pushed, popped or rewritten only when the packet's current form
/// differs. Packets that bypass the bridge (VLAN 0: patched ports) leave exactly as they came.
/// Floods: one copy per output port (the last port gets the original), because ports may need different
/// tagging of the same frame.
public struct TransmitStage: PipelineStage, ~Copyable {
    public static let name = "transmit"
    public enum Drop: Int, StageReason {
        case noEgress, portDown, txQueueFull, floodNoPorts, notMember, copyFailed, noHeadroom, qosToVM

        public var name: String {
            switch self {
            case .noEgress: "no-egress"
            case .portDown: "port-down"
            case .txQueueFull: "tx-queue-full"
            case .floodNoPorts: "flood-no-ports"
            case .notMember: "vlan-not-member"
            case .copyFailed: "copy-failed"
            case .noHeadroom: "no-headroom"
            case .qosToVM: "qos-to-vm"
            }
        }
    }

    public let counters: Counters
    /// The targets given at init until a generation is bound, then that generation's.
    @usableFromInline var targets: UnsafeMutableBufferPointer<TxTarget>
    private let ownTargets: UnsafeMutableBufferPointer<TxTarget>
    @usableFromInline var bridge: BridgeView
    /// One row of `capacity` slots per port slot: the packets bound for it in this burst.
    @usableFromInline let pending: UnsafeMutablePointer<OpaquePointer?>
    @usableFromInline let pendingCounts: UnsafeMutablePointer<Int>
    /// The ports with packets in `pending` (`pendingPortCount` of them, in the order they got their first):
    /// sending walks this list, not every port slot.
    @usableFromInline let pendingPorts: UnsafeMutablePointer<UInt16>
    @usableFromInline var pendingPortCount = 0
    /// A flood's output ports, collected before its copies are made (the last one gets the original).
    @usableFromInline let floodPorts: UnsafeMutablePointer<UInt16>
    @usableFromInline let capacity: Int
    /// Ports whose tx target is enabled.
    @usableFromInline var enabled: PortSet
    /// The set built from the targets given at init (until a generation is bound).
    private let ownEnabled: PortSet
    /// QoS: flood copies to ports limited to-vm are policed here (`QoSTables.policeFlood`).
    @usableFromInline var qos: QoSTables = .off
    /// The packet captures (Capture/): what is handed to a captured port's tx is copied first.
    @usableFromInline var capture: CaptureTap = .off

    /// - Parameters:
    ///   - targets: indexed by port-table index; copied.
    ///   - bridge: VLAN membership and tagging of every port.
    ///   - capacity: the burst capacity. A port receives at most one packet per packet of the burst.
    public init(targets: [TxTarget], bridge: BridgeView, capacity: Int) {
        precondition(targets.count <= PortLimit.maxPorts, "at most \(PortLimit.maxPorts) ports")
        // Exactly `targets.count` slots (the allocation is never empty): the count is the port count.
        let buffer = UnsafeMutableBufferPointer<TxTarget>.allocate(capacity: max(targets.count, 1))
        _ = buffer.initialize(from: targets)
        ownTargets = buffer
        self.targets = UnsafeMutableBufferPointer(rebasing: buffer[0..<targets.count])
        self.bridge = bridge
        self.capacity = capacity
        // Rows for every possible port slot: a later generation may use any of them.
        pending = .allocate(capacity: ForwardingTables.maxPorts * capacity)
        pendingCounts = .allocate(capacity: ForwardingTables.maxPorts)
        pendingCounts.initialize(repeating: 0, count: ForwardingTables.maxPorts)
        pendingPorts = .allocate(capacity: ForwardingTables.maxPorts)
        floodPorts = .allocate(capacity: ForwardingTables.maxPorts)
        ownEnabled = PortSet.allocate(targets.indices.filter { targets[$0].enabled })
        enabled = ownEnabled
        counters = Self.allocateCounters()
    }

    deinit {
        ownTargets.deallocate()
        pending.deallocate()
        pendingCounts.deallocate()
        pendingPorts.deallocate()
        floodPorts.deallocate()
        ownEnabled.deallocate()
    }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {
        targets = UnsafeMutableBufferPointer(start: tables.targets, count: ForwardingTables.maxPorts)
        bridge = tables.bridge
        enabled = tables.enabled
        qos = tables.qos
        capture = tables.capture
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        if sendToOnePort(&burst) { return }
        let portCount = targets.count
        let ingress = Int(burst.ingress)
        var queued = 0
        for i in 0..<burst.count {
            let meta = burst.meta[i]
            let egress = Int(meta.egress)
            let mbuf = burst.packets[i]
            if egress < portCount {
                if !enabled.contains(egress) {
                    counters.drop(.portDown)
                    burst.drop(i)
                } else if meta.vlan != 0 && !bridge.isMember(egress, of: meta.vlan) {
                    counters.drop(.notMember)
                    burst.drop(i)
                } else if meta.vlan != 0 && !fitTag(mbuf, meta, port: egress) {
                    counters.drop(.noHeadroom)
                    burst.drop(i)
                } else {
                    enqueue(mbuf, port: egress)
                    queued &+= 1
                }
            } else if meta.egress == PacketMeta.flood {
                // The VLAN's member list (O(its members), not O(ports)): enabled, not the ingress, not
                // excluded by the security groups.
                let members = bridge.floodMembers(meta.vlan)
                let exclusion = burst.floodExclusion(of: i)
                var outputs = 0
                var refused: UInt64 = 0
                for member in members {
                    let port = Int(member)
                    if port == ingress || !enabled.contains(port) || (exclusion?.contains(port) ?? false) { continue }
                    // QoS to-vm: ports whose buckets cannot pay for the frame get no copy (docs/qos.md, Floods).
                    if qos.limitsToVM && qos.toVM.contains(port)
                        && !qos.policeFlood(slot: port, length: UInt64(truncatingIfNeeded: mbuf.packetLength))
                    {
                        refused &+= 1
                        continue
                    }
                    floodPorts[outputs] = member
                    outputs &+= 1
                }
                if refused != 0 { counters.drop(.qosToVM, count: refused) }
                if outputs == 0 {
                    if refused == 0 { counters.drop(.floodNoPorts) }
                    burst.drop(i)
                    continue
                }
                // Copies first, from the untouched original; the original goes to the last port.
                for k in 0..<(outputs &- 1) {
                    let port = Int(floodPorts[k])
                    guard let copy = mbuf.copy() else {
                        counters.drop(.copyFailed)
                        continue
                    }
                    if fitTag(copy, meta, port: port) {
                        enqueue(copy, port: port)
                        queued &+= 1
                    } else {
                        counters.drop(.noHeadroom)
                        copy.free()
                    }
                }
                let last = Int(floodPorts[outputs &- 1])
                if fitTag(mbuf, meta, port: last) {
                    enqueue(mbuf, port: last)
                    queued &+= 1
                } else {
                    counters.drop(.noHeadroom)
                    burst.drop(i)
                }
            } else {
                counters.drop(.noEgress)
                burst.drop(i)
            }
        }
        // Every packet is now pending for a port (or several) or dropped: the burst owns none any more.
        burst.packets.count = 0
        guard queued > 0 else { return }
        var sent = 0
        for k in 0..<pendingPortCount {
            let port = Int(pendingPorts[k])
            let count = pendingCounts[port]
            let done = send(pending + port &* capacity, count: count, port: port)
            if done < count { counters.drop(.txQueueFull, count: UInt64(truncatingIfNeeded: count &- done)) }
            sent &+= done
            pendingCounts[port] = 0
        }
        pendingPortCount = 0
        counters.block.add(StageCounters.packetsOut, UInt64(truncatingIfNeeded: sent))
    }

    /// The common case, a burst whose packets all go to one enabled port (known unicast from one source):
    /// each packet is checked and tagged as `process` would, in place, and the burst is sent straight from
    /// its own slots, without sorting it into the per-port rows. Returns false, having changed nothing, when
    /// the burst is not of that kind.
    @inlinable @inline(__always)
    func sendToOnePort(_ burst: inout PacketBurst) -> Bool {
        let count = burst.count
        guard count > 0 else { return false }
        let egress = burst.meta[0].egress
        let port = Int(egress)
        guard port < targets.count else { return false }
        guard enabled.contains(port) else { return false }
        // Whether every packet is in one VLAN, and whether all arrived tagged or all untagged: then one
        // membership check for the burst replaces the per-packet ones, and the tagging is the same for all.
        let vlan = burst.meta[0].vlan
        var sameVLAN = true
        var anyTagged = false
        var anyUntagged = false
        for i in 0..<count {
            let meta = burst.meta[i]
            if meta.egress != egress { return false }
            if meta.vlan != vlan { sameVLAN = false }
            if meta.tagged { anyTagged = true } else { anyUntagged = true }
        }
        var kept = count
        if sameVLAN && (vlan == 0 || bridge.isMember(port, of: vlan)) {
            let untaggedHere = vlan == 0 || bridge.isUntagged(port, in: vlan)
            if untaggedHere && !anyTagged {
                // Untagged frames of a VLAN the port carries untagged (or bypassing the bridge): as they are.
            } else if untaggedHere && vlan != 0 && !anyUntagged {
                // Tagged frames leaving where their VLAN is untagged: every tag comes off.
                for i in 0..<count { burst.packets[i].popVLANTag() }
            } else if !untaggedHere && !anyTagged {
                // Untagged frames leaving where their VLAN is tagged: every frame gets the same tag.
                kept = pushTags(&burst, tci: vlan)
            } else {
                kept = checkAndTag(&burst, port: port)
            }
        } else {
            kept = checkAndTag(&burst, port: port)
        }
        // The target takes (or frees) every packet: the burst owns none any more.
        burst.packets.count = 0
        guard kept > 0 else { return true }
        let sent = send(burst.packets.slots, count: kept, port: port)
        if sent < kept { counters.drop(.txQueueFull, count: UInt64(truncatingIfNeeded: kept &- sent)) }
        counters.block.add(StageCounters.packetsOut, UInt64(truncatingIfNeeded: sent))
        return true
    }

    /// The per-packet half of `sendToOnePort`: VLAN membership and tagging for `port`, as `process` does
    /// them; drops what fails and compacts the burst. Returns the packets kept.
    @inlinable @inline(__always)
    func checkAndTag(_ burst: inout PacketBurst, port: Int) -> Int {
        let count = burst.count
        var kept = 0
        for i in 0..<count {
            let meta = burst.meta[i]
            if meta.vlan != 0 && !bridge.isMember(port, of: meta.vlan) {
                counters.drop(.notMember)
                burst.drop(i)
            } else if meta.vlan != 0 && !fitTag(burst.packets[i], meta, port: port) {
                counters.drop(.noHeadroom)
                burst.drop(i)
            } else {
                burst.keep(i, at: &kept)
            }
        }
        burst.endCompaction(keeping: kept)
        return kept
    }

    /// Pushes the same 802.1Q tag onto every packet of the burst (all untagged, one VLAN); a packet without
    /// the headroom for it is dropped. Returns the packets kept.
    @inlinable @inline(__always)
    func pushTags(_ burst: inout PacketBurst, tci: UInt16) -> Int {
        let count = burst.count
        var kept = 0
        for i in 0..<count {
            if _fastPath(burst.packets[i].pushVLANTag(tci: tci)) {
                burst.keep(i, at: &kept)
            } else {
                counters.drop(.noHeadroom)
                burst.drop(i)
            }
        }
        burst.endCompaction(keeping: kept)
        return kept
    }

    /// Hands `count` packets to `port`'s tx, copying them first for the captures of its egress.
    @inlinable @inline(__always)
    func send(_ packets: UnsafeMutablePointer<OpaquePointer?>, count: Int, port: Int) -> Int {
        capture.egress(packets, count: count, port: port)
        return targets[port].send(packets, count: count)
    }

    @inlinable @inline(__always)
    mutating func enqueue(_ mbuf: Mbuf, port: Int) {
        pending[port &* capacity &+ pendingCounts[port]] = mbuf.raw
        if pendingCounts[port] == 0 {
            pendingPorts[pendingPortCount] = UInt16(truncatingIfNeeded: port)
            pendingPortCount &+= 1
        }
        pendingCounts[port] &+= 1
    }

    /// Makes the packet's tagging what `port` needs for its VLAN; false when a tag cannot be pushed.
    @inlinable @inline(__always)
    func fitTag(_ mbuf: Mbuf, _ meta: PacketMeta, port: Int) -> Bool {
        guard meta.vlan != 0 else { return true }
        if bridge.isUntagged(port, in: meta.vlan) {
            if meta.tagged { mbuf.popVLANTag() }
            return true
        }
        if meta.tagged {
            // Arrived tagged with this VLAN (or priority-tagged with VID 0 on a native VLAN): fix the id.
            if meta.headers.vlanID != meta.vlan { mbuf.setVLANID(meta.vlan) }
            return true
        }
        return mbuf.pushVLANTag(tci: meta.vlan)
    }
}
