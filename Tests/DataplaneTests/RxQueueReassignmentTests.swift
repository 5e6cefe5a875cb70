import Config
import Dataplane
import Testing

/// Reassignment while running: kept ports' queues never move (a queue polled by two PMDs at once would
/// corrupt its ring), new queues balance around them.
@Suite struct RxQueueReassignmentTests {
    static func port(_ name: String, rxQueues: Int, affinity: [Int]? = nil) -> PortConfig {
        PortConfig(name: name, devargs: "net_null_\(name)", rxQueues: rxQueues, rxQueueAffinity: affinity)
    }

    @Test("with nothing kept it places queues exactly as the start-up assignment does")
    func matchesStartup() {
        let ports = [
            Self.port("a", rxQueues: 2), Self.port("b", rxQueues: 3, affinity: [4, 4]), Self.port("c", rxQueues: 1),
        ]
        let startup = RxQueueScheduler.assign(ports: ports, pmdLcores: [2, 4, 6])
        let byName = RxQueueScheduler.assign(ports: ports, pmdLcores: [2, 4, 6], keeping: [:])
        for a in startup { #expect(byName[ports[a.port].name]?[a.queue] == a.lcore, "\(a)") }
    }

    @Test("kept queues stay put even when that is unbalanced; new ones fill the least-loaded PMDs")
    func keptQueuesStay() {
        let ports = [Self.port("a", rxQueues: 3), Self.port("new", rxQueues: 3)]
        let result = RxQueueScheduler.assign(ports: ports, pmdLcores: [1, 2], keeping: ["a": [1, 1, 1]])
        #expect(result["a"] == [1, 1, 1])
        #expect(result["new"] == [2, 2, 2])
    }

    @Test("a kept port whose queue count changed is placed afresh; removed ports are forgotten")
    func changedQueueCount() {
        let ports = [Self.port("a", rxQueues: 2)]
        let result = RxQueueScheduler.assign(ports: ports, pmdLcores: [1, 2], keeping: ["a": [2], "gone": [1, 1]])
        #expect(result == ["a": [1, 2]])
    }

    @Test("affinity of a new port is honoured")
    func affinity() {
        let ports = [Self.port("a", rxQueues: 1), Self.port("b", rxQueues: 2, affinity: [1, 1])]
        #expect(
            RxQueueScheduler.assign(ports: ports, pmdLcores: [1, 2], keeping: ["a": [1]]) == ["a": [1], "b": [1, 1]])
    }
}
