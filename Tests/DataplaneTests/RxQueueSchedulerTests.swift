import Config
import Dataplane
import Testing

/// RxQueueScheduler is pure: no EAL, no ports. Assignments are compared in full, as (port, queue, lcore).
@Suite struct RxQueueSchedulerTests {
    static func port(_ name: String, rxQueues: Int, affinity: [Int]? = nil) -> PortConfig {
        PortConfig(name: name, devargs: "net_null_\(name)", rxQueues: rxQueues, rxQueueAffinity: affinity)
    }

    static func assign(_ ports: [PortConfig], _ lcores: [Int]) -> [[Int]] {
        RxQueueScheduler.assign(ports: ports, pmdLcores: lcores).map { [$0.port, $0.queue, $0.lcore] }
    }

    /// Queues per lcore, for every lcore in `lcores` (zero included).
    static func load(_ ports: [PortConfig], _ lcores: [Int]) -> [Int: Int] {
        var load = Dictionary(uniqueKeysWithValues: lcores.map { ($0, 0) })
        for a in RxQueueScheduler.assign(ports: ports, pmdLcores: lcores) { load[a.lcore, default: 0] += 1 }
        return load
    }

    @Test("round-robin over 2 PMDs, in port and queue order")
    func twoPMDs() {
        let ports = [Self.port("a", rxQueues: 2), Self.port("b", rxQueues: 2), Self.port("c", rxQueues: 1)]
        #expect(
            Self.assign(ports, [1, 2]) == [
                [0, 0, 1], [0, 1, 2],
                [1, 0, 1], [1, 1, 2],
                [2, 0, 1],
            ])
        #expect(Self.load(ports, [1, 2]) == [1: 3, 2: 2])
    }

    @Test("round-robin over 3 PMDs")
    func threePMDs() {
        let ports = [Self.port("a", rxQueues: 2), Self.port("b", rxQueues: 2), Self.port("c", rxQueues: 3)]
        #expect(
            Self.assign(ports, [2, 4, 6]) == [
                [0, 0, 2], [0, 1, 4],
                [1, 0, 6], [1, 1, 2],
                [2, 0, 4], [2, 1, 6], [2, 2, 2],
            ])
        #expect(Self.load(ports, [2, 4, 6]) == [2: 3, 4: 2, 6: 2])
    }

    @Test(
        "balance: PMD loads never differ by more than one without affinity",
        arguments: [
            ([1, 1, 1, 1], [1, 2]), ([4, 4], [1, 2, 3]), ([3, 1, 2, 5], [1, 2, 3]), ([8], [1, 2, 3, 4, 5]),
            ([2, 2, 2], [7, 3]), ([1], [1, 2, 3]),
        ])
    func balanced(queues: [Int], lcores: [Int]) {
        let ports = queues.enumerated().map { Self.port("p\($0)", rxQueues: $1) }
        let load = Self.load(ports, lcores)
        #expect(load.keys.sorted() == lcores.sorted())
        #expect(load.values.reduce(0, +) == queues.reduce(0, +))
        #expect(load.values.max()! - load.values.min()! <= 1, "\(load)")
    }

    @Test("ties go to the lowest lcore, whatever order the PMD list is in")
    func lowestLcoreOnTies() {
        let ports = [Self.port("a", rxQueues: 3)]
        #expect(Self.assign(ports, [9, 3, 5]) == [[0, 0, 3], [0, 1, 5], [0, 2, 9]])
        #expect(Self.assign(ports, [5, 9, 3]) == Self.assign(ports, [3, 5, 9]))
    }

    @Test("deterministic: the same input gives the same assignments, every time")
    func deterministic() {
        let ports = [
            Self.port("a", rxQueues: 3, affinity: [4]), Self.port("b", rxQueues: 2),
            Self.port("c", rxQueues: 4, affinity: [2, 2]),
        ]
        let first = Self.assign(ports, [2, 3, 4])
        for _ in 0..<20 { #expect(Self.assign(ports, [2, 3, 4]) == first) }
        #expect(Self.assign(ports, [4, 2, 3]) == first)
    }

    @Test("a single PMD gets every queue")
    func singlePMD() {
        let ports = [Self.port("a", rxQueues: 2), Self.port("b", rxQueues: 1), Self.port("c", rxQueues: 3)]
        #expect(Self.assign(ports, [5]) == [[0, 0, 5], [0, 1, 5], [1, 0, 5], [2, 0, 5], [2, 1, 5], [2, 2, 5]])
    }

    @Test("explicit affinity is respected, and counted when balancing the other queues")
    func affinityCountsInBalance() {
        // Port a's two queues are pinned to lcore 2. Without counting them, b's queues would go 1, 2;
        // counted, both go to lcore 1 and the PMDs end up with two queues each.
        let ports = [Self.port("a", rxQueues: 2, affinity: [2, 2]), Self.port("b", rxQueues: 2)]
        #expect(Self.assign(ports, [1, 2]) == [[0, 0, 2], [0, 1, 2], [1, 0, 1], [1, 1, 1]])
        #expect(Self.load(ports, [1, 2]) == [1: 2, 2: 2])
    }

    @Test("pinned queues on a later port are placed before the earlier ports' free queues")
    func affinityOnLaterPort() {
        // b/0 and b/1 are pinned to lcore 1 first; a's queues then fill lcore 2 until it catches up.
        let ports = [Self.port("a", rxQueues: 3), Self.port("b", rxQueues: 2, affinity: [1, 1])]
        #expect(Self.assign(ports, [1, 2]) == [[0, 0, 2], [0, 1, 2], [0, 2, 1], [1, 0, 1], [1, 1, 1]])
        #expect(Self.load(ports, [1, 2]) == [1: 3, 2: 2])
    }

    @Test("a partial affinity list pins the queues it covers; the rest are balanced")
    func partialAffinity() {
        let ports = [Self.port("a", rxQueues: 4, affinity: [3]), Self.port("b", rxQueues: 1)]
        #expect(Self.assign(ports, [1, 3]) == [[0, 0, 3], [0, 1, 1], [0, 2, 1], [0, 3, 3], [1, 0, 1]])
        #expect(Self.load(ports, [1, 3]) == [1: 3, 3: 2])
    }

    @Test("affinity may pin several queues of different ports to one PMD and leave another idle")
    func affinityCanUnbalance() {
        let ports = [Self.port("a", rxQueues: 2, affinity: [1, 1]), Self.port("b", rxQueues: 2, affinity: [1, 1])]
        #expect(Self.assign(ports, [1, 2]) == [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
        #expect(Self.load(ports, [1, 2]) == [1: 4, 2: 0])
    }

    @Test("no ports, no assignments; assignments describe themselves")
    func emptyAndDescription() {
        #expect(RxQueueScheduler.assign(ports: [], pmdLcores: [1, 2]).isEmpty)
        let assignment = RxQueueAssignment(port: 1, queue: 0, lcore: 3)
        #expect(assignment.description == "port 1 queue 0 -> lcore 3")
        #expect(assignment == RxQueueAssignment(port: 1, queue: 0, lcore: 3))
    }
}
