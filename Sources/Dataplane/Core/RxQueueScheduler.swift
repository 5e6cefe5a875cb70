import Config

/// One rx queue and the PMD lcore that polls it.
public struct RxQueueAssignment: Equatable, Sendable, CustomStringConvertible {
    public var port: Int
    public var queue: Int
    public var lcore: Int

    public init(port: Int, queue: Int, lcore: Int) {
        self.port = port
        self.queue = queue
        self.lcore = lcore
    }

    public var description: String { "port \(port) queue \(queue) -> lcore \(lcore)" }
}

/// Decides which PMD polls which rx queue. Queues with an explicit `pmd-rxq-affinity` go where they are
/// told; the others go, in port and queue order, to the PMD with the fewest queues so far (lowest lcore on
/// a tie): round-robin that stays balanced around pinned queues.
public enum RxQueueScheduler {
    public static func assign(ports: [PortConfig], pmdLcores: [Int]) -> [RxQueueAssignment] {
        precondition(!pmdLcores.isEmpty, "validated configs have at least one PMD")
        var load = Dictionary(uniqueKeysWithValues: pmdLcores.map { ($0, 0) })
        var result: [RxQueueAssignment] = []
        for (portIndex, port) in ports.enumerated() {
            for queue in 0..<port.rxQueues {
                if let affinity = port.rxQueueAffinity, queue < affinity.count {
                    result.append(RxQueueAssignment(port: portIndex, queue: queue, lcore: affinity[queue]))
                    load[affinity[queue], default: 0] += 1
                }
            }
        }
        for (portIndex, port) in ports.enumerated() {
            for queue in 0..<port.rxQueues {
                if let affinity = port.rxQueueAffinity, queue < affinity.count { continue }
                let lcore = pmdLcores.min { (load[$0]!, $0) < (load[$1]!, $1) }!
                result.append(RxQueueAssignment(port: portIndex, queue: queue, lcore: lcore))
                load[lcore]! += 1
            }
        }
        return result.sorted { ($0.port, $0.queue) < ($1.port, $1.queue) }
    }
}

extension RxQueueScheduler {
    /// Assignment by port name (lcore of each rx queue) for a running dataplane being reconfigured: queues
    /// of ports in `keeping` stay where they are (a queue must never be polled by two PMDs at once, and
    /// moving one would need an extra grace period), the others are placed as `assign` places them.
    public static func assign(
        ports: [PortConfig], pmdLcores: [Int], keeping kept: [String: [Int]]
    ) -> [String: [Int]] {
        precondition(!pmdLcores.isEmpty, "validated configs have at least one PMD")
        var load = Dictionary(uniqueKeysWithValues: pmdLcores.map { ($0, 0) })
        var result: [String: [Int]] = [:]
        var placed: [String: [Int?]] = [:]
        for port in ports {
            var lcores = [Int?](repeating: nil, count: port.rxQueues)
            if let previous = kept[port.name], previous.count == port.rxQueues {
                lcores = previous.map { Optional($0) }
            } else if let affinity = port.rxQueueAffinity {
                for queue in 0..<min(affinity.count, port.rxQueues) { lcores[queue] = affinity[queue] }
            }
            for case let lcore? in lcores { load[lcore, default: 0] += 1 }
            placed[port.name] = lcores
        }
        for port in ports {
            result[port.name] = placed[port.name]!.map { lcore in
                if let lcore { return lcore }
                let chosen = pmdLcores.min { (load[$0]!, $0) < (load[$1]!, $1) }!
                load[chosen]! += 1
                return chosen
            }
        }
        return result
    }
}
