import CDPDK

/// One DPDK ethdev port: a physical NIC or a virtual device (vhost-user, tap, af_packet, pcap, ...).
/// Sluice treats them all alike; only `devargs` differ.
public struct EthPort: Sendable, Hashable {
    public let id: UInt16

    public init(id: UInt16) { self.id = id }

    /// The port whose device name (devargs up to the first comma) is `name`, if it exists.
    public static func find(deviceName name: String) -> EthPort? {
        var id: UInt16 = 0
        return rte_eth_dev_get_port_by_name(name, &id) == 0 ? EthPort(id: id) : nil
    }

    /// Returns the port for `devargs`, probing (hot-plugging) the device if EAL has not already done so
    /// (PCI devices on EAL's allow-list are probed during init).
    public static func attach(devargs: String, deviceName: String) throws(DPDKError) -> EthPort {
        if let existing = find(deviceName: deviceName) { return existing }
        try check(rte_dev_probe(devargs), "probing device '\(devargs)'")
        guard let port = find(deviceName: deviceName) else {
            throw DPDKError("device '\(devargs)' probed but created no ethdev port named '\(deviceName)'", code: ENODEV)
        }
        return port
    }

    public var name: String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(RTE_ETH_NAME_MAX_LEN)) { buffer in
            guard rte_eth_dev_get_name_by_port(id, buffer.baseAddress) == 0 else { return "port\(id)" }
            return String(cString: buffer.baseAddress!)
        }
    }

    public struct Info: Sendable {
        public var driverName: String
        public var maxRxQueues: Int
        public var maxTxQueues: Int
        public var minMTU: Int
        public var maxMTU: Int
        public var txOffloadCapabilities: UInt64
        public var socket: Int32
    }

    public func info() throws(DPDKError) -> Info {
        var raw = rte_eth_dev_info()
        try check(rte_eth_dev_info_get(id, &raw), "rte_eth_dev_info_get(port \(id))")
        return Info(
            driverName: raw.driver_name.map { String(cString: $0) } ?? "?",
            maxRxQueues: Int(raw.max_rx_queues), maxTxQueues: Int(raw.max_tx_queues),
            minMTU: Int(raw.min_mtu), maxMTU: Int(raw.max_mtu),
            txOffloadCapabilities: raw.tx_offload_capa,
            socket: rte_eth_dev_socket_id(id))
    }

    public func configure(rxQueues: Int, txQueues: Int, txOffloads: UInt64 = 0) throws(DPDKError) {
        var conf = rte_eth_conf()
        conf.txmode.offloads = txOffloads
        try check(
            rte_eth_dev_configure(id, UInt16(rxQueues), UInt16(txQueues), &conf),
            "rte_eth_dev_configure(port \(id), \(rxQueues) rx, \(txQueues) tx queues)")
    }

    public func setupRxQueue(_ queue: Int, descriptors: Int, socket: Int32, pool: PacketPool) throws(DPDKError) {
        try check(
            rte_eth_rx_queue_setup(id, UInt16(queue), UInt16(descriptors), UInt32(bitPattern: socket), nil, pool.raw),
            "rte_eth_rx_queue_setup(port \(id), queue \(queue), \(descriptors) descriptors)")
    }

    public func setupTxQueue(_ queue: Int, descriptors: Int, socket: Int32) throws(DPDKError) {
        try check(
            rte_eth_tx_queue_setup(id, UInt16(queue), UInt16(descriptors), UInt32(bitPattern: socket), nil),
            "rte_eth_tx_queue_setup(port \(id), queue \(queue), \(descriptors) descriptors)")
    }

    public func setMTU(_ mtu: Int) throws(DPDKError) {
        try check(rte_eth_dev_set_mtu(id, UInt16(mtu)), "rte_eth_dev_set_mtu(port \(id), \(mtu))")
    }

    public var mtu: Int? {
        var value: UInt16 = 0
        return rte_eth_dev_get_mtu(id, &value) == 0 ? Int(value) : nil
    }

    /// A switch port must see frames for every MAC, not only its own.
    public func enablePromiscuous() throws(DPDKError) {
        let result = rte_eth_promiscuous_enable(id)
        // Virtual devices such as net_pcap or net_ring have no filter to open: already promiscuous.
        if result == -ENOTSUP { return }
        try check(result, "rte_eth_promiscuous_enable(port \(id))")
    }

    public func start() throws(DPDKError) { try check(rte_eth_dev_start(id), "rte_eth_dev_start(port \(id))") }

    public func stop() throws(DPDKError) { try check(rte_eth_dev_stop(id), "rte_eth_dev_stop(port \(id))") }

    public func close() throws(DPDKError) { try check(rte_eth_dev_close(id), "rte_eth_dev_close(port \(id))") }

    /// Unplugs a closed port's device from its bus, so that the same device name can be probed again (a
    /// port reconfigured at run time is closed and probed anew). `bus` is "vdev" or "pci".
    public static func detach(deviceName: String, bus: String) throws(DPDKError) {
        let result = rte_eal_hotplug_remove(bus, deviceName)
        // Already gone (some drivers release their device when the port closes) is what we want.
        if result == -ENOENT || result == -ENODEV { return }
        try check(result, "removing device '\(deviceName)' from bus \(bus)")
    }

    public func setLink(up: Bool) throws(DPDKError) {
        let result = up ? rte_eth_dev_set_link_up(id) : rte_eth_dev_set_link_down(id)
        if result == -ENOTSUP { return }
        try check(result, "rte_eth_dev_set_link_\(up ? "up" : "down")(port \(id))")
    }

    public struct Link: Sendable, Equatable {
        public var up: Bool
        public var speedMbps: UInt32
        public var fullDuplex: Bool
    }

    /// Link state without waiting for auto-negotiation.
    public var link: Link {
        var raw = rte_eth_link()
        guard rte_eth_link_get_nowait(id, &raw) == 0 else { return Link(up: false, speedMbps: 0, fullDuplex: false) }
        return Link(up: sl_link_up(&raw), speedMbps: sl_link_speed(&raw), fullDuplex: sl_link_full_duplex(&raw))
    }

    public var macAddress: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) {
        var mac = rte_ether_addr()
        _ = rte_eth_macaddr_get(id, &mac)
        return mac.addr_bytes
    }

    /// The driver's own counters: what the NIC or virtual device saw, including misses Sluice cannot count.
    public struct Stats: Sendable, Equatable {
        public var rxPackets: UInt64, txPackets: UInt64, rxBytes: UInt64, txBytes: UInt64
        public var rxMissed: UInt64, rxErrors: UInt64, txErrors: UInt64, rxNoMbuf: UInt64
    }

    public func stats() -> Stats? {
        var raw = rte_eth_stats()
        guard rte_eth_stats_get(id, &raw) == 0 else { return nil }
        return Stats(
            rxPackets: raw.ipackets, txPackets: raw.opackets, rxBytes: raw.ibytes, txBytes: raw.obytes,
            rxMissed: raw.imissed, rxErrors: raw.ierrors, txErrors: raw.oerrors, rxNoMbuf: raw.rx_nombuf)
    }

    /// Receives up to `burst.capacity - burst.count` packets, appending them; the number received.
    @inlinable @inline(__always)
    public func receive(queue: UInt16, into burst: inout MbufBurst) -> Int {
        let n = rte_eth_rx_burst(
            id, queue, burst.slots + burst.count, UInt16(truncatingIfNeeded: burst.capacity - burst.count))
        burst.count &+= Int(n)
        return Int(n)
    }

    /// Receives at most `limit` packets (and at most what `burst` has room for): QoS dequeues only what it
    /// can pay for.
    @inlinable @inline(__always)
    public func receive(queue: UInt16, into burst: inout MbufBurst, limit: Int) -> Int {
        let room = min(burst.capacity - burst.count, limit)
        let n = rte_eth_rx_burst(id, queue, burst.slots + burst.count, UInt16(truncatingIfNeeded: room))
        burst.count &+= Int(n)
        return Int(n)
    }

    /// Hands up to `count` buffers starting at `packets` to the driver; the number it took. Ownership of
    /// those buffers passes to the driver, the rest stay with the caller.
    @inlinable @inline(__always)
    public func transmit(queue: UInt16, _ packets: UnsafeMutablePointer<OpaquePointer?>, count: Int) -> Int {
        Int(rte_eth_tx_burst(id, queue, packets, UInt16(truncatingIfNeeded: count)))
    }
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
