import Config
import DPDK
import Packet
import Pipeline

/// The control thread's side of the security groups: the connection table (which outlives generations), the
/// rule hit counters (stable slots per rule, so counts survive unrelated changes), and the maintenance that
/// expires idle connections, revokes those a rule change no longer allows and recycles slots.
final class ConntrackState {
    let table: ConnTable
    let pmdCount: Int
    /// Counter slots per PMD.
    static let hitStride = 4096
    let hits: UnsafeMutablePointer<UInt64>
    /// Slot of each rule (by group, direction, index and content); slot 0 counts rules that found none free.
    private(set) var slots: [String: Int] = [:]
    /// The generation whose rules the table was last checked against.
    var checkedGeneration: UInt64 = 0

    init(config: SluiceConfig, pmdCount: Int) {
        table = ConnTable(
            capacity: config.conntrack.maxConnections, ports: ForwardingTables.maxPorts,
            allocate: TableMemory.allocate, deallocate: TableMemory.deallocate)
        self.pmdCount = max(pmdCount, 1)
        hits = .allocate(capacity: Self.hitStride * self.pmdCount)
        hits.initialize(repeating: 0, count: Self.hitStride * self.pmdCount)
    }

    deinit { hits.deallocate() }

    /// The state the dataplane of this process uses; generations take their hit counters from it. Set and
    /// read on the control thread only (one dataplane per process).
    nonisolated(unsafe) static weak var current: ConntrackState?

    /// A new state for `config`, made `current`.
    static func make(config: SluiceConfig) -> ConntrackState {
        let state = ConntrackState(config: config, pmdCount: config.pmdLcores.count)
        current = state
        return state
    }

    /// The counter slot of a rule, assigned on first use.
    func slot(for identity: String) -> Int {
        if let slot = slots[identity] { return slot }
        guard slots.count + 1 < Self.hitStride else { return 0 }
        let slot = slots.count + 1
        slots[identity] = slot
        return slot
    }

    func hitCount(slot: Int) -> UInt64 {
        var sum: UInt64 = 0
        for pmd in 0..<pmdCount {
            sum &+= UnsafeMutableRawPointer(hits + pmd * Self.hitStride + slot).load(as: UInt64.self)
        }
        return sum
    }

    func timeouts(_ config: ConntrackConfig, tscHz: UInt64) -> ConnTimeouts {
        let t = config.timeouts
        return ConnTimeouts(
            tcpSeconds: [t.synSent, t.synRecv, t.established, t.finWait, t.closeWait, t.lastAck, t.timeWait, t.close],
            udp: t.udp, udpStream: t.udpStream, icmp: t.icmp, generic: t.generic, tscHz: tscHz)
    }
}

extension Dataplane {
    /// Expires idle connections, removes the ones the current rules no longer allow (after any change: within
    /// a second of it, as Neutron's OVS firewall does) and recycles removed slots after a grace period. Call
    /// about once a second from the control thread.
    @discardableResult
    public func maintainConntrack() -> (expired: Int, revoked: Int, recycled: Int) {
        guard let conntrack else { return (0, 0, 0) }
        var revoked = 0
        if conntrack.checkedGeneration != generation.id {
            conntrack.checkedGeneration = generation.id
            let tables = generation.securityGroups
            let view = tables.view(pmd: 0)
            revoked = conntrack.table.remove { entry in !Self.stillAllowed(entry, view) }
        }
        let expired = conntrack.table.expire(
            now: readTSC(), timeouts: conntrack.timeouts(config.conntrack, tscHz: EAL.tscHz))
        var recycled = 0
        if stalledPMDs == nil {
            recycled = conntrack.table.recycle(gracePeriod: { (try? waitForPMDGracePeriod()) != nil })
        }
        return (expired, revoked, recycled)
    }

    /// Whether the rules of `groups` would still let the connection's first packet through: the initiator's
    /// egress rules when its port is filtered, the responder's ingress rules when its port is.
    static func stillAllowed(_ entry: ConnEntry, _ groups: SecurityGroupView) -> Bool {
        let key = entry.key
        let family: UInt8 = key.isIPv6 ? 6 : 4
        let (iHigh, iLow, rHigh, rLow) =
            entry.initiatorIsB
            ? (key.bHigh, key.bLow, key.aHigh, key.aLow) : (key.aHigh, key.aLow, key.bHigh, key.bLow)
        let responderPort = entry.initiatorIsB ? key.portA : key.portB
        let isICMP = key.proto == 1 || key.proto == 58
        let info = entry.infoExtra
        let icmpType: Int16 = isICMP ? Int16(UInt8(truncatingIfNeeded: info)) : -1
        let icmpCode: Int16 = isICMP ? Int16(UInt8(truncatingIfNeeded: info >> 8)) : -1
        let port: UInt16 = isICMP ? 0 : responderPort
        if entry.initiatorPort < PortLimit.maxPorts, groups.filtered.contains(entry.initiatorPort) {
            let row = groups.portRows[entry.initiatorPort]
            if groups.match(
                start: row.egressStart, count: row.egressCount, family: family, proto: key.proto, remoteHigh: rHigh,
                remoteLow: rLow, port: port, icmpType: icmpType, icmpCode: icmpCode) < 0
            {
                return false
            }
        }
        if entry.responderPort < PortLimit.maxPorts, groups.filtered.contains(entry.responderPort) {
            let row = groups.portRows[entry.responderPort]
            if groups.match(
                start: row.ingressStart, count: row.ingressCount, family: family, proto: key.proto, remoteHigh: iHigh,
                remoteLow: iLow, port: port, icmpType: icmpType, icmpCode: icmpCode) < 0
            {
                return false
            }
        }
        return true
    }
}
