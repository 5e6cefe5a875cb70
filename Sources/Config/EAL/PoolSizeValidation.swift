/// The packet pool against what uses it. The pool is created once with `mempool.mbufs` buffers; drivers
/// fill their rx rings from it when a port starts and hold transmitted buffers until the NIC is done, so a
/// pool smaller than that fails at start (or starves receive later); and the pool must fit in the memory
/// EAL is given. The formulas are in docs/configuration.md ("How big the pool must be").
extension Validator {
    /// Packets one PMD thread can hold outside any ring: one received burst.
    static let burstSize = 32
    /// DPDK's `struct rte_mbuf` and the mempool's per-object header, on top of headroom and data room.
    static let mbufOverheadBytes = 128 + 64

    func validatePoolSize(mask: UInt64?) {
        let mempool = config.mempool
        defer { validatePoolMemory() }
        guard let mask, isKnown("mempool.mbufs"), Limits.mbufs.contains(mempool.mbufs), isKnown("ports") else {
            return
        }
        let pmds = mask.nonzeroBitCount
        var rings = 0
        var heldBy: [String] = []
        for (index, port) in config.ports.enumerated() {
            let path = KeyPath.element("ports", index)
            guard isKnown(path), isKnown(KeyPath.child(path, "rx-descriptors")),
                isKnown(KeyPath.child(path, "tx-descriptors")), Limits.queues.contains(port.rxQueues)
            else { return }
            let held = Self.ringBuffers(of: port, pmds: pmds)
            if held > 0 { heldBy.append("\(port.name) \(held)") }
            rings += held
        }
        // Only ring-filling drivers fail for want of mbufs; with none, a small pool merely receives less.
        // Besides the rings: one burst per PMD in flight (an rx burst, or the mbufs rte_vhost's dequeue
        // allocates per call: vhost-user queues hold none at rest), and what the lcores' mempool caches may
        // keep for themselves (the PMDs' and the main lcore's).
        let bursts = pmds * Self.burstSize
        let cacheSize =
            isKnown("mempool.cache-size") && Limits.cacheSize.contains(mempool.cacheSize) ? mempool.cacheSize : 0
        let caches = (pmds + 1) * Self.cacheHoard(cacheSize)
        let needed = rings + bursts + caches
        if rings > 0, mempool.mbufs < needed {
            let cacheText =
                caches == 0
                ? "" : ", and each of the \(pmds + 1) lcores' mempool caches may keep \(Self.cacheHoard(cacheSize))"
            report(
                "mempool.mbufs",
                "\(mempool.mbufs) cannot fill the ports' rings: they hold \(rings) mbufs "
                    + "(\(Self.summary(heldBy))), each of the \(pmds) PMD threads needs room for a burst "
                    + "of \(Self.burstSize)\(cacheText), \(needed) in all; raise mempool.mbufs to at least "
                    + "\(needed) or lower the ports' rx-descriptors, tx-descriptors or rx-queues"
                    + (caches == 0 ? "" : " or mempool.cache-size"))
        }
    }

    /// The most mbufs one lcore's mempool cache can keep from the others: DPDK flushes it above 1.5 × its size.
    static func cacheHoard(_ cacheSize: Int) -> Int { (cacheSize * 3 + 1) / 2 }

    /// "name count" of the ports holding mbufs, the first eight and how many more (a host of a thousand ports
    /// would otherwise get a thousand names).
    static func summary(_ heldBy: [String]) -> String {
        let shown = 8
        guard heldBy.count > shown else { return heldBy.joined(separator: ", ") }
        return heldBy.prefix(shown).joined(separator: ", ") + " and \(heldBy.count - shown) more ports"
    }

    /// Buffers a port's driver keeps in its rings: physical NICs fill every rx descriptor at start and keep
    /// transmitted buffers until the hardware completes them; net_tap fills its rx descriptors too. The
    /// other virtual devices (null, ring, pcap, vhost) copy or hand back and hold nothing.
    static func ringBuffers(of port: PortConfig, pmds: Int) -> Int {
        if port.isPCI {
            return port.rxQueues * port.rxDescriptors + port.effectiveTxQueues(pmdCount: pmds) * port.txDescriptors
        }
        if port.vhostUser == nil, port.deviceName.hasPrefix(Devargs.tapPrefix) {
            return port.rxQueues * port.rxDescriptors
        }
        return 0
    }

    /// The pool's memory in MiB, rounded up: every mbuf is its data room, DPDK's headroom and headers.
    static func poolMegabytes(_ mempool: MempoolConfig) -> Int {
        let bytes = mempool.mbufs * (mempool.mbufDataSize + MempoolConfig.headroom + mbufOverheadBytes)
        return (bytes + 1_048_575) / 1_048_576
    }

    private func validatePoolMemory() {
        let mempool = config.mempool
        guard isKnown("mempool.mbuf-data-size"), Limits.mbufDataSize.contains(mempool.mbufDataSize),
            isKnown("eal.memory")
        else { return }
        let pool = Self.poolMegabytes(mempool)
        let perMbuf = mempool.mbufDataSize + MempoolConfig.headroom + Self.mbufOverheadBytes
        let sizing =
            "mempool.mbufs \(mempool.mbufs) × \(perMbuf) bytes (mempool.mbuf-data-size + \(MempoolConfig.headroom) "
            + "headroom + \(Self.mbufOverheadBytes) for DPDK's headers) is \(pool) MiB"
        if case .noHuge(let megabytes) = config.eal.memory, isKnown("eal.no-huge-mb"),
            Limits.noHugeMegabytes.contains(megabytes), pool > megabytes
        {
            report(
                "eal.no-huge-mb",
                "\(megabytes) MiB cannot hold the packet pool: \(sizing); raise eal.no-huge-mb above \(pool) "
                    + "or lower mempool.mbufs or mempool.mbuf-data-size")
        }
        // With no-huge, socket-mem is refused on its own (validateEAL).
        if let socketMem = config.eal.socketMem, config.eal.memory.usesHugepages, isKnown("eal.socket-mem"),
            Self.isSocketMemList(socketMem)
        {
            // The pool is one allocation on one socket; the largest share is the most it can get.
            let largest = socketMem.split(separator: ",").compactMap { Int($0) }.max() ?? 0
            if pool > largest {
                report(
                    "eal.socket-mem",
                    "\(quoted(socketMem)) gives at most \(largest) MiB to one NUMA socket, which cannot hold the "
                        + "packet pool: \(sizing); raise eal.socket-mem above \(pool) or lower mempool.mbufs or "
                        + "mempool.mbuf-data-size")
            }
        }
    }
}
