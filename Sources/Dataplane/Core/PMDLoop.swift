import DPDK
import Glibc
import Packet
import Pipeline
import Synchronization

/// A PMD's own counters.
public enum PMDCounters {
    public static let iterations = 0, busyCycles = 1, idleCycles = 2, rxPackets = 3
    public static let count = 4
}

/// The busy-poll loop of one PMD thread: receive a burst from each of its rx queues in turn, run it through
/// the processor (pipeline + transmit), repeat until told to stop.
///
/// Everything it touches per packet was allocated before the loop started; it takes no locks, issues no
/// memory barriers and makes no system calls. Configuration changes reach it through `published`: the
/// address of this PMD's current `ForwardingTables`, read once per iteration with an acquire load (a plain
/// load on x86). When it changes, the processor is rebound before the next burst. At the end of every
/// iteration the PMD reports a quiescent state (QSBR): it copies the grace-period token into its
/// `quiescent` word with a release store (again a plain store on x86). Cycle accounting: an iteration that
/// received anything counts as busy, else idle.
public struct PMDLoop<Processor: BurstProcessor & ~Copyable>: ~Copyable {
    public var processor: Processor
    @usableFromInline var burst: PacketBurst
    public let counters: CounterBlock
    /// Busy cycles per rx queue, by port slot and queue (RxqBalance/RxqCycles.swift).
    public let queueCycles: CounterBlock
    @usableFromInline let stopFlag: UnsafeMutablePointer<Atomic<Bool>>
    @usableFromInline let published: UnsafeMutablePointer<Atomic<UInt>>
    @usableFromInline let graceToken: UnsafeMutablePointer<Atomic<UInt64>>
    @usableFromInline let quiescent: UnsafeMutablePointer<Atomic<UInt64>>
    /// This PMD's rings to and from the control thread: the loop sends what the control thread injects.
    @usableFromInline let punt: PuntPath
    /// Which vhost-user rx queues have been empty for long and are polled less often (VhostUser/).
    @usableFromInline var idle = IdleVhostQueues()
    /// The rx queues worth polling: vhost-user queues without a guest or enabled virtqueue are left out.
    @usableFromInline var live = LiveRxQueues()

    public init(
        processor: consuming Processor, burstSize: Int, counters: CounterBlock, queueCycles: CounterBlock,
        stopFlag: UnsafeMutablePointer<Atomic<Bool>>, published: UnsafeMutablePointer<Atomic<UInt>>,
        graceToken: UnsafeMutablePointer<Atomic<UInt64>>, quiescent: UnsafeMutablePointer<Atomic<UInt64>>,
        punt: PuntPath
    ) {
        self.punt = punt
        self.processor = processor
        burst = PacketBurst(capacity: burstSize)
        self.counters = counters
        self.queueCycles = queueCycles
        self.stopFlag = stopFlag
        self.published = published
        self.graceToken = graceToken
        self.quiescent = quiescent
    }

    deinit {
        idle.deallocate()
        live.deallocate()
    }

    /// `@inline(never)`: each pipeline gets its own specialised copy of the loop (the body is inlinable),
    /// kept as a function of its own so that `tools/check-fastpath` can find and check every one.
    @inlinable @inline(never)
    public mutating func run() {
        var iterationStart = readTSC()
        // Generation IDs start at 1: the first iteration always binds.
        var bound: UInt64 = 0
        while !stopFlag.pointee.load(ordering: .relaxed) {
            let tables = UnsafePointer<ForwardingTables>(bitPattern: published.pointee.load(ordering: .acquiring))
                .unsafelyUnwrapped
            // Compared by ID, not address: the allocator may place a new generation where a freed one was.
            if tables.pointee.generationID != bound {
                processor.bind(tables.pointee)
                bound = tables.pointee.generationID
                // QoS from-vm: a port the new generation no longer limits must not stay held for ever.
                tables.pointee.qos.endHolds(tsc: readTSC())
                idle.reset(count: tables.pointee.rxQueueCount)  // VhostUser/: the queues' positions changed
            }
            idle.nextIteration()
            let queues = tables.pointee.rxQueues
            // VhostUser/: a guest came, went or changed its virtqueues, or a new generation: list anew which
            // queues can receive (the epoch first, then the ports' states).
            let epoch = PortIO.vhostStateEpoch
            if live.isStale(generation: bound, epoch: epoch) {
                live.rebuild(generation: bound, epoch: epoch, queueCount: tables.pointee.rxQueueCount) { q in
                    let rxq = queues[q]
                    return rxq.port.mayReceive(queue: rxq.queue)
                }
            }
            var received = 0
            // RxqBalance/: a busy iteration's cycles are split among the queues that received, at the start of
            // each non-empty burst after the first: the queue that received last is owed the cycles from its
            // mark to the iteration's end. One busy queue per iteration (the common case) costs no extra TSC
            // read, and the queues' cycles add up to the PMD's busy cycles.
            var owedQueue = -1
            var owedSince = iterationStart
            for i in 0..<live.pollCount {
                let q = live.position(i)
                let rxq = queues[q]
                let vhost = rxq.port.isVhostUser
                if vhost && idle.skips(q) { continue }  // VhostUser/: long idle, polled every few iterations
                // QoS from-vm: a limited port is dequeued only as far as its buckets pay (backpressure).
                let slot = Int(rxq.portIndex)
                let limited = tables.pointee.qos.limitsFromVM && tables.pointee.qos.fromVM.contains(slot)
                let tsc = limited ? readTSC() : 0
                let limit =
                    limited
                    ? tables.pointee.qos.fromVMAllowance(slot: slot, limit: burst.capacity, tsc: tsc) : burst.capacity
                // Buckets empty: skip the poll itself (on vhost, rx_burst with 0 still takes the queue's lock).
                if limit == 0 { continue }
                // The bytes come with the packets (a vhost-user port sums them in its own pass over the burst).
                var bytes: UInt64 = 0
                let n = rxq.port.receive(queue: rxq.queue, into: &burst.packets, limit: limit, bytes: &bytes)
                if vhost { idle.record(q, received: n) }
                if n == 0 { continue }
                if owedQueue >= 0 {
                    let start = readTSC()
                    queueCycles.add(owedQueue, start &- owedSince)
                    owedSince = start
                }
                owedQueue = RxqCycles.index(slot: slot, queue: Int(rxq.queue))
                received &+= n
                if limited { tables.pointee.qos.fromVMCharge(slot: slot, packets: n, bytes: bytes, tsc: tsc) }
                rxq.counters.block.add(PortCounters.rxPackets, UInt64(truncatingIfNeeded: n))
                rxq.counters.block.add(PortCounters.rxBytes, bytes)
                tables.pointee.capture.ingress(burst.packets.slots, count: n, port: rxq.portIndex)  // Capture/
                burst.beginBurst(ingress: rxq.portIndex)
                processor.process(&burst)
                burst.releaseDropped()
                // A processor hands every packet on or drops it; free anything left so no mbuf can leak.
                burst.packets.freeAll()
            }
            // Packets the control thread injected (replies of punt handlers): nothing queued costs two loads.
            punt.transmitInjected(
                tables.pointee.targets, slots: ForwardingTables.maxPorts, capture: tables.pointee.capture)
            let now = readTSC()
            counters.increment(PMDCounters.iterations)
            if received > 0 {
                queueCycles.add(owedQueue, now &- owedSince)
                counters.add(PMDCounters.busyCycles, now &- iterationStart)
                counters.add(PMDCounters.rxPackets, UInt64(truncatingIfNeeded: received))
            } else {
                counters.add(PMDCounters.idleCycles, now &- iterationStart)
            }
            iterationStart = now
            // Quiescent state: nothing read from the tables in this iteration is held any longer. The token
            // is read after all of this iteration's reads (acquire) and published after them (release).
            quiescent.pointee.store(graceToken.pointee.load(ordering: .acquiring), ordering: .releasing)
        }
    }
}

/// Runs a `PMDLoop` on an EAL worker lcore. The lcore entry point is a C function and cannot be generic,
/// so it reaches the loop through this box once, at thread start; the loop itself is fully specialised.
public final class PMDThread: QuiescentReporter, @unchecked Sendable {
    // @unchecked: the box is handed to exactly one lcore; the control thread only reads `lcore` and the
    // counters (designed for concurrent reads) and stores to the atomic stop flag.
    public let lcore: UInt32
    /// The PMD's position among the PMDs: its tx queue index on every port.
    public let index: Int
    public let counters: CounterBlock
    /// Busy cycles per rx queue, by port slot and queue (RxqBalance/RxqCycles.swift).
    public let queueCycles: CounterBlock
    public let stages: [StageDescriptor]
    let stopFlag: UnsafeMutablePointer<Atomic<Bool>>
    /// Address of the `ForwardingTables` the loop reads; stored by the control thread (`publish`).
    let published: UnsafeMutablePointer<Atomic<UInt>>
    /// The last grace-period token the loop saw at the end of an iteration.
    let quiescent: UnsafeMutablePointer<Atomic<UInt64>>
    /// Set by the lcore after the loop has returned: `stop` waits for it with a deadline, because
    /// `rte_eal_wait_lcore` would wait forever for a wedged PMD.
    let exited: UnsafeMutablePointer<Atomic<Bool>>
    /// True while the loop runs on its lcore (set before its first iteration, cleared after its last):
    /// rte_vhost's destroy_device waits only for PMDs that may be polling (VhostUser/VhostQuiescence.swift).
    let active: UnsafeMutablePointer<Atomic<Bool>>
    private let body: () -> Void
    public private(set) var isRunning = false

    public init<P: BurstProcessor & ~Copyable>(
        lcore: UInt32, index: Int, processor: consuming P, tables: UnsafePointer<ForwardingTables>,
        graceToken: UnsafeMutablePointer<Atomic<UInt64>>, punt: PuntPath, burstSize: Int = 32
    ) {
        self.lcore = lcore
        self.index = index
        counters = .allocate(count: PMDCounters.count)
        queueCycles = .allocate(count: RxqCycles.count)
        stages = processor.stages
        stopFlag = .allocate(capacity: 1)
        stopFlag.initialize(to: Atomic(false))
        published = .allocate(capacity: 1)
        published.initialize(to: Atomic(UInt(bitPattern: tables)))
        quiescent = .allocate(capacity: 1)
        quiescent.initialize(to: Atomic(0))
        exited = .allocate(capacity: 1)
        exited.initialize(to: Atomic(false))
        active = .allocate(capacity: 1)
        active.initialize(to: Atomic(false))
        let holder = LoopHolder(
            PMDLoop(
                processor: processor, burstSize: burstSize, counters: counters, queueCycles: queueCycles,
                stopFlag: stopFlag,
                published: published, graceToken: graceToken, quiescent: quiescent, punt: punt))
        body = { holder.runOnce() }
    }

    deinit {
        stopFlag.deinitialize(count: 1)
        stopFlag.deallocate()
        published.deinitialize(count: 1)
        published.deallocate()
        quiescent.deinitialize(count: 1)
        quiescent.deallocate()
        exited.deinitialize(count: 1)
        exited.deallocate()
        active.deinitialize(count: 1)
        active.deallocate()
    }

    /// Points the loop at new tables; it starts using them at its next iteration.
    func publish(_ tables: UnsafePointer<ForwardingTables>) {
        published.pointee.store(UInt(bitPattern: tables), ordering: .releasing)
    }

    /// The tables the loop reads now (or will read first when started).
    var tables: UnsafePointer<ForwardingTables> {
        UnsafePointer(bitPattern: published.pointee.load(ordering: .acquiring))!
    }

    /// The grace-period token the loop last reported.
    var quiescentToken: UInt64 { quiescent.pointee.load(ordering: .acquiring) }

    /// Starts the loop on the lcore.
    public func start() throws(DPDKError) {
        precondition(!isRunning, "PMD already running")
        stopFlag.pointee.store(false, ordering: .relaxed)
        exited.pointee.store(false, ordering: .relaxed)
        let context = Unmanaged.passRetained(self).toOpaque()
        do {
            try Lcore.launch(pmdThreadEntry, context: context, on: lcore)
        } catch {
            Unmanaged<PMDThread>.fromOpaque(context).release()
            throw error
        }
        isRunning = true
    }

    /// Asks the loop to stop and waits for the lcore to return. The loop finishes its current iteration:
    /// packets in flight are transmitted or freed, none leak. A PMD that is wedged never returns: this waits
    /// forever; `requestStop` and `waitStopped(until:)` wait with a deadline.
    public func stop() {
        guard isRunning else { return }
        requestStop()
        Lcore.wait(lcore)
        isRunning = false
    }

    /// Tells the loop to stop after its current iteration; does not wait.
    func requestStop() {
        guard isRunning else { return }
        stopFlag.pointee.store(true, ordering: .releasing)
    }

    /// Waits until the loop has returned (after `requestStop`), or until `deadline`; false if it has not
    /// returned by then (the PMD stays marked running: its lcore may still use everything it was given).
    func waitStopped(until deadline: ContinuousClock.Instant) -> Bool {
        guard isRunning else { return true }
        while !exited.pointee.load(ordering: .acquiring) {
            if ContinuousClock.now >= deadline { return false }
            usleep(1000)
        }
        Lcore.wait(lcore)
        isRunning = false
        return true
    }

    fileprivate func runOnLcore() {
        PMDStallHook.register(lcore: lcore)
        // Sequentially consistent: a destroy_device that clears a guest's id and then finds this PMD inactive
        // knows the loop will read the cleared id.
        active.pointee.store(true, ordering: .sequentiallyConsistent)
        body()
        active.pointee.store(false, ordering: .releasing)
        exited.pointee.store(true, ordering: .releasing)
    }
}

private let pmdThreadEntry: Lcore.Entry = { context in
    let thread = Unmanaged<PMDThread>.fromOpaque(context!).takeRetainedValue()
    thread.runOnLcore()
    return 0
}

/// Holds the loop until its lcore takes it: a loop runs once, on one thread.
private final class LoopHolder<P: BurstProcessor & ~Copyable>: @unchecked Sendable {
    private var loop: PMDLoop<P>?

    init(_ loop: consuming PMDLoop<P>) { self.loop = consume loop }

    func runOnce() {
        guard var taken = loop.take() else { return }
        taken.run()
        loop = consume taken
    }
}
