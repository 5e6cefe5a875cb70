// Unit tests of the pipeline on real mbufs and real (virtual) DPDK ports, in the test process.
//
// EAL in a test process
// - rte_eal_init runs once per process, so `TestDPDK.environment()` initialises EAL lazily, once, and every
//   test shares the result: one PacketPool and `TestDPDK.portCount` loopback ports.
// - Arguments: `-l 0 --no-huge -m 256 --no-shconf --no-pci --no-telemetry --file-prefix sluice-unit-<pid>
//   --log-level=error`. `--in-memory` is rejected in combination with `--no-huge` ("Option --legacy-mem is
//   not compatible with --in-memory": --no-huge implies legacy memory), so `--no-shconf` keeps EAL's
//   config and IPC out of the filesystem instead. EAL still creates an (empty) runtime directory
//   (/var/run/dpdk/sluice-unit-<pid> as root); the fixture removes it right after init, or every test run
//   would leave one behind.
// - rte_eal_init pins the calling thread to the main lcore's CPUs (here CPU 0) for good, and it would be a
//   thread of Swift's cooperative pool. The fixture therefore runs rte_eal_init on a short-lived thread of
//   its own, so no pool thread is pinned.
// - Consequently no test runs on an EAL lcore: `rte_lcore_id()` is LCORE_ID_ANY (`EAL.currentLcore == nil`)
//   on every test thread, which `LoopbackTests` checks. That does not matter for what these tests do:
//   mempool get/put on a non-EAL thread skips the per-lcore cache and goes straight to the pool's
//   multi-producer/multi-consumer ring, and rte_eth_rx/tx_burst need no lcore id. (The pool is created
//   without a cache anyway, so `PacketPool.available` is exact whichever thread reads it; DPDK's avail
//   count includes lcore caches in any case.) What does matter is that one thread at a time uses a port's
//   queues and the rings behind them (they are not thread-safe): every suite that touches DPDK is nested
//   in `DPDKBackedTests`, which is `.serialized` (recursively), and Swift's task hops order the memory
//   accesses of consecutive tests. `TestDPDK.run` records an issue if two DPDK-backed tests ever overlap
//   (checked: dropping `.serialized` makes it fire).
//
// net_ring loopback ports (verified by experiment; `LoopbackTests` keeps checking it)
// - `EthPort.attach(devargs: "net_ring_unit0", deviceName: "net_ring_unit0")` creates a net_ring port
//   backed by rings it creates itself (one per queue, up to 16 queues). Tx queue q and rx queue q share one
//   ring: what is transmitted on queue q is received back, in order, on rx queue q of the same port — and
//   never on another queue or port. So a test can transmit through TransmitStage and read back exactly
//   which frames left on which port and queue. The mbufs come back as the same buffers (no copy).
// - Each ring has 1024 slots and holds 1023 mbufs; a transmit to a full ring takes nothing (rx descriptor
//   and tx descriptor counts given at queue setup are ignored). That is how the tx-queue-full tests fill a
//   port: 1023 filler frames, then the frames under test.
// - net_ring does not set `mbuf.port` on receive (it stays RTE_MBUF_PORT_INVALID, 0xFFFF from allocation)
//   and its driver stats count packets but not bytes.
// - Transmitting on a stopped port makes ethdev log an error with a stack dump (dummy burst function), so
//   "port-down" is exercised the way Sluice means it: a TxTarget with `enabled: false`.
//
// Mbuf accounting: every DPDK-backed test runs inside `TestDPDK.run`, which records the pool's available
// count, runs the test, checks that no frame is left on any loopback ring, drains them anyway and checks
// that the available count is back where it started: a test that leaks an mbuf fails.
import CDPDK  // only for rte_eal_get_runtime_dir: the directory EAL leaves behind.
import DPDK
import Foundation
import Pipeline
import Synchronization
import Testing

/// Parent of every suite that touches DPDK: they share one EAL, one pool and the loopback ports, so they
/// run one test at a time (`.serialized` applies to nested suites too).
@Suite(.serialized) struct DPDKBackedTests {}

/// A frame as read back from a loopback port: the 32-bit tag written at offset 0 and its length.
struct Frame: Equatable, CustomStringConvertible {
    var tag: UInt32
    var length: Int

    var description: String { "#\(tag)(\(length)B)" }
}

enum TestDPDK {
    static let portCount = 4
    static let queuesPerPort = 2
    static let poolSize = 2047
    /// Capacity of one net_ring queue (a 1024-slot rte_ring).
    static let ringCapacity = 1023
    static let ealArguments = [
        "pipeline-tests", "-l", "0", "--no-huge", "-m", "256", "--no-shconf", "--no-pci", "--no-telemetry",
        "--file-prefix", "sluice-unit-\(getpid())", "--log-level=error",
    ]

    struct Environment: Sendable {
        let pool: PacketPool
        let ports: [EthPort]
    }

    private static let shared = Result { () throws(DPDKError) -> Environment in try setUp() }

    /// The process-wide EAL, pool and ports, initialised by the first caller.
    static func environment() throws -> Environment { try shared.get() }

    /// Runs `body` with the environment and fails the test if it leaves frames on a port or leaks an mbuf.
    static func run(
        sourceLocation: SourceLocation = #_sourceLocation, _ body: (Environment) throws -> Void
    ) throws {
        let env = try environment()
        // DPDK-backed tests must not overlap (see the header): catch a suite that is not nested in
        // DPDKBackedTests, or a change in how `.serialized` works.
        let exclusive = running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
            .exchanged
        try #require(exclusive, "another DPDK-backed test is running at the same time", sourceLocation: sourceLocation)
        defer { if exclusive { running.store(false, ordering: .releasing) } }
        _ = env.drainAllPorts()  // leftovers of an earlier failed test must not fail this one too
        let available = env.pool.available
        try body(env)
        #expect(env.drainAllPorts() == 0, "frames left on the loopback ports", sourceLocation: sourceLocation)
        #expect(env.pool.available == available, "mbufs leaked (pool available count)", sourceLocation: sourceLocation)
    }

    private static let running = Atomic<Bool>(false)

    private final class InitOutcome: @unchecked Sendable {
        // @unchecked: written by the init thread before `done.signal()`, read after `done.wait()`.
        var error: DPDKError?
        var lcore: UInt32?
        let done = DispatchSemaphore(value: 0)
    }

    private static func setUp() throws(DPDKError) -> Environment {
        let outcome = InitOutcome()
        let thread = Thread {
            do throws(DPDKError) {
                try EAL.initialize(arguments: ealArguments)
                outcome.lcore = EAL.currentLcore
            } catch {
                outcome.error = error
            }
            outcome.done.signal()
        }
        thread.start()
        outcome.done.wait()
        if let error = outcome.error { throw error }
        precondition(outcome.lcore == EAL.mainLcore, "the thread that ran rte_eal_init is the main lcore")

        let runtimeDirectory = String(cString: rte_eal_get_runtime_dir())
        if !runtimeDirectory.isEmpty,
            (try? FileManager.default.contentsOfDirectory(atPath: runtimeDirectory))?.isEmpty == true
        {
            try? FileManager.default.removeItem(atPath: runtimeDirectory)
        }

        let pool = try PacketPool.create(
            name: "unit-pool", mbufs: poolSize, cacheSize: 0, dataRoomSize: 2048, socket: -1)
        var ports: [EthPort] = []
        for index in 0..<portCount {
            let name = "net_ring_unit\(index)"
            let port = try EthPort.attach(devargs: name, deviceName: name)
            let socket = try port.info().socket
            try port.configure(rxQueues: queuesPerPort, txQueues: queuesPerPort)
            for queue in 0..<queuesPerPort {
                try port.setupRxQueue(queue, descriptors: 64, socket: socket, pool: pool)
                try port.setupTxQueue(queue, descriptors: 64, socket: socket)
            }
            try port.start()
            ports.append(port)
        }
        return Environment(pool: pool, ports: ports)
    }
}

extension TestDPDK.Environment {
    /// A new frame of `length` bytes (at least 7) that starts with `tag`: its source MAC is
    /// a4:a5:a5:a5:a5:a5, an individual address (a group source would be dropped by the parse stage).
    func frame(tag: UInt32, length: Int) -> Mbuf {
        guard let mbuf = pool.allocate() else { fatalError("test pool exhausted") }
        guard let data = mbuf.append(length) else { fatalError("frame of \(length) bytes does not fit an mbuf") }
        data.initializeMemory(as: UInt8.self, repeating: 0xA5, count: length)
        data.storeBytes(of: tag, as: UInt32.self)
        data.storeBytes(of: 0xA4, toByteOffset: 6, as: UInt8.self)
        return mbuf
    }

    /// The length test frames with `tag` get, so that byte counters identify which frames were counted.
    static func length(ofTag tag: UInt32) -> Int { 60 + Int(tag % 64) }

    /// Appends frames with `tags` to `burst` (lengths from `length(ofTag:)`) and begins a burst from `ingress`.
    func fill(_ burst: inout PacketBurst, tags: some Sequence<UInt32>, ingress: UInt16) {
        for tag in tags {
            precondition(!burst.packets.isFull, "burst full")
            burst.packets.append(frame(tag: tag, length: Self.length(ofTag: tag)))
        }
        burst.beginBurst(ingress: ingress)
    }

    /// Transmits frames with `tags` straight into a port's queue (as if they arrived from the wire, when
    /// the queue's rx side is then polled); returns how many the ring took. Frames it refuses are freed.
    @discardableResult
    func inject(tags: some Sequence<UInt32>, port: Int, queue: UInt16) -> Int {
        var burst = MbufBurst(capacity: TestDPDK.poolSize)
        for tag in tags { burst.append(frame(tag: tag, length: Self.length(ofTag: tag))) }
        let sent = ports[port].transmit(queue: queue, burst.slots, count: burst.count)
        burst.removeFirst(sent)
        return sent  // the rest is freed by the burst's deinit
    }

    /// Every frame waiting on one rx queue, in order; they are freed.
    func drain(port: Int, queue: UInt16) -> [Frame] {
        var frames: [Frame] = []
        var burst = MbufBurst(capacity: 64)
        while ports[port].receive(queue: queue, into: &burst) > 0 {
            for i in 0..<burst.count {
                frames.append(Frame(tag: burst[i].data.loadUnaligned(as: UInt32.self), length: burst[i].packetLength))
            }
            burst.freeAll()
        }
        return frames
    }

    /// Frees whatever waits on any queue of any port; how many frames that was.
    func drainAllPorts() -> Int {
        var total = 0
        for port in ports.indices {
            for queue in 0..<TestDPDK.queuesPerPort { total += drain(port: port, queue: UInt16(queue)).count }
        }
        return total
    }

    /// A TxTarget on queue 0 (or `queue`) of each loopback port, with fresh counters.
    func targets(enabled: [Bool]? = nil, queue: UInt16 = 0) -> [TxTarget] {
        ports.enumerated().map { index, port in
            TxTarget(port: port, queue: queue, counters: .allocate(), enabled: enabled?[index] ?? true)
        }
    }
}

// MARK: Frames given byte by byte

extension TestDPDK.Environment {
    /// A new mbuf holding exactly `bytes`. With `headroom`, the data starts that many bytes after the start
    /// of the buffer (less than the pool's default, to test a tag push that does not fit); that needs a frame
    /// at least as long as the headroom given up.
    func mbuf(_ bytes: [UInt8], headroom: Int? = nil) -> Mbuf {
        guard let mbuf = pool.allocate() else { fatalError("test pool exhausted") }
        var start: UnsafeMutableRawPointer
        if let headroom {
            let giveUp = mbuf.headroom - headroom
            precondition(giveUp >= 0 && bytes.count >= giveUp, "cannot shrink the headroom for this frame")
            guard let front = mbuf.prepend(giveUp), mbuf.append(bytes.count - giveUp) != nil else {
                fatalError("mbuf layout")
            }
            start = front
        } else {
            guard let data = mbuf.append(bytes.count) else { fatalError("frame of \(bytes.count) bytes does not fit") }
            start = data
        }
        bytes.withUnsafeBytes { if $0.count > 0 { start.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        precondition(mbuf.dataLength == bytes.count && (headroom == nil || mbuf.headroom == headroom))
        return mbuf
    }

    /// Appends mbufs holding `frames` to `burst` and begins a burst from `ingress`.
    func fill(_ burst: inout PacketBurst, frames: [[UInt8]], ingress: UInt16) {
        for frame in frames {
            precondition(!burst.packets.isFull, "burst full")
            burst.packets.append(mbuf(frame))
        }
        burst.beginBurst(ingress: ingress)
    }

    /// Transmits `frames` into a port's queue, as `inject(tags:)` does; returns how many the ring took.
    @discardableResult
    func inject(frames: [[UInt8]], port: Int, queue: UInt16) -> Int {
        var burst = MbufBurst(capacity: max(frames.count, 1))
        for frame in frames { burst.append(mbuf(frame)) }
        let sent = ports[port].transmit(queue: queue, burst.slots, count: burst.count)
        burst.removeFirst(sent)
        return sent
    }

    /// Every frame waiting on one rx queue, in order, as bytes (all segments) with the buffer it came in;
    /// they are freed.
    func drainPackets(port: Int, queue: UInt16 = 0) -> [(buffer: OpaquePointer, bytes: [UInt8])] {
        var packets: [(buffer: OpaquePointer, bytes: [UInt8])] = []
        var burst = MbufBurst(capacity: 64)
        while ports[port].receive(queue: queue, into: &burst) > 0 {
            for i in 0..<burst.count {
                let mbuf = burst[i]
                precondition(mbuf.segmentCount == 1 && mbuf.packetLength == mbuf.dataLength, "one segment")
                packets.append((mbuf.raw, Array(UnsafeRawBufferPointer(mbuf.bytes))))
            }
            burst.freeAll()
        }
        return packets
    }

    /// Every frame waiting on one rx queue, in order, as bytes; they are freed.
    func drainBytes(port: Int, queue: UInt16 = 0) -> [[UInt8]] { drainPackets(port: port, queue: queue).map(\.bytes) }

    /// What each port transmitted on queue 0 (port index → frames, in order); all are freed.
    func drainOutputs() -> [[[UInt8]]] { ports.indices.map { drainBytes(port: $0) } }

    /// Drains queue 0 of every port and checks that each transmitted exactly `expected[port]` (nothing for a
    /// port not listed), byte for byte and in order. A mismatch is reported with hex dumps.
    func expectOutputs(
        _ expected: [Int: [[UInt8]]], _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let outputs = drainOutputs()
        for port in ports.indices {
            let want = expected[port] ?? []
            let got = outputs[port]
            #expect(
                got == want,
                "\(comment) port \(port): got \(got.count) frames, expected \(want.count)\n got: \(got.map(hex))\n want: \(want.map(hex))",
                sourceLocation: sourceLocation)
        }
    }
}

/// Frames as `drain` reports them, for the given tags.
func frames(_ tags: some Sequence<UInt32>) -> [Frame] {
    tags.map { Frame(tag: $0, length: TestDPDK.Environment.length(ofTag: $0)) }
}

/// Sum of the lengths of the frames with `tags`.
func bytes(_ tags: some Sequence<UInt32>) -> UInt64 {
    tags.reduce(0) { $0 + UInt64(TestDPDK.Environment.length(ofTag: $1)) }
}

/// The tags of the packets in a burst, in slot order.
func tags(of burst: borrowing MbufBurst) -> [UInt32] {
    (0..<burst.count).map { burst[$0].data.loadUnaligned(as: UInt32.self) }
}

/// A snapshot of a stage's counters.
struct StageSnapshot: Equatable, CustomStringConvertible {
    var calls: UInt64, packetsIn: UInt64, packetsOut: UInt64, cycles: UInt64
    var drops: [UInt64]
    var events: [UInt64]

    init(_ counters: StageCounters, reasons: Int, events: Int = 0) {
        let block = counters.block
        calls = block.load(StageCounters.calls)
        packetsIn = block.load(StageCounters.packetsIn)
        packetsOut = block.load(StageCounters.packetsOut)
        cycles = block.load(StageCounters.cycles)
        drops = (0..<reasons).map { block.load(StageCounters.firstDrop + $0) }
        self.events = (0..<events).map { block.load(counters.firstEvent + $0) }
    }

    init(calls: UInt64, packetsIn: UInt64, packetsOut: UInt64, drops: [UInt64], events: [UInt64] = []) {
        self.calls = calls
        self.packetsIn = packetsIn
        self.packetsOut = packetsOut
        self.cycles = 0
        self.drops = drops
        self.events = events
    }

    /// The same counts with cycles ignored (they vary from run to run).
    func ignoringCycles() -> StageSnapshot {
        StageSnapshot(calls: calls, packetsIn: packetsIn, packetsOut: packetsOut, drops: drops, events: events)
    }

    var description: String {
        "calls \(calls) in \(packetsIn) out \(packetsOut) drops \(drops) events \(events) cycles \(cycles)"
    }
}

extension PipelineStage where Self: ~Copyable {
    var snapshot: StageSnapshot {
        StageSnapshot(counters.untyped, reasons: Self.dropReasons.count, events: Self.eventNames.count)
    }
}

extension StageDescriptor {
    var snapshot: StageSnapshot { StageSnapshot(counters, reasons: dropReasons.count, events: eventNames.count) }
}

/// A snapshot of one port's counters.
struct PortSnapshot: Equatable, CustomStringConvertible {
    var txPackets: UInt64, txBytes: UInt64, txDropped: UInt64, rxPackets: UInt64, rxBytes: UInt64

    init(txPackets: UInt64 = 0, txBytes: UInt64 = 0, txDropped: UInt64 = 0, rxPackets: UInt64 = 0, rxBytes: UInt64 = 0)
    {
        self.txPackets = txPackets
        self.txBytes = txBytes
        self.txDropped = txDropped
        self.rxPackets = rxPackets
        self.rxBytes = rxBytes
    }

    init(_ counters: PortCounters) {
        let block = counters.block
        self.init(
            txPackets: block.load(PortCounters.txPackets), txBytes: block.load(PortCounters.txBytes),
            txDropped: block.load(PortCounters.txDropped), rxPackets: block.load(PortCounters.rxPackets),
            rxBytes: block.load(PortCounters.rxBytes))
    }

    var description: String { "tx \(txPackets)/\(txBytes)B dropped \(txDropped) rx \(rxPackets)/\(rxBytes)B" }
}

/// The dataplane's pipeline over `bridge` and `table`, sending through `targets` (as Dataplane builds it). The
/// stages hold plain pointers into both: the caller keeps them alive while the pipeline is used.
func makeSwitchPipeline(
    peers: [UInt16?] = [], bridge: BridgeTables, table: MACTable, targets: [TxTarget], capacity: Int = 32
) -> SwitchPipeline {
    SwitchPipeline(
        PipelineResources(
            bridge: bridge.view, peers: peers, targets: targets, macTable: table.view, tscHz: EAL.tscHz,
            burstCapacity: capacity))
}

/// What a PMD does with one rx queue in one iteration (see Dataplane's PMDLoop): receive a burst, run the
/// processor, free the dropped packets, free anything the processor left. Returns (received, left over).
@discardableResult
func pollOnce<P: BurstProcessor & ~Copyable>(
    _ processor: inout P, burst: inout PacketBurst, port: EthPort, queue: UInt16, ingress: UInt16
) -> (received: Int, leftOver: Int) {
    let received = port.receive(queue: queue, into: &burst.packets)
    guard received > 0 else { return (0, 0) }
    burst.beginBurst(ingress: ingress)
    processor.process(&burst)
    burst.releaseDropped()
    let leftOver = burst.count
    burst.packets.freeAll()
    return (received, leftOver)
}
