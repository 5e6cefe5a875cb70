/// One DPDK port as the operator describes it.
///
/// Features of a port (the bridge, vhost-user today; security groups, QoS, metadata next) keep their
/// settings and code in their own folders. The convention for a new per-port feature, e.g. QoS:
/// - one optional field here, `public var qos: QoSConfig?`, set under the port's own sub-mapping key
///   `qos:`; nil (the key absent) means the feature is off for the port. No flat keys on the port.
/// - in `Sources/Config/QoS/`: `QoSConfig` and, as extensions, its key (`ConfigKeys.qosPort = ["qos"]`), its
///   decoding (`ConfigDecoder.decodeQoSKeys(of:into:)`), its rules (`Validator.validateQoSKeys(of:at:)`),
///   its rendering (`PortConfig.qosEntries`) and its change rules (`ChangeRules.qos`: `ports[].qos` and
///   below: in place, or reopen the device);
/// - one line at each extension point: `+ qosPort` in `ConfigKeys.port`, the decoder call in
///   `ConfigDecoder.decodePort`, the rule call in `Validator.validatePorts`, `+ qosEntries` in
///   `PortConfig.document`, `ChangeRules.qos,` in `ChangeRules.table`.
/// `PortFeatureTests` fails when one of these is missing: a key that is not rendered, not decoded back, or
/// without a change rule. The bridge's keys (vlan, max-macs, port-security, static-macs) and vhost-user's
/// (type, path, mode, queues) predate the convention and stay flat keys, but follow the same layout.
public struct PortConfig: Equatable, Sendable {
    /// The name used everywhere else (patches, counters, the control socket); DPDK's own names are unwieldy.
    public var name: String
    /// DPDK device arguments: a PCI address or a `net_*` virtual device, optionally followed by `,key=value`.
    /// Empty for a vhost-user port, whose devargs Sluice generates (see `resolvedDevargs`).
    public var devargs: String
    /// Set for a `type: vhost-user` port (see VhostUserConfig.swift); nil for a generic DPDK device.
    public var vhostUser: VhostUserConfig?
    public var rxQueues: Int
    /// Nil means one per PMD thread, which is also the minimum: DPDK tx queues are not thread-safe, so every
    /// PMD thread needs a tx queue of its own on every port it may send to.
    public var txQueues: Int?
    public var rxDescriptors: Int
    public var txDescriptors: Int
    public var mtu: Int
    public var admin: AdminState
    /// The lcore polling each rx queue, by queue index; nil distributes queues round-robin over PMD threads.
    public var rxQueueAffinity: [Int]?
    /// How the port takes part in VLANs; nil makes it an access port on VLAN 1 (see `vlanMode`).
    public var vlan: VLANMode?
    /// Limit on the MACs learned on this port; nil uses `L2Config.maxMACsPerPort` (see `effectiveMaxMACs`).
    public var maxMACs: Int?
    /// Nil: any source MAC and IP address is accepted from the port.
    public var portSecurity: PortSecurityConfig?
    /// MAC table entries pointing at this port that never age and never move.
    public var staticMACs: [StaticMACConfig]
    /// The security groups the port belongs to; nil: unfiltered (SecurityGroups/SecurityGroupsConfig.swift).
    public var securityGroups: [String]? = nil
    /// Token-bucket limits in each direction (QoS/QoSConfig.swift); nil: unlimited.
    public var qos: QoSConfig?
    /// The address the VLAN's DHCP responder gives the port (DHCP/DHCPConfig.swift); nil: none.
    public var dhcp: DHCPPortConfig? = nil
    /// Whether the metadata intercept serves the port, its instance id and rate limit
    /// (Metadata/MetadataConfig.swift); nil: as the section's `vlans` say.
    public var metadata: MetadataPortConfig? = nil

    public init(
        name: String,
        devargs: String,
        rxQueues: Int = 1,
        txQueues: Int? = nil,
        rxDescriptors: Int = 1024,
        txDescriptors: Int = 1024,
        mtu: Int = 1500,
        admin: AdminState = .up,
        rxQueueAffinity: [Int]? = nil,
        vlan: VLANMode? = nil,
        maxMACs: Int? = nil,
        portSecurity: PortSecurityConfig? = nil,
        staticMACs: [StaticMACConfig] = [],
        qos: QoSConfig? = nil
    ) {
        self.name = name
        self.devargs = devargs
        self.rxQueues = rxQueues
        self.txQueues = txQueues
        self.rxDescriptors = rxDescriptors
        self.txDescriptors = txDescriptors
        self.mtu = mtu
        self.admin = admin
        self.rxQueueAffinity = rxQueueAffinity
        self.vlan = vlan
        self.maxMACs = maxMACs
        self.portSecurity = portSecurity
        self.staticMACs = staticMACs
        self.qos = qos
    }

    /// The devargs up to the first comma: what DPDK names the device.
    public var deviceName: String {
        Devargs.deviceName(of: resolvedDevargs)
    }

    /// Whether the device is a PCI function (passed to EAL's allow-list) rather than a virtual device
    /// (hot-plugged by the dataplane).
    public var isPCI: Bool {
        Devargs.pciAddress(deviceName) != nil
    }

    public func effectiveTxQueues(pmdCount: Int) -> Int {
        txQueues ?? pmdCount
    }
}

public enum AdminState: String, Equatable, Sendable, CaseIterable {
    case up, down
}
