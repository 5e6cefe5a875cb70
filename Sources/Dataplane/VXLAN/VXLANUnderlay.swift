import Config
import Packet
import Pipeline

/// The VTEP's side of the underlay, on the control thread (the VXLAN punt handler, `PuntKind.vxlanUnderlay`):
/// it answers ARP requests and ICMP echo for the VTEP address, learns the next hops of the remote VTEPs from
/// ARP (`UnderlayNeighbours`), says which ARP requests to send (rate-limited) and publishes each remote VTEP
/// slot's resolved next hop to the encap stage (`VXLANNextHops`). Frames are handled in their own buffers, so
/// it needs no DPDK and is tested on plain memory with a virtual clock; `Dataplane` moves the mbufs.
public final class VXLANUnderlay {
    /// The local VTEP as configured for the current generation.
    public struct Endpoint: Equatable, Sendable {
        public var uplink: UInt16
        public var mac: EthernetAddress
        public var config: VXLANConfig
        /// The remote VTEP in each owner slot (nil: a free slot), as `RemoteVTEPSlots` placed them.
        public var remotes: [IPv4Address?]

        public init(uplink: UInt16, mac: EthernetAddress, config: VXLANConfig, remotes: [IPv4Address?]) {
            self.uplink = uplink
            self.mac = mac
            self.config = config
            self.remotes = remotes
        }

        /// The underlay's tag (0: untagged) and the l3 offset of its frames.
        var vlan: UInt16 { config.underlayVLAN ?? 0 }
        var l3: Int { vlan == 0 ? 14 : 18 }

        /// Where packets to `remote` go first: itself on the VTEP's subnet, else the gateway (validation
        /// guarantees one exists for an off-link VTEP).
        public func nextHop(of remote: IPv4Address) -> IPv4Address {
            config.isOnLink(remote) ? remote : config.gateway ?? remote
        }
    }

    /// What the handler did, for `vxlan.show`.
    public struct Counters: Equatable, Sendable {
        public var arpAnswered: UInt64 = 0
        public var echoAnswered: UInt64 = 0
        /// ARP packets whose sender was a needed next hop.
        public var arpLearned: UInt64 = 0
        public var arpRequestsSent: UInt64 = 0
        /// Punted packets neither answered nor learned from (other ICMP, ARP for other addresses).
        public var ignored: UInt64 = 0
    }

    public private(set) var neighbours = UnderlayNeighbours()
    public let nextHops: VXLANNextHops
    public private(set) var endpoint: Endpoint?
    public private(set) var counters = Counters()

    public init(nextHops: VXLANNextHops) {
        self.nextHops = nextHops
    }

    /// Takes a new configuration (nil: VXLAN off): the next hops needed change, and every slot's published
    /// next hop is recomputed.
    public func configure(_ endpoint: Endpoint?, now: Double) {
        self.endpoint = endpoint
        let needed = endpoint.map { e in Set(e.remotes.compactMap { $0 }.map(e.nextHop(of:))) } ?? []
        neighbours.need(needed)
        publish(now: now)
    }

    /// Handles one punted frame of `length` bytes in place. True: the buffer now holds a reply to send back
    /// on the uplink; false: the caller frees it.
    public func handle(_ frame: UnsafeMutableRawPointer, length: Int, now: Double) -> Bool {
        guard let e = endpoint else {
            counters.ignored += 1
            return false
        }
        if let sender = LocalReplies.arpSender(UnsafeRawPointer(frame), length: length, l3: e.l3) {
            let before = neighbours.lookup(sender.address, now: now)
            neighbours.learn(sender.address, mac: sender.mac, now: now)
            let learned = neighbours.lookup(sender.address, now: now) != nil
            if learned {
                counters.arpLearned += 1
                if before != sender.mac { publish(now: now) }
            }
            if LocalReplies.answerARP(frame, length: length, l3: e.l3, mac: e.mac, address: e.config.address) {
                counters.arpAnswered += 1
                return true
            }
            if !learned { counters.ignored += 1 }
            return false
        }
        if LocalReplies.answerEcho(frame, length: length, l3: e.l3, mac: e.mac, address: e.config.address) {
            counters.echoAnswered += 1
            return true
        }
        counters.ignored += 1
        return false
    }

    /// The periodic work (every control-loop pass): expired entries go, every slot's next hop is published
    /// again, and the ARP requests now due are returned (the caller writes them with
    /// `writeRequest(for:into:)` and counts them with `requestSent()`).
    public func maintain(now: Double) -> [IPv4Address] {
        guard endpoint != nil else { return [] }
        if neighbours.expire(now: now) > 0 { publish(now: now) }
        return neighbours.requestsDue(now: now)
    }

    /// Writes the broadcast ARP request for `target` at `frame` (room for `LocalReplies.minimumFrame`
    /// bytes); its length.
    public func writeRequest(for target: IPv4Address, into frame: UnsafeMutableRawPointer) -> Int {
        guard let e = endpoint else { return 0 }
        return LocalReplies.writeARPRequest(
            frame, mac: e.mac, address: e.config.address, target: target, vlan: e.vlan)
    }

    public func requestSent() { counters.arpRequestsSent += 1 }

    /// The neighbour cache's `learn` (for callers outside the handler: sluice-bench).
    func learnNeighbour(_ address: IPv4Address, mac: EthernetAddress, now: Double) {
        neighbours.learn(address, mac: mac, now: now)
    }

    /// Each slot's next hop as the encap stage should see it: resolved, or unresolved (its frames dropped as
    /// `next-hop-unresolved`). Free slots and slots past the configuration's are unresolved.
    public func publish(now: Double) {
        for slot in 0..<MACOwner.maxRemoteVTEPs {
            if let e = endpoint, slot < e.remotes.count, let remote = e.remotes[slot],
                let mac = neighbours.lookup(e.nextHop(of: remote), now: now)
            {
                if nextHops.nextHop(slot: slot) != mac { nextHops.resolve(slot: slot, mac: mac) }
            } else if nextHops.nextHop(slot: slot) != nil {
                nextHops.forget(slot: slot)
            }
        }
    }
}
