import Packet

// Packet trace (`sluicectl trace`): a frame run through the current pipeline tables on the control thread,
// each stage explaining its decision through `PipelineStage.trace`. Nothing here is reachable from the PMD
// loop: tracing allocates freely and never touches a PMD's stages, counters or queues.

/// One frame being traced: its bytes, the port it arrives on and what the stages decided so far (the same
/// `PacketMeta` the fast path fills in).
public struct TracedPacket {
    /// The frame, from its Ethernet header; only read. A stage that strips headers (VXLAN decap) narrows it
    /// to what the later stages see.
    public var frame: UnsafeRawBufferPointer
    /// Port slot the frame arrives on.
    public let ingress: UInt16
    public var meta = PacketMeta()

    public init(frame: UnsafeRawBufferPointer, ingress: UInt16) {
        self.frame = frame
        self.ingress = ingress
    }

    /// The frame's first byte (`SwitchPipeline.trace` never passes a buffer without an address).
    public var bytes: UnsafeRawPointer { frame.baseAddress.unsafelyUnwrapped }
}

/// What a trace reads: the tables of one generation and the shared MAC table, as of the moment of the trace.
/// The caller keeps the generation and the MAC table alive while the trace runs.
public struct TraceContext {
    public var bridge: BridgeView
    /// Patch peer of each slot, or `PacketMeta.noEgress` (`ForwardingTables.maxPorts` entries).
    public var peers: [UInt16]
    /// The slots that may be sent to.
    public var enabled: Set<Int>
    public var macTable: MACTableView
    /// Port name by slot, for the explanations ("" for an empty slot).
    public var portNames: [String]
    /// The slots whose output is policed by the `qos` stage (`QoSTables.toVM`).
    public var qosToVM: Set<Int> = []
    /// The generation's security groups and the shared connection table (`SecurityGroupStage.trace`).
    public var securityGroups: SecurityGroupView = SecurityGroupTables.unfilteredView
    public var connTable: ConnTableView = ConnTable.placeholder.view
    /// The generation's VXLAN tables and the shared next hops (`VXLANDecapStage.trace`, `VXLANEncapStage.trace`).
    public var vxlan: VXLANView = VXLANTables.disabled.view
    public var vxlanNextHops: VXLANNextHopsView = VXLANNextHops.none.view
    /// The ports whose DHCP requests are punted (`DHCPStage.trace`).
    public var dhcp: DHCPView = .disabled
    /// The metadata intercept's tables (`MetadataStage.trace`).
    public var metadata: MetadataView = .off

    public init(bridge: BridgeView, peers: [UInt16?], enabled: Set<Int>, macTable: MACTableView, portNames: [String]) {
        self.bridge = bridge
        var table = [UInt16](repeating: PacketMeta.noEgress, count: ForwardingTables.maxPorts)
        for (slot, peer) in peers.prefix(table.count).enumerated() { table[slot] = peer ?? PacketMeta.noEgress }
        self.peers = table
        self.enabled = enabled
        self.macTable = macTable
        self.portNames = portNames
    }

    /// The context of a published generation's tables (any PMD's: they share the bridge, peers and the
    /// enabled set).
    public init(tables: borrowing ForwardingTables, macTable: MACTableView, portNames: [String]) {
        bridge = tables.bridge
        peers = Array(UnsafeBufferPointer(start: tables.peers, count: ForwardingTables.maxPorts))
        enabled = Set(tables.enabled.slots)
        qosToVM = Set(tables.qos.toVM.slots)
        securityGroups = tables.securityGroups
        vxlan = tables.vxlan
        dhcp = tables.dhcp
        metadata = tables.metadata
        self.macTable = macTable
        self.portNames = portNames
    }

    /// A port's name for the explanations: its name, or `#slot` for a slot without one; a remote VTEP's
    /// owner slot is `vtep:ADDRESS`.
    public func portName(_ slot: Int) -> String {
        if let vtep = MACOwner.remoteVTEPSlot(of: UInt16(truncatingIfNeeded: slot)), slot < MACOwner.count {
            if vtep < vxlan.remoteCount, vxlan.remotes[vtep] != 0 {
                return "vtep:\(IPv4Address(rawValue: vxlan.remotes[vtep]))"
            }
            return "vtep#\(vtep)"
        }
        return slot < portNames.count && !portNames[slot].isEmpty ? portNames[slot] : "#\(slot)"
    }

    /// Whether bursts from `slot` are patched (`PatchStage.isPatched`).
    public func isPatched(_ slot: UInt16) -> Bool {
        Int(slot) < peers.count && peers[Int(slot)] != PacketMeta.noEgress
    }
}

/// One named fact of a stage's explanation ("vlan": "10").
public struct TraceFact: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name)=\(value)" }
}

/// Where a traced frame would leave, and how its 802.1Q tag would change there.
public struct TraceOutput: Sendable, Equatable {
    public enum Tagging: Sendable, Equatable {
        /// The frame leaves exactly as it is.
        case asIs
        /// A tag with this VLAN is pushed.
        case push(UInt16)
        /// The frame's tag is removed.
        case pop
        /// The frame's tag keeps its place, its VLAN id becomes this one.
        case setVLAN(UInt16)

        public var description: String {
            switch self {
            case .asIs: "as-is"
            case .push(let vlan): "push-vlan \(vlan)"
            case .pop: "pop-vlan"
            case .setVLAN(let vlan): "set-vlan \(vlan)"
            }
        }
    }

    public var port: UInt16
    public var portName: String
    public var tagging: Tagging

    public init(port: UInt16, portName: String, tagging: Tagging) {
        self.port = port
        self.portName = portName
        self.tagging = tagging
    }
}

/// One stage's decision for a traced frame.
public struct TraceStep: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        /// The frame goes on to the next stage.
        case pass
        /// The stage drops the frame under this reason (a name of the stage's `Drop`).
        case drop(reason: String)
        /// The frame leaves on `outputs` (the last stage).
        case output
    }

    public var stage: String
    public var verdict: Verdict
    /// What the stage saw and decided, in the order it matters.
    public var facts: [TraceFact]
    /// Only for `.output`: the ports, in port order.
    public var outputs: [TraceOutput]

    public init(stage: String, verdict: Verdict = .pass, facts: [TraceFact] = [], outputs: [TraceOutput] = []) {
        self.stage = stage
        self.verdict = verdict
        self.facts = facts
        self.outputs = outputs
    }

    /// A drop by `Stage` under `reason`, explained by `facts`.
    public static func drop<Stage: PipelineStage & ~Copyable>(
        _ stage: Stage.Type, _ reason: Stage.Drop, _ facts: [TraceFact] = []
    ) -> TraceStep {
        TraceStep(stage: Stage.name, verdict: .drop(reason: reason.name), facts: facts)
    }
}

/// The whole trace of one frame: every stage it reached, in order.
public struct PacketTrace: Sendable, Equatable {
    public var ingress: UInt16
    public var steps: [TraceStep]

    public init(ingress: UInt16, steps: [TraceStep]) {
        self.ingress = ingress
        self.steps = steps
    }

    /// The stage that dropped the frame and its reason, or nil when it leaves.
    public var drop: (stage: String, reason: String)? {
        for step in steps { if case .drop(let reason) = step.verdict { return (step.stage, reason) } }
        return nil
    }

    /// The ports the frame leaves on (empty when it is dropped).
    public var outputs: [TraceOutput] { steps.last.map { $0.verdict == .output ? $0.outputs : [] } ?? [] }
}

/// A trace in progress: the packet, the steps so far, and whether a stage ended it (dropped or sent the
/// frame), after which later stages are not asked.
public struct TraceRun {
    public var packet: TracedPacket
    public let context: TraceContext
    public private(set) var trace: PacketTrace
    public private(set) var ended = false

    public init(frame: UnsafeRawBufferPointer, ingress: UInt16, context: TraceContext) {
        packet = TracedPacket(frame: frame, ingress: ingress)
        self.context = context
        trace = PacketTrace(ingress: ingress, steps: [])
    }

    /// Asks `Stage` for its decision, unless an earlier stage ended the trace.
    public mutating func step<Stage: PipelineStage & ~Copyable>(_ stage: Stage.Type) {
        guard !ended else { return }
        let step = Stage.trace(&packet, in: context)
        trace.steps.append(step)
        if step.verdict != .pass { ended = true }
    }
}
