import ControlProtocol
import Pipeline

extension Dataplane {
    /// Runs `frame` through the current generation's pipeline as if it arrived on `port`, without sending
    /// it and without side effects (`SwitchPipeline.trace`). Control thread only: the generation it reads
    /// is freed by this thread alone, and the MAC table's tombstones are recycled by it too.
    public func trace(frame: [UInt8], port: String) throws(PacketTraceError) -> PacketTraceResult {
        guard mode == .pipeline else {
            throw PacketTraceError("sluiced forwards in \(mode.rawValue) mode: there is no pipeline to trace")
        }
        guard let slot = slot(of: port) else {
            let known = config.ports.map(\.name).joined(separator: ", ")
            throw PacketTraceError("no port named '\(port)' (ports: \(known.isEmpty ? "none" : known))")
        }
        guard generation.pmdCount > 0 else { throw PacketTraceError("no PMD runs the pipeline") }
        let names = (0..<ForwardingTables.maxPorts).map { slot in
            generation.slots[slot]?.name ?? failedPorts.first { $0.value.slot == slot }?.key ?? ""
        }
        var context = TraceContext(tables: generation.tables[0], macTable: macTable.view, portNames: names)
        context.connTable = conntrack.table.view
        context.vxlanNextHops = vxlanNextHops.view
        let trace = SwitchPipeline.trace(frame, ingress: UInt16(slot), in: context)
        return PacketTraceResult(trace, port: port, length: frame.count)
    }
}

extension PacketTraceResult {
    /// The control API's form of a trace.
    public init(_ trace: PacketTrace, port: String, length: Int) {
        let stages = trace.steps.map { step in
            let (verdict, reason): (String, String?) =
                switch step.verdict {
                case .pass: ("pass", nil)
                case .drop(let reason): ("drop", reason)
                case .output: ("output", nil)
                }
            return TracedStage(
                stage: step.stage, verdict: verdict, reason: reason,
                facts: step.facts.map { TracedFact(name: $0.name, value: $0.value) })
        }
        let drop = trace.drop
        self.init(
            port: port, length: length, stages: stages, verdict: drop == nil ? "output" : "drop",
            dropStage: drop?.stage, dropReason: drop?.reason,
            outputs: trace.outputs.map { TracedOutput(port: $0.portName, tagging: $0.tagging.description) })
    }
}

/// Why a frame cannot be traced (an unknown port, no pipeline).
public struct PacketTraceError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
