import DPDK
import Packet

/// Sluice's pipeline: patched ports go straight to transmit; bridged ports go through (VXLAN decap, on the
/// uplink) → parse → port security → VLAN → L2 learning/forwarding → security groups → (QoS) → (VXLAN
/// encap) → transmit. Stages are stored as concrete
/// types and called in a fixed order, so the compiler sees (and inlines) the whole per-burst path. Whether
/// a burst takes the bridge path is decided once per burst (a burst comes from one port).
public struct SwitchPipeline: BurstProcessor, ~Copyable {
    public var patch: PatchStage
    public var vxlanDecap: VXLANDecapStage
    public var parse: ParseStage
    public var portSecurity: PortSecurityStage
    public var vlan: VLANStage
    public var dhcp: DHCPStage
    public var metadata: MetadataStage
    public var l2: L2Stage
    public var securityGroups: SecurityGroupStage
    public var qos: QoSStage
    public var vxlanEncap: VXLANEncapStage
    public var transmit: TransmitStage
    /// Which bursts are timed (stage cycles are sampled; see `StageTimingSampler`).
    public var timing = StageTimingSampler()

    /// Every stage is built here, from `resources`: a new stage adds its stored property above, one line here,
    /// and one line each in `process`, `bind` and `stages`.
    public init(_ resources: PipelineResources) {
        patch = PatchStage(peers: resources.peers)
        let vteps = resources.vxlanCounters ?? .allocate()
        vxlanDecap = VXLANDecapStage(vxlan: resources.vxlan, punt: resources.punt, vteps: vteps)
        parse = ParseStage(
            bridge: resources.bridge, metadata: resources.metadata, dhcp: .off(tscHz: resources.tscHz))
        portSecurity = PortSecurityStage(bridge: resources.bridge)
        vlan = VLANStage(bridge: resources.bridge)
        dhcp = DHCPStage(view: .off(tscHz: resources.tscHz), punt: resources.punt, tsc: readTSC())
        metadata = MetadataStage(
            metadata: resources.metadata, targets: resources.targets, capacity: resources.burstCapacity)
        l2 = L2Stage(table: resources.macTable, tscHz: resources.tscHz)
        securityGroups = SecurityGroupStage(
            groups: resources.securityGroups, bridge: resources.bridge, table: resources.connTable,
            tscHz: resources.tscHz)
        qos = QoSStage(capacity: resources.burstCapacity)
        vxlanEncap = VXLANEncapStage(
            vxlan: resources.vxlan, nextHops: resources.vxlanNextHops, capacity: resources.burstCapacity, vteps: vteps)
        transmit = TransmitStage(
            targets: resources.targets, bridge: resources.bridge, capacity: resources.burstCapacity)
    }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let w = timing.next()
        var t = w != 0 ? readTSC() : 0
        if patch.isPatched(burst.ingress) {
            t = patch.run(&burst, since: t, weight: w)
        } else {
            // The uplink's bursts only (a burst comes from one port); `uplink` is no port while VXLAN is off.
            if burst.ingress == vxlanDecap.uplink { t = vxlanDecap.run(&burst, since: t, weight: w) }
            if burst.count > 0 { t = parse.run(&burst, since: t, weight: w) }
            if burst.count > 0 { t = portSecurity.run(&burst, since: t, weight: w) }
            if burst.count > 0 { t = vlan.run(&burst, since: t, weight: w) }
            // Only bursts holding a packet for them (what parse saw): ordinary bursts pay one test each.
            if burst.count > 0 && dhcp.wants(burst) { t = dhcp.run(&burst, since: t, weight: w) }
            if burst.count > 0 && metadata.wants(burst) { t = metadata.run(&burst, since: t, weight: w) }
            if burst.count > 0 { t = l2.run(&burst, since: t, weight: w) }
            if burst.count > 0 { t = securityGroups.run(&burst, since: t, weight: w) }
        }
        if burst.count > 0 && qos.isActive { t = qos.run(&burst, since: t, weight: w) }
        if burst.count > 0 && vxlanEncap.isActive { t = vxlanEncap.run(&burst, since: t, weight: w) }
        if burst.count > 0 { _ = transmit.run(&burst, since: t, weight: w) }
    }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) {
        patch.bind(tables)
        vxlanDecap.bind(tables)
        parse.bind(tables)
        portSecurity.bind(tables)
        vlan.bind(tables)
        dhcp.bind(tables)
        metadata.bind(tables)
        l2.bind(tables)
        securityGroups.bind(tables)
        qos.bind(tables)
        vxlanEncap.bind(tables)
        transmit.bind(tables)
    }

    /// What `process` would do with one frame arriving on `ingress`, stage by stage, against `context`:
    /// the same stages in the same order, each explaining itself (`PipelineStage.trace`), without side
    /// effects. Never runs on a PMD. A new stage adds one line here too, where `process` calls it.
    public static func trace(_ frame: [UInt8], ingress: UInt16, in context: TraceContext) -> PacketTrace {
        // Padded, so that even an empty frame has an address; stages see exactly `frame.count` bytes.
        let padded = frame + [UInt8](repeating: 0, count: 16)
        return padded.withUnsafeBytes { bytes in
            trace(UnsafeRawBufferPointer(rebasing: bytes[0..<frame.count]), ingress: ingress, in: context)
        }
    }

    static func trace(_ frame: UnsafeRawBufferPointer, ingress: UInt16, in context: TraceContext) -> PacketTrace {
        var run = TraceRun(frame: frame, ingress: ingress, context: context)
        if context.isPatched(ingress) {
            run.step(PatchStage.self)
        } else {
            // As in `process`: the uplink's frames only.
            if context.vxlan.enabled && ingress == context.vxlan.uplink { run.step(VXLANDecapStage.self) }
            run.step(ParseStage.self)
            run.step(PortSecurityStage.self)
            run.step(VLANStage.self)
            // As in `process`, by port (`process` also skips bursts without a packet for the stage, which the
            // stage would pass unchanged).
            if context.dhcp.serves(ingress) { run.step(DHCPStage.self) }
            if context.metadata.serves(ingress) { run.step(MetadataStage.self) }
            run.step(L2Stage.self)
            run.step(SecurityGroupStage.self)
        }
        // As in `process`: the policer runs only while some port is limited to-vm.
        if !context.qosToVM.isEmpty { run.step(QoSStage.self) }
        if context.vxlan.enabled { run.step(VXLANEncapStage.self) }
        run.step(TransmitStage.self)
        return run.trace
    }

    public var stages: [StageDescriptor] {
        [
            patch.descriptor, vxlanDecap.descriptor, parse.descriptor, portSecurity.descriptor, vlan.descriptor,
            dhcp.descriptor, metadata.descriptor, l2.descriptor, securityGroups.descriptor, qos.descriptor,
            vxlanEncap.descriptor,
            transmit.descriptor,
        ]
    }
}
