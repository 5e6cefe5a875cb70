import Packet
import Synchronization

/// One connection of `ConnTable.entries()`.
public struct ConnEntry: Sendable, Equatable {
    public var key: ConnKey
    /// Whether the key's B endpoint opened the connection.
    public var initiatorIsB: Bool
    public var initiatorPort: Int
    /// `ConnTableView.unknownPort` when the first packet was flooded.
    public var responderPort: Int
    public var ownerPort: Int
    /// The TCP state, or `ConnTable.PseudoState` for other protocols.
    public var state: UInt8
    public var packetsOriginal: UInt64
    public var packetsReply: UInt64
    /// TSC of the last packet and of the first.
    public var lastSeen: UInt64
    public var created: UInt64
    public var slot: Int
    /// Bits 40 and up of the entry's info word: ICMP type and code of the first packet.
    public var infoExtra: UInt64

    public init(
        key: ConnKey, initiatorIsB: Bool, initiatorPort: Int, responderPort: Int, ownerPort: Int, state: UInt8,
        packetsOriginal: UInt64, packetsReply: UInt64, lastSeen: UInt64, created: UInt64, slot: Int, infoExtra: UInt64
    ) {
        self.key = key
        self.initiatorIsB = initiatorIsB
        self.initiatorPort = initiatorPort
        self.responderPort = responderPort
        self.ownerPort = ownerPort
        self.state = state
        self.packetsOriginal = packetsOriginal
        self.packetsReply = packetsReply
        self.lastSeen = lastSeen
        self.created = created
        self.slot = slot
        self.infoExtra = infoExtra
    }
}

/// Idle timeouts in TSC cycles, by state (the control thread's copy of `conntrack.timeouts`).
public struct ConnTimeouts: Sendable, Equatable {
    /// Indexed by `TCPState.rawValue`.
    public var tcp: [UInt64]
    public var udp: UInt64
    public var udpStream: UInt64
    public var icmp: UInt64
    public var generic: UInt64

    /// From seconds: [syn-sent, syn-recv, established, fin-wait, close-wait, last-ack, time-wait, close],
    /// udp, udp-stream, icmp, generic.
    public init(tcpSeconds: [Int], udp: Int, udpStream: Int, icmp: Int, generic: Int, tscHz: UInt64) {
        precondition(tcpSeconds.count == 8, "eight TCP timeouts")
        let hz = max(tscHz, 1)
        func cycles(_ seconds: Int) -> UInt64 { UInt64(max(seconds, 0)) &* hz }
        // none (never stored), the eight states, syn-sent2 (as syn-sent).
        tcp = [cycles(tcpSeconds[0])] + tcpSeconds.map(cycles) + [cycles(tcpSeconds[0])]
        self.udp = cycles(udp)
        self.udpStream = cycles(udpStream)
        self.icmp = cycles(icmp)
        self.generic = cycles(generic)
    }
}

/// The connection table shared by every PMD: owns the memory, hands out `view` for the fast path, and runs
/// the control operations (expiry, removal, recycling after a grace period, listings). Control operations are
/// serialised by a mutex and run concurrently with any number of PMDs using `view`.
///
/// A removed connection's slot goes dead (its signature no longer matches any lookup) and becomes free only
/// after `recycle` has waited for a grace period: a PMD that found the slot before the removal may still
/// write into it (last seen, TCP windows) until it passes a quiescent state.
public final class ConnTable: @unchecked Sendable {
    // @unchecked: the memory is reached through `view` and accessed only with atomics; the control-side
    // bookkeeping is behind `state`.
    public let view: ConnTableView
    /// Slots (a power of two, at least 16).
    public let capacity: Int
    public let portCount: Int
    /// Bytes of table memory.
    public let byteCount: Int
    private let memory: UnsafeMutableRawPointer
    private let deallocate: @Sendable (UnsafeMutableRawPointer) -> Void
    private let state = Mutex(0)  // dead slots awaiting recycling

    /// Pseudo-states of UDP, ICMP and other protocols (in the entry's state byte).
    public enum PseudoState {
        /// Only the initiator has sent.
        public static let new: UInt8 = 1
        /// Both directions have been seen.
        public static let replied: UInt8 = 2
        /// Replied, then the initiator sent again (UDP: a stream, the longer timeout).
        public static let stream: UInt8 = 3

        public static func name(_ state: UInt8) -> String {
            switch state {
            case new: "new"
            case replied: "replied"
            case stream: "stream"
            default: "#\(state)"
            }
        }
    }

    public init(
        capacity: Int, ports: Int, seed: UInt64? = nil,
        allocate: (_ byteCount: Int, _ alignment: Int) -> UnsafeMutableRawPointer = {
            UnsafeMutableRawPointer.allocate(byteCount: $0, alignment: $1)
        },
        deallocate: @escaping @Sendable (UnsafeMutableRawPointer) -> Void = { $0.deallocate() }
    ) {
        precondition(capacity > 0 && capacity <= 1 << 30, "connection table: bad capacity")
        var slots = 16
        while slots < capacity { slots <<= 1 }
        self.capacity = slots
        self.portCount = ports
        let signatureBytes = (slots * MemoryLayout<ConnTableView.Signature>.size + 63) / 64 * 64
        let entryBytes = slots * ConnTableView.entryWords * 8
        let portBytes = ((ports * 8 + 63) / 64) * 64
        byteCount = signatureBytes + entryBytes + portBytes
        memory = allocate(byteCount, 64)
        precondition(Int(bitPattern: memory) % 64 == 0, "connection table: allocator returned unaligned memory")
        self.deallocate = deallocate
        // Signatures (2 bytes a slot, padded to a cache line), then entries and port counts (8-byte words).
        let signatures = memory.bindMemory(to: Atomic<ConnTableView.Signature>.self, capacity: slots)
        for i in 0..<slots { (signatures + i).initialize(to: Atomic(0)) }
        let wordCount = (byteCount - signatureBytes) / 8
        let words = (memory + signatureBytes).bindMemory(to: Atomic<UInt64>.self, capacity: wordCount)
        for i in 0..<wordCount { (words + i).initialize(to: Atomic(0)) }
        var generator = SystemRandomNumberGenerator()
        view = ConnTableView(
            signatures: signatures, entries: words, portCounts: words + slots * ConnTableView.entryWords,
            bucketMask: slots / ConnTableView.bucketSlots - 1, seed: seed ?? generator.next())
    }

    deinit { deallocate(memory) }

    /// Bytes a table of `capacity` connections takes (for the documentation's memory figure).
    public static func bytes(capacity: Int) -> Int {
        capacity * (MemoryLayout<ConnTableView.Signature>.size + ConnTableView.entryWords * 8)
    }

    /// Connections owned by `port` (counted against its limit).
    public func count(port: Int) -> Int {
        Int(truncatingIfNeeded: view.portCounts[port].load(ordering: .relaxed))
    }

    /// Live connections.
    public var liveCount: Int {
        var n = 0
        for slot in 0..<capacity where view.signatures[slot].load(ordering: .relaxed) & ConnTableView.liveBit != 0 {
            n += 1
        }
        return n
    }

    /// Removes the connections idle for longer than their state's timeout at TSC `now`; returns how many.
    @discardableResult
    public func expire(now: UInt64, timeouts: ConnTimeouts) -> Int {
        remove { entry in
            now &- entry.lastSeen > Self.timeout(of: entry, timeouts) && now >= entry.lastSeen
        }
    }

    /// The idle timeout of a connection in its current state.
    public static func timeout(of entry: ConnEntry, _ timeouts: ConnTimeouts) -> UInt64 {
        switch entry.key.proto {
        case 6: return timeouts.tcp[Int(min(entry.state, UInt8(timeouts.tcp.count - 1)))]
        case 17: return entry.state == PseudoState.stream ? timeouts.udpStream : timeouts.udp
        case 1, 58: return timeouts.icmp
        default: return timeouts.generic
        }
    }

    /// Removes every live connection for which `predicate` holds (flushes, rule changes); returns how many.
    @discardableResult
    public func remove(where predicate: (ConnEntry) -> Bool) -> Int {
        state.withLock { dead in
            var removed = 0
            for slot in 0..<capacity {
                let signature = view.signatures[slot].load(ordering: .acquiring)
                guard signature & ConnTableView.liveBit != 0 else { continue }
                let entry = makeEntry(slot)
                guard predicate(entry) else { continue }
                guard
                    view.signatures[slot].compareExchange(
                        expected: signature, desired: ConnTableView.dead, ordering: .acquiringAndReleasing
                    ).exchanged
                else { continue }
                view.portCounts[entry.ownerPort].wrappingSubtract(1, ordering: .relaxed)
                dead += 1
                removed += 1
            }
            return removed
        }
    }

    /// Makes dead slots free again after `gracePeriod` (which returns false if it timed out: nothing is
    /// recycled then). Returns how many slots were recycled.
    @discardableResult
    public func recycle(gracePeriod: () -> Bool) -> Int {
        state.withLock { dead in
            guard dead > 0 else { return 0 }
            guard gracePeriod() else { return 0 }
            var recycled = 0
            for slot in 0..<capacity where view.signatures[slot].load(ordering: .relaxed) == ConnTableView.dead {
                view.signatures[slot].store(ConnTableView.free, ordering: .releasing)
                recycled += 1
            }
            dead = 0
            return recycled
        }
    }

    /// Every live connection, in slot order (each entry read while PMDs may update it).
    public func entries() -> [ConnEntry] {
        state.withLock { _ in
            (0..<capacity).compactMap { slot in
                view.signatures[slot].load(ordering: .acquiring) & ConnTableView.liveBit != 0 ? makeEntry(slot) : nil
            }
        }
    }

    private func makeEntry(_ slot: Int) -> ConnEntry {
        let v = view
        let key = v.key(slot)
        let info = v.info(slot)
        let packets = v.packets(slot)
        return ConnEntry(
            key: key, initiatorIsB: ConnTableView.initiatorIsB(info), initiatorPort: ConnTableView.initiator(of: info),
            responderPort: ConnTableView.responder(of: info), ownerPort: ConnTableView.owner(of: info),
            state: ConnTableView.state(of: info), packetsOriginal: packets.original, packetsReply: packets.reply,
            lastSeen: v.load(slot, ConnTableView.Word.lastSeen), created: v.load(slot, ConnTableView.Word.created),
            slot: slot, infoExtra: info >> 40)
    }
}

extension ConnTable {
    /// A tiny table for pipelines built without one (tests, the bench's io mode): with no filtered port the
    /// stage never touches it.
    public static let placeholder = ConnTable(capacity: 16, ports: PortLimit.maxPorts)
}
