import ControlProtocol
import DPDK
import Packet
import Pipeline

/// The control thread's side of MAC learning: aging, tombstone recycling, dumps and flushes.
extension Dataplane {
    /// Seconds on the clock the PMDs stamp learned MACs with (the TSC, which is invariant across cores).
    public var macClock: UInt32 { UInt32(truncatingIfNeeded: readTSC() / EAL.tscHz) }

    /// Ages out entries not seen for `l2.mac-aging-seconds` and, when deletions have piled up, makes their
    /// slots reusable after a grace period. Call about once a second from the control thread.
    @discardableResult
    public func maintainMACTable() -> (aged: Int, recycled: Int) {
        let maxAge = config.l2.macAgingSeconds
        let aged = maxAge > 0 ? macTable.age(now: macClock, maxAge: UInt32(maxAge)) : 0
        var recycled = 0
        // Not while a PMD is known to be stalled: each attempt would block the control thread for the timeout.
        if macTable.shouldRecycle() && stalledPMDs == nil {
            // A stalled PMD may hold a slot index: then nothing is recycled (health reports the stall).
            recycled = macTable.tryRecycleTombstones(gracePeriod: { (try? waitForPMDGracePeriod()) != nil })
        }
        return (aged, recycled)
    }

    public func macEntries() -> [MACEntry] {
        macTable.entries(now: macClock)
            .sorted { ($0.vlan, $0.mac) < ($1.vlan, $1.mac) }
            .map { entry in
                MACEntry(
                    vlan: Int(entry.vlan), mac: EthernetAddress(rawValue: entry.mac).description,
                    port: portName(slot: Int(entry.port)),
                    ageSeconds: Int(entry.age), isStatic: entry.isStatic)
            }
    }

    public enum FlushError: Error, CustomStringConvertible {
        case unknownPort(String)
        case badVLAN(Int)
        case portAndVLAN
        public var description: String {
            switch self {
            case .portAndVLAN: "give a port or a vlan, not both"
            case .unknownPort(let name): "no port named '\(name)'"
            case .badVLAN(let vlan): "vlan \(vlan) is not a VLAN id (1...4094)"
            }
        }
    }

    /// Removes learned entries of a port, of a VLAN, or all; static entries stay. The number removed.
    public func flushMACs(port: String?, vlan: Int?) throws(FlushError) -> Int {
        var portIndex: UInt16?
        if let port {
            guard let index = slot(of: port) else { throw .unknownPort(port) }
            portIndex = UInt16(index)
        }
        if let vlan, !(1...4094).contains(vlan) { throw .badVLAN(vlan) }
        switch (portIndex, vlan) {
        case (nil, nil): return macTable.flushAll()
        case (let p?, nil): return macTable.flush(port: p)
        case (nil, let v?): return macTable.flush(vlan: UInt16(v))
        case (.some, .some): throw .portAndVLAN
        }
    }

    func macLearning(port index: Int) -> PortMACLearning? {
        guard bridge.view.ports[index].bridged else { return nil }
        return PortMACLearning(
            learned: macTable.learnedCount(port: index), limit: macTable.limit(port: index),
            limitReached: macTable.limitReachedCount(port: index), tableFull: macTable.tableFullCount(port: index))
    }
}
