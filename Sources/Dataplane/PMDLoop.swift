import DPDK
import Pipeline
import Synchronization

/// An rx queue as a PMD sees it: the port, the queue, the port's index in the port table (the ingress of
/// every packet received here) and this PMD's counters for the port.
@frozen
public struct RxQueueRef: Sendable {
    public var port: EthPort
    public var queue: UInt16
    public var portIndex: UInt16
    public var counters: PortCounters

    public init(port: EthPort, queue: UInt16, portIndex: UInt16, counters: PortCounters) {
        self.port = port
        self.queue = queue
        self.portIndex = portIndex
        self.counters = counters
    }
}

/// A PMD's own counters.
public enum PMDCounters {
    public static let iterations = 0, busyCycles = 1, idleCycles = 2, rxPackets = 3
    public static let count = 4
}

/// The busy-poll loop of one PMD thread: receive a burst from each of its rx queues in turn, run it through
/// the processor (pipeline + transmit), repeat until told to stop.
///
/// Everything it touches per packet was allocated before the loop started; it takes no locks and makes
/// no system calls. Cycle accounting: an iteration that received anything counts as busy, else idle.
public struct PMDLoop<Processor: BurstProcessor & ~Copyable>: ~Copyable {
    public var processor: Processor
    @usableFromInline var burst: PacketBurst
    @usableFromInline let queues: UnsafeMutableBufferPointer<RxQueueRef>
    public let counters: CounterBlock
    @usableFromInline let stopFlag: UnsafeMutablePointer<Atomic<Bool>>
    /// Bumped after every iteration with a full barrier: the PMD's quiescent-state counter (QSBR).
    @usableFromInline let quiescent: UnsafeMutablePointer<Atomic<UInt64>>

    public init(processor: consuming Processor, queues: [RxQueueRef], burstSize: Int, counters: CounterBlock,
                stopFlag: UnsafeMutablePointer<Atomic<Bool>>, quiescent: UnsafeMutablePointer<Atomic<UInt64>>) {
        self.processor = processor
        burst = PacketBurst(capacity: burstSize)
        self.queues = .allocate(capacity: max(queues.count, 1))
        _ = self.queues.initialize(from: queues)
        self.counters = counters
        self.stopFlag = stopFlag
        self.quiescent = quiescent
    }

    deinit { queues.deallocate() }

    /// `@inline(never)`: each pipeline gets its own specialised copy of the loop (the body is inlinable),
    /// kept as a function of its own so that `tools/check-fastpath` can find and check every one.
    @inlinable @inline(never)
    public mutating func run() {
        var iterationStart = readTSC()
        while !stopFlag.pointee.load(ordering: .relaxed) {
            var received = 0
            for q in 0..<queues.count {
                let rxq = queues[q]
                let n = rxq.port.receive(queue: rxq.queue, into: &burst.packets)
                if n == 0 { continue }
                received &+= n
                var bytes: UInt64 = 0
                for i in 0..<n { bytes &+= UInt64(truncatingIfNeeded: burst.packets[i].packetLength) }
                rxq.counters.block.add(PortCounters.rxPackets, UInt64(truncatingIfNeeded: n))
                rxq.counters.block.add(PortCounters.rxBytes, bytes)
                burst.beginBurst(ingress: rxq.portIndex)
                processor.process(&burst)
                burst.releaseDropped()
                // A processor hands every packet on or drops it; free anything left so no mbuf can leak.
                burst.packets.freeAll()
            }
            let now = readTSC()
            counters.increment(PMDCounters.iterations)
            if received > 0 {
                counters.add(PMDCounters.busyCycles, now &- iterationStart)
                counters.add(PMDCounters.rxPackets, UInt64(truncatingIfNeeded: received))
            } else {
                counters.add(PMDCounters.idleCycles, now &- iterationStart)
            }
            iterationStart = now
            // A quiescent state: no table entry read in this iteration is held any longer. The full barrier
            // (one locked add per iteration, not per packet) also orders this PMD's later reads after any
            // pause the control thread announced before it saw this count (see MACTable.recycleTombstones).
            quiescent.pointee.add(1, ordering: .sequentiallyConsistent)
        }
    }
}

/// Runs a `PMDLoop` on an EAL worker lcore. The lcore entry point is a C function and cannot be generic,
/// so it reaches the loop through this box once, at thread start; the loop itself is fully specialised.
public final class PMDThread: @unchecked Sendable {
    // @unchecked: the box is handed to exactly one lcore; the control thread only reads `lcore` and the
    // counters (designed for concurrent reads) and stores to the atomic stop flag.
    public let lcore: UInt32
    public let counters: CounterBlock
    public let stages: [StageDescriptor]
    public let rxQueues: [RxQueueRef]
    let stopFlag: UnsafeMutablePointer<Atomic<Bool>>
    let quiescent: UnsafeMutablePointer<Atomic<UInt64>>
    private let body: () -> Void
    public private(set) var isRunning = false

    public init<P: BurstProcessor & ~Copyable>(
        lcore: UInt32, processor: consuming P, rxQueues: [RxQueueRef], burstSize: Int = 32
    ) {
        self.lcore = lcore
        counters = .allocate(count: PMDCounters.count)
        stages = processor.stages
        self.rxQueues = rxQueues
        stopFlag = .allocate(capacity: 1)
        stopFlag.initialize(to: Atomic(false))
        quiescent = .allocate(capacity: 1)
        quiescent.initialize(to: Atomic(0))
        let holder = LoopHolder(PMDLoop(
            processor: processor, queues: rxQueues, burstSize: burstSize, counters: counters, stopFlag: stopFlag,
            quiescent: quiescent))
        body = { holder.runOnce() }
    }

    deinit {
        stopFlag.deinitialize(count: 1)
        stopFlag.deallocate()
        quiescent.deinitialize(count: 1)
        quiescent.deallocate()
    }

    /// The number of iterations the loop has completed, read with a full barrier.
    public var quiescentCount: UInt64 { quiescent.pointee.load(ordering: .sequentiallyConsistent) }

    /// Starts the loop on the lcore.
    public func start() throws(DPDKError) {
        precondition(!isRunning, "PMD already running")
        stopFlag.pointee.store(false, ordering: .relaxed)
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
    /// packets in flight are transmitted or freed, none leak.
    public func stop() {
        guard isRunning else { return }
        stopFlag.pointee.store(true, ordering: .releasing)
        Lcore.wait(lcore)
        isRunning = false
    }

    fileprivate func runOnLcore() { body() }
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
