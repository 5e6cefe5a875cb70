import CDPDK
import Synchronization

/// One vhost-user socket driven through DPDK's vhost library (`rte_vhost`) directly, as Open vSwitch does:
/// no ethdev per guest, so the number of vhost-user ports is not bounded by `RTE_MAX_ETHPORTS`.
///
/// rte_vhost tells about guests through callbacks on its vhost-events thread: a guest attached
/// (`new_device`), detached (`destroy_device`) or enabled a virtqueue (`vring_state_changed`). The handlers
/// here only store words (`shared`, read by the PMDs without locks, and a few atomics for status), except
/// `destroy_device`, which must not return while a PMD may still call rte_vhost with the departing device's
/// id: it clears the id, then waits for every PMD to pass a quiescent state (`VhostUserSocket.quiesce`, set by
/// the dataplane). The PMDs never wait for the vhost thread.
public final class VhostUserSocket: @unchecked Sendable {
    // @unchecked: mutable state is in atomics, in `shared` (atomics and single-writer words), or is only
    // touched by the thread that registers and unregisters (`isRegistered`).
    public let path: String
    public let isClient: Bool
    /// Queue pairs the port serves (its rx queues; PMD i transmits on pair i).
    public let queuePairs: Int
    /// The state the PMDs read (`struct sl_vhost_port`, CDPDK.h); freed with this object, which the
    /// dataplane keeps alive as long as any generation can reach it.
    public let shared: OpaquePointer
    private let connected = Atomic<Bool>(false)
    private let connects = Atomic<UInt64>(0)
    private let disconnects = Atomic<UInt64>(0)
    private let features = Atomic<UInt64>(0)
    private let vrings = Atomic<UInt64>(0)
    private var isRegistered = false

    /// Virtio features never offered to a guest: host TSO (VIRTIO_NET_F_HOST_TSO4 and _TSO6), so every frame
    /// a guest sends fits one mbuf. The same set net_vhost disabled by default, so guests negotiate what they
    /// always did.
    public static var disabledFeatures: UInt64 { (1 << 11) | (1 << 12) }

    /// Waits until no PMD can still be using a guest's device id that was just cleared: every running PMD
    /// has finished the loop iteration it was in. Set by the dataplane while its PMDs exist; called on the
    /// vhost-events thread (or the thread that unregisters a socket) from `destroy_device`.
    public static func setQuiesce(_ body: (@Sendable () -> Void)?) { quiesceHook.withLock { $0 = body } }

    private static let quiesceHook = Mutex<(@Sendable () -> Void)?>(nil)
    /// Registered sockets by path: rte_vhost's callbacks name only the device, whose socket path is its ifname.
    private static let registry = Mutex<[String: VhostUserSocket]>([:])

    private init(path: String, isClient: Bool, queuePairs: Int, shared: OpaquePointer) {
        self.path = path
        self.isClient = isClient
        self.queuePairs = queuePairs
        self.shared = shared
    }

    deinit {
        unregister()
        sl_vhost_port_free(shared)
    }

    /// Registers the socket with rte_vhost (client mode: rte_vhost connects, and reconnects once a second
    /// while the socket is missing or closed; server mode: it creates the socket and listens), with the
    /// callbacks and the disabled features. `start` then opens it.
    public static func register(path: String, client: Bool, queuePairs: Int) throws(DPDKError) -> VhostUserSocket {
        guard queuePairs >= 1 && queuePairs <= Int(SL_VHOST_MAX_QUEUES) else {
            throw DPDKError(
                "vhost-user socket \(path): \(queuePairs) queue pairs (1...\(SL_VHOST_MAX_QUEUES))", code: EINVAL)
        }
        guard let shared = sl_vhost_port_alloc() else {
            throw DPDKError("vhost-user socket \(path): allocating its state", code: ENOMEM)
        }
        let socket = VhostUserSocket(path: path, isClient: client, queuePairs: queuePairs, shared: shared)
        let taken = registry.withLock { sockets -> Bool in
            if sockets[path] != nil { return true }
            sockets[path] = socket
            return false
        }
        if taken { throw DPDKError("vhost-user socket \(path) is already registered", code: EEXIST) }
        var flags = sl_vhost_user_compliant_ol_flags()
        if client { flags |= sl_vhost_user_client() }
        do {
            try check(rte_vhost_driver_register(path, flags), "rte_vhost_driver_register(\(path))")
        } catch {
            _ = registry.withLock { $0.removeValue(forKey: path) }
            throw error
        }
        socket.isRegistered = true
        do {
            try check(
                rte_vhost_driver_disable_features(path, disabledFeatures), "rte_vhost_driver_disable_features(\(path))")
            try check(
                rte_vhost_driver_callback_register(path, deviceOperations),
                "rte_vhost_driver_callback_register(\(path))")
        } catch {
            socket.unregister()
            throw error
        }
        return socket
    }

    /// Opens the socket: connects (client) or listens (server). A guest may attach from now on.
    public func start() throws(DPDKError) {
        try check(rte_vhost_driver_start(path), "rte_vhost_driver_start(\(path))")
    }

    /// Closes the socket and detaches its guest (rte_vhost calls `destroy_device` first, on this thread);
    /// in server mode rte_vhost removes the socket file. Idempotent; call on the registering thread.
    public func unregister() {
        guard isRegistered else { return }
        isRegistered = false
        // rte_vhost waits by itself for a callback of this socket running on the vhost-events thread.
        _ = rte_vhost_driver_unregister(path)
        _ = VhostUserSocket.registry.withLock { $0.removeValue(forKey: path) }
        sl_vhost_detach(shared)
    }

    public struct State: Sendable, Equatable {
        /// A guest is attached: it negotiated features and its rings are ready.
        public var connected: Bool
        /// Guest attachments and detachments seen since the port was created.
        public var connects: UInt64
        public var disconnects: UInt64
        /// The virtio feature bits negotiated with the attached guest; 0 without a guest.
        public var negotiatedFeatures: UInt64
        /// Virtqueues the attached guest set up (two per queue pair).
        public var vrings: Int
        /// Queue pairs whose guest-side tx ring (Sluice receives from it) / rx ring (Sluice sends to it) the
        /// guest enabled, as bit masks by queue index.
        public var guestTxQueueMask: UInt64
        public var guestRxQueueMask: UInt64
    }

    public var state: State {
        State(
            connected: connected.load(ordering: .acquiring), connects: connects.load(ordering: .relaxed),
            disconnects: disconnects.load(ordering: .relaxed), negotiatedFeatures: features.load(ordering: .relaxed),
            vrings: Int(vrings.load(ordering: .relaxed)), guestTxQueueMask: sl_vhost_enabled(shared, false),
            guestRxQueueMask: sl_vhost_enabled(shared, true))
    }

    /// The PMDs' counters of queue pair `queue` (received from the guest, sent to it), summed over PMDs by
    /// construction: each queue's counters have one writer at a time.
    public struct QueueCounts: Sendable, Equatable {
        public var rxPackets: UInt64, rxBytes: UInt64, txPackets: UInt64, txBytes: UInt64
    }

    public func counts(queue: Int) -> QueueCounts {
        let q = UInt16(queue)
        return QueueCounts(
            rxPackets: sl_vhost_rx_packets(shared, q), rxBytes: sl_vhost_rx_bytes(shared, q),
            txPackets: sl_vhost_tx_packets(shared, q), txBytes: sl_vhost_tx_bytes(shared, q))
    }

    /// The port's description in the shape of an ethdev's: driver `rte_vhost`, one queue per pair each way.
    public var info: EthPort.Info {
        EthPort.Info(
            driverName: "rte_vhost", maxRxQueues: queuePairs, maxTxQueues: queuePairs, minMTU: 68, maxMTU: 1500,
            txOffloadCapabilities: 0, socket: sl_socket_id_any())
    }

    /// Up while a guest is attached, at 10 Gb/s (the speed net_vhost reported).
    public var link: EthPort.Link {
        let up = connected.load(ordering: .acquiring)
        return EthPort.Link(up: up, speedMbps: up ? 10_000 : 0, fullDuplex: true)
    }

    /// The queues' counters summed, in the shape of an ethdev's statistics.
    public var stats: EthPort.Stats {
        var sum = EthPort.Stats(
            rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0, rxMissed: 0, rxErrors: 0, txErrors: 0, rxNoMbuf: 0)
        for q in 0..<queuePairs {
            let c = counts(queue: q)
            sum.rxPackets += c.rxPackets
            sum.rxBytes += c.rxBytes
            sum.txPackets += c.txPackets
            sum.txBytes += c.txBytes
        }
        return sum
    }

    // MARK: Callbacks (vhost-events thread)

    fileprivate static func socket(of vid: Int32) -> VhostUserSocket? {
        let name = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { buffer -> String? in
            guard rte_vhost_get_ifname(vid, buffer.baseAddress, buffer.count) == 0 else { return nil }
            return String(cString: buffer.baseAddress!)
        }
        guard let name else { return nil }
        return registry.withLock { $0[name] }
    }

    fileprivate func attach(vid: Int32) {
        var negotiated: UInt64 = 0
        if rte_vhost_get_negotiated_features(vid, &negotiated) != 0 { negotiated = 0 }
        let rings = rte_vhost_get_vring_num(vid)
        // The PMDs poll: the guest need not notify (kick) Sluice of new packets, which saves it an exit each.
        for ring in 0..<rings { _ = rte_vhost_enable_guest_notification(vid, UInt16(ring), 0) }
        features.store(negotiated, ordering: .relaxed)
        vrings.store(UInt64(rings), ordering: .relaxed)
        sl_vhost_attach(shared, vid, Int32(min(Int(rings) / 2, queuePairs)))
        connects.add(1, ordering: .relaxed)
        connected.store(true, ordering: .releasing)
    }

    fileprivate func detach(vid: Int32) {
        guard sl_vhost_vid(shared) == vid else { return }
        disconnects.add(1, ordering: .relaxed)
        connected.store(false, ordering: .releasing)
        sl_vhost_detach(shared)
        features.store(0, ordering: .relaxed)
        vrings.store(0, ordering: .relaxed)
        // rte_vhost forgets the rings' state with the device, without vring-state callbacks.
        sl_vhost_clear_enabled(shared)
        // The rte_vhost contract: once this returns, the device id may be freed or reused; no PMD may be in
        // an rte_vhost call with it any more.
        VhostUserSocket.quiesceHook.withLock { $0 }?()
    }

    fileprivate func vringChanged(vid: Int32, ring: UInt16, enabled: Bool) {
        let pair = ring / 2
        if pair < UInt16(SL_VHOST_MAX_QUEUES) { sl_vhost_set_enabled(shared, ring % 2 == 0, pair, enabled) }
        // A multiqueue guest sets up its further pairs after it attached: let the PMDs use them.
        if sl_vhost_vid(shared) == vid {
            let rings = rte_vhost_get_vring_num(vid)
            vrings.store(UInt64(rings), ordering: .relaxed)
            sl_vhost_set_pairs(shared, Int32(min(Int(rings) / 2, queuePairs)))
        }
    }
}

/// rte_vhost keeps the pointer: allocated once, never freed, written only here.
nonisolated(unsafe) private let deviceOperations: UnsafeMutablePointer<rte_vhost_device_ops> = {
    let ops = UnsafeMutablePointer<rte_vhost_device_ops>.allocate(capacity: 1)
    ops.initialize(to: rte_vhost_device_ops())
    ops.pointee.new_device = { vid in
        VhostUserSocket.socket(of: vid)?.attach(vid: vid)
        return 0
    }
    ops.pointee.destroy_device = { vid in
        VhostUserSocket.socket(of: vid)?.detach(vid: vid)
    }
    ops.pointee.vring_state_changed = { vid, ring, enable in
        VhostUserSocket.socket(of: vid)?.vringChanged(vid: vid, ring: ring, enabled: enable != 0)
        return 0
    }
    return ops
}()
