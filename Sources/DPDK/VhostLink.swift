import CDPDK
import Synchronization

/// Watches one net_vhost port: whether a guest (a QEMU virtio-net device, or a virtio-user process) is
/// attached, what it negotiated and which of its virtqueues it has enabled.
///
/// net_vhost reports a guest's arrival and departure as a link-state-change event (from vhost's new-device
/// and destroy-device callbacks) and virtqueue enabling as a queue-state event. Both arrive on DPDK's
/// vhost-events thread; the handlers here only store a few atomics that the control thread reads.
/// Reading the negotiated features in the handler is safe because the same thread is the one that destroys
/// vhost devices.
public final class VhostLink: @unchecked Sendable {
    // @unchecked: all mutable state is in atomics.
    public let port: EthPort
    /// The socket path the port was created with, to check that a vhost device id belongs to this port.
    public let socketPath: String

    private let connected = Atomic<Bool>(false)
    private let connects = Atomic<UInt64>(0)
    private let disconnects = Atomic<UInt64>(0)
    private let features = Atomic<UInt64>(0)
    private let vrings = Atomic<UInt64>(0)
    /// Bit q: the guest has enabled its tx virtqueue q (Sluice's rx queue q) / its rx virtqueue q.
    private let guestTxEnabled = Atomic<UInt64>(0)
    private let guestRxEnabled = Atomic<UInt64>(0)
    private var isRegistered = false

    private init(port: EthPort, socketPath: String) {
        self.port = port
        self.socketPath = socketPath
    }

    /// Starts watching `port`. Call before configuring the port: in client mode net_vhost connects while
    /// the port is configured, and a guest that is already waiting can attach at once.
    public static func watch(port: EthPort, socketPath: String) throws(DPDKError) -> VhostLink {
        let link = VhostLink(port: port, socketPath: socketPath)
        let context = Unmanaged.passUnretained(link).toOpaque()
        try check(
            rte_eth_dev_callback_register(port.id, RTE_ETH_EVENT_INTR_LSC, vhostEventCallback, context),
            "rte_eth_dev_callback_register(port \(port.id), link state)")
        do {
            try check(
                rte_eth_dev_callback_register(port.id, RTE_ETH_EVENT_QUEUE_STATE, vhostEventCallback, context),
                "rte_eth_dev_callback_register(port \(port.id), queue state)")
        } catch {
            _ = rte_eth_dev_callback_unregister(port.id, RTE_ETH_EVENT_INTR_LSC, vhostEventCallback, context)
            throw error
        }
        link.isRegistered = true
        return link
    }

    /// Stops watching. Call before the port is closed, on the thread that called `watch`.
    /// `rte_eth_dev_callback_unregister` waits for a running callback to finish, so the object may be
    /// released afterwards.
    public func stopWatching() {
        guard isRegistered else { return }
        isRegistered = false
        let context = Unmanaged.passUnretained(self).toOpaque()
        while rte_eth_dev_callback_unregister(port.id, RTE_ETH_EVENT_INTR_LSC, vhostEventCallback, context) == -EAGAIN {
            rte_pause()
        }
        while rte_eth_dev_callback_unregister(port.id, RTE_ETH_EVENT_QUEUE_STATE, vhostEventCallback, context)
            == -EAGAIN
        {
            rte_pause()
        }
    }

    deinit { stopWatching() }

    public struct State: Sendable, Equatable {
        /// A guest is attached: it negotiated features and its rings are ready.
        public var connected: Bool
        /// Guest attachments and detachments seen since the port was created.
        public var connects: UInt64
        public var disconnects: UInt64
        /// The virtio feature bits negotiated with the attached guest; 0 without a guest (or before they
        /// could be read).
        public var negotiatedFeatures: UInt64
        /// Virtqueues the attached guest set up (two per queue pair).
        public var vrings: Int
        /// Queue pairs whose guest-side tx ring (Sluice receives from it) / rx ring (Sluice sends to it) the
        /// guest enabled, as bit masks by queue index (queues 0...63).
        public var guestTxQueueMask: UInt64
        public var guestRxQueueMask: UInt64
    }

    /// If a guest attached before the port was started, the handler could not yet tell which vhost device
    /// is the port's; read its features now (the control thread, once the port is started).
    public func refreshAfterStart() {
        guard connected.load(ordering: .acquiring), features.load(ordering: .relaxed) == 0 else { return }
        // This runs on the control thread, racing the vhost events thread: if the guest disconnected while
        // the device was read, the values read are stale and must not overwrite the cleared state.
        let disconnectsBefore = disconnects.load(ordering: .acquiring)
        guard let (negotiated, rings) = readDevice() else { return }
        guard disconnects.load(ordering: .acquiring) == disconnectsBefore, connected.load(ordering: .acquiring) else {
            return
        }
        if features.compareExchange(expected: 0, desired: negotiated, ordering: .relaxed).exchanged {
            vrings.store(rings, ordering: .relaxed)
        }
    }

    public var state: State {
        State(
            connected: connected.load(ordering: .acquiring), connects: connects.load(ordering: .relaxed),
            disconnects: disconnects.load(ordering: .relaxed), negotiatedFeatures: features.load(ordering: .relaxed),
            vrings: Int(vrings.load(ordering: .relaxed)), guestTxQueueMask: guestTxEnabled.load(ordering: .relaxed),
            guestRxQueueMask: guestRxEnabled.load(ordering: .relaxed))
    }

    // MARK: Event handlers (vhost-events thread)

    fileprivate func linkChanged() {
        var raw = rte_eth_link()
        let up = rte_eth_link_get_nowait(port.id, &raw) == 0 && sl_link_up(&raw)
        if up {
            if let (negotiated, rings) = readDevice() {
                features.store(negotiated, ordering: .relaxed)
                vrings.store(rings, ordering: .relaxed)
            }
            connects.add(1, ordering: .relaxed)
            connected.store(true, ordering: .releasing)
        } else {
            // Counted first: `refreshAfterStart` on the control thread discards what it read once this moves.
            disconnects.add(1, ordering: .relaxed)
            connected.store(false, ordering: .releasing)
            features.store(0, ordering: .relaxed)
            vrings.store(0, ordering: .relaxed)
            // net_vhost forgets the rings' state with the device, without queue events.
            guestTxEnabled.store(0, ordering: .relaxed)
            guestRxEnabled.store(0, ordering: .relaxed)
        }
    }

    fileprivate func queuesChanged() {
        var event = rte_eth_vhost_queue_event()
        while rte_eth_vhost_get_queue_event(port.id, &event) == 0 {
            guard event.queue_id < 64 else { continue }
            let bit = UInt64(1) << UInt64(event.queue_id)
            // `rx` names the guest's receive ring, to which Sluice transmits.
            switch (event.rx, event.enable) {
            case (true, true): guestRxEnabled.bitwiseOr(bit, ordering: .relaxed)
            case (true, false): guestRxEnabled.bitwiseAnd(~bit, ordering: .relaxed)
            case (false, true): guestTxEnabled.bitwiseOr(bit, ordering: .relaxed)
            case (false, false): guestTxEnabled.bitwiseAnd(~bit, ordering: .relaxed)
            }
        }
    }

    /// Reads the attached device's features and ring count, if the port's vhost device id is known and is
    /// the device of this port's socket.
    /// The negotiated features and vring count of the guest attached now, if any.
    private func readDevice() -> (features: UInt64, vrings: UInt64)? {
        let vid = rte_eth_vhost_get_vid_from_port_id(port.id)
        guard vid >= 0 else { return nil }
        let name = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { buffer -> String? in
            guard rte_vhost_get_ifname(vid, buffer.baseAddress, buffer.count) == 0 else { return nil }
            return String(cString: buffer.baseAddress!)
        }
        guard name == socketPath else { return nil }
        var negotiated: UInt64 = 0
        guard rte_vhost_get_negotiated_features(vid, &negotiated) == 0 else { return nil }
        return (negotiated, UInt64(rte_vhost_get_vring_num(vid)))
    }
}

private let vhostEventCallback: rte_eth_dev_cb_fn = { _, event, context, _ in
    guard let context else { return 0 }
    let link = Unmanaged<VhostLink>.fromOpaque(context).takeUnretainedValue()
    switch event {
    case RTE_ETH_EVENT_INTR_LSC: link.linkChanged()
    case RTE_ETH_EVENT_QUEUE_STATE: link.queuesChanged()
    default: break
    }
    return 0
}

extension EthPort {
    /// The driver's per-queue counters (DPDK keeps them for the first 16 queues of each direction).
    public struct QueueStats: Sendable, Equatable {
        public var rxPackets: [UInt64], rxBytes: [UInt64], txPackets: [UInt64], txBytes: [UInt64]
    }

    public static var queueStatsLimit: Int { Int(RTE_ETHDEV_QUEUE_STAT_CNTRS) }

    public func queueStats(rxQueues: Int, txQueues: Int) -> QueueStats? {
        var raw = rte_eth_stats()
        guard rte_eth_stats_get(id, &raw) == 0 else { return nil }
        func take<T>(_ tuple: T, _ count: Int) -> [UInt64] {
            withUnsafeBytes(of: tuple) {
                Array($0.bindMemory(to: UInt64.self).prefix(min(count, EthPort.queueStatsLimit)))
            }
        }
        return QueueStats(
            rxPackets: take(raw.q_ipackets, rxQueues), rxBytes: take(raw.q_ibytes, rxQueues),
            txPackets: take(raw.q_opackets, txQueues), txBytes: take(raw.q_obytes, txQueues))
    }
}
