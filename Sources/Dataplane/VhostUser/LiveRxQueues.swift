/// The rx queues a PMD polls in its loop, as a compact list of positions in its generation's `rxQueues`
/// (docs/vhost-user.md, "Idle queues"): every ethdev queue, and the vhost-user queues whose port has a guest
/// attached with that queue pair set up and its tx virtqueue enabled. A vhost-user queue without a guest, or
/// whose virtqueue the guest has not enabled, costs the PMD nothing per iteration.
///
/// The list is rebuilt, off the burst path and without allocating, when the PMD binds a new generation (queue
/// positions change) or when the vhost state epoch (`PortIO.vhostStateEpoch`, bumped by rte_vhost's callbacks
/// after every change of a guest or of its virtqueues) differs from the one it was built at. The epoch is read
/// before the ports' states, so a change racing with a rebuild is seen at the next iteration. The list is a
/// hint only: a guest that leaves while listed is caught by the dequeue itself, which reads the guest's id in
/// every call (the destroy_device grace contract does not depend on the list). The PMD's own memory: no other
/// thread reads it.
@usableFromInline
struct LiveRxQueues {
    /// Queue positions of a generation the list can hold (1024 ports of 64 queues). Positions past it are
    /// always listed, in order, after the others (never reached by a valid configuration).
    @inlinable static var capacity: Int { 65536 }

    @usableFromInline let positions: UnsafeMutablePointer<Int32>
    /// Listed positions (below `capacity`).
    @usableFromInline var count = 0
    /// Queues of the generation: positions from `capacity` on are polled without being listed.
    @usableFromInline var total = 0
    /// The generation and vhost epoch the list was built for; generation 0 means never built.
    @usableFromInline var generation: UInt64 = 0
    @usableFromInline var epoch: UInt64 = 0
    /// Rebuilds since the PMD started (for tests and statistics).
    @usableFromInline var rebuilds: UInt64 = 0

    init() {
        positions = .allocate(capacity: Self.capacity)
        positions.initialize(repeating: 0, count: Self.capacity)
    }

    func deallocate() { positions.deallocate() }

    /// Whether the list is stale for this generation and epoch.
    @inlinable @inline(__always)
    func isStale(generation: UInt64, epoch: UInt64) -> Bool { generation != self.generation || epoch != self.epoch }

    /// Lists, in order, the positions `0..<queueCount` for which `mayReceive` is true. `epoch` must have been
    /// read before any state `mayReceive` reads.
    @inlinable
    mutating func rebuild(generation: UInt64, epoch: UInt64, queueCount: Int, mayReceive: (Int) -> Bool) {
        var listed = 0
        for q in 0..<min(queueCount, Self.capacity) where mayReceive(q) {
            positions[listed] = Int32(truncatingIfNeeded: q)
            listed &+= 1
        }
        count = listed
        total = queueCount
        self.generation = generation
        self.epoch = epoch
        rebuilds &+= 1
    }

    /// Positions to poll this iteration: the listed ones, then any past `capacity`.
    @inlinable var pollCount: Int { count &+ max(total &- Self.capacity, 0) }

    /// The `i`-th position to poll (`i < pollCount`).
    @inlinable @inline(__always)
    func position(_ i: Int) -> Int { i < count ? Int(positions[i]) : Self.capacity &+ (i &- count) }
}
