import Packet

@testable import Config

/// Valid configurations that together set every key of the schema, in pairs whose two sides differ in
/// every value that can differ (ports keep their names, so that the plan sees the same ports). Either side
/// of a pair is valid with the other side's restart settings, so `withRuntimeState` accepts both orders.
///
/// A new key must be set here (on both sides of a pair, with different values): the schema tests
/// (`PortFeatureTests`, `ChangeRuleTests`) fail until it is.
enum RichConfigs {
    static func mac(_ raw: UInt64) -> EthernetAddress { EthernetAddress(rawValue: raw) }

    /// DPDK ports with every bridge key, patches, and every eal, mempool, control and l2 key but no-huge-mb.
    /// With DHCP/DHCPRich.swift and Metadata/MetadataRich.swift.
    static let dpdkFile = MetadataRich.file(DHCPRich.file(dpdkFileBase))
    private static let dpdkFileBase = SecurityGroupsRich.file(
        SluiceConfig(
            eal: EALConfig(
                mainLcore: 0, pmdCPUMask: 0x2, socketMem: "512", filePrefix: "sluice", memory: .hugeUnlink,
                extraArgs: ["--log-level", "lib.eal:debug 8"], lcoreCPUs: [0: 0, 1: 1]),
            mempool: MempoolConfig(),
            control: ControlConfig(
                socketPath: "/run/sluice/sluice.sock", socketGroup: "netops", socketMode: 0o660,
                pmdStallTimeoutSeconds: 5),
            l2: L2Config(macAgingSeconds: 300, maxMACsPerPort: 4096, macTableSize: 262144),
            ports: [
                PortConfig(
                    name: "p0", devargs: "net_null0", rxQueues: 1, txQueues: 2, rxDescriptors: 1024,
                    txDescriptors: 1024, mtu: 1500, admin: .up, rxQueueAffinity: [1],
                    vlan: .trunk(allowed: VLANSet([100] + Array(200...210)), native: 1), maxMACs: 16,
                    portSecurity: PortSecurityConfig(
                        mac: mac(0x5254_0012_3456), ipv4: [IPv4Address(10, 0, 100, 5)],
                        ipv6: [IPv6Address("fd00:100::5")].compactMap { $0 }),
                    staticMACs: [StaticMACConfig(mac: mac(0x0200_0000_0201), vlan: 200)]),
                PortConfig(
                    name: "p1", devargs: "net_null1", vlan: .access(vlan: 100),
                    staticMACs: [StaticMACConfig(mac: mac(0x5254_0000_0001))],
                    qos: QoSConfig(
                        fromVM: QoSDirectionConfig(
                            bandwidth: QoSBucketConfig(rate: 100_000_000, burst: 1_048_576, oneTimeBurst: 10_000_000),
                            packets: QoSBucketConfig(rate: 100_000, burst: 1000, oneTimeBurst: 5000)),
                        toVM: QoSDirectionConfig(
                            bandwidth: QoSBucketConfig(rate: 50_000_000, burst: 65536, oneTimeBurst: 1_000_000),
                            packets: QoSBucketConfig(rate: 20_000, burst: 64, oneTimeBurst: 100)))),
                PortConfig(name: "p2", devargs: "net_null2"),
                PortConfig(name: "p3", devargs: "net_null3"),
                PortConfig(name: "p4", devargs: "net_null4"),
            ],
            patches: [PatchPair("p2", "p3")],
            vxlan: VXLANConfig(
                uplink: "p1", address: IPv4Address(192, 0, 2, 1), prefixLength: 24, underlayVLAN: 20,
                gateway: IPv4Address(192, 0, 2, 254), mtu: 1500, ttl: 64,
                vnis: [
                    VNIConfig(vni: 1000, vlan: 100, flood: [IPv4Address(192, 0, 2, 2), IPv4Address(198, 51, 100, 7)])
                ],
                remoteMACs: [RemoteMACConfig(mac: mac(0x5254_0000_1001), vni: 1000, vtep: IPv4Address(192, 0, 2, 2))])))

    static let dpdkState = MetadataRich.state(DHCPRich.state(dpdkStateBase))
    private static let dpdkStateBase = SecurityGroupsRich.state(
        SluiceConfig(
            eal: EALConfig(
                mainLcore: 3, pmdCPUMask: 0x6, socketMem: "1024", filePrefix: "other", memory: .inMemory,
                extraArgs: ["--log-level", "7"], lcoreCPUs: [1: 0, 2: 1, 3: 0], rxqRebalanceInterval: 60,
                rxqRebalanceImprovement: 40),
            mempool: MempoolConfig(mbufs: 32767, cacheSize: 512, mbufDataSize: 4096),
            control: ControlConfig(
                socketPath: "/run/other.sock", socketGroup: "wheel", socketMode: 0o600,
                pmdStallTimeoutSeconds: 30),
            l2: L2Config(macAgingSeconds: 60, maxMACsPerPort: 100, macTableSize: 1024),
            ports: [
                PortConfig(
                    name: "p0", devargs: "net_null5", rxQueues: 2, txQueues: 3, rxDescriptors: 512,
                    txDescriptors: 2048, mtu: 2000, admin: .down, rxQueueAffinity: [1, 1],
                    vlan: .trunk(allowed: VLANSet([300]), native: 5), maxMACs: 32,
                    portSecurity: PortSecurityConfig(mac: mac(0x5254_0000_0009), ipv4: [IPv4Address(10, 0, 0, 9)]),
                    staticMACs: [StaticMACConfig(mac: mac(0x0200_0000_0202), vlan: 300)]),
                PortConfig(
                    name: "p1", devargs: "net_null6", vlan: .access(vlan: 200),
                    staticMACs: [StaticMACConfig(mac: mac(0x5254_0000_0002))],
                    qos: QoSConfig(
                        fromVM: QoSDirectionConfig(
                            bandwidth: QoSBucketConfig(rate: 200_000_000, burst: 2_000_000, oneTimeBurst: 20_000_000),
                            packets: QoSBucketConfig(rate: 200_000, burst: 2000, oneTimeBurst: 6000)),
                        toVM: QoSDirectionConfig(
                            bandwidth: QoSBucketConfig(rate: 60_000_000, burst: 70000, oneTimeBurst: 2_000_000),
                            packets: QoSBucketConfig(rate: 30_000, burst: 128, oneTimeBurst: 200)))),
                PortConfig(name: "p2", devargs: "net_null7", vlan: .access(vlan: 300)),
                PortConfig(name: "p3", devargs: "net_null8"),
                PortConfig(name: "p4", devargs: "net_null9"),
            ],
            patches: [PatchPair("p3", "p4")],
            vxlan: VXLANConfig(
                uplink: "p0", address: IPv4Address(10, 1, 0, 5), prefixLength: 16, underlayVLAN: 30,
                gateway: IPv4Address(10, 1, 255, 254), mtu: 1600, ttl: 32,
                vnis: [VNIConfig(vni: 2000, vlan: 300, flood: [IPv4Address(10, 1, 0, 6)])],
                remoteMACs: [RemoteMACConfig(mac: mac(0x5254_0000_2002), vni: 2000, vtep: IPv4Address(10, 1, 0, 6))])))

    /// vhost-user ports (one turns into a DPDK port and back) and no-huge memory.
    static let vhostFile = SluiceConfig(
        eal: EALConfig(pmdCPUMask: 0x2, memory: .noHuge(megabytes: 1024)),
        ports: [
            .vhostUser(name: "q0", path: "/run/sluice/vhost/q0.sock", mode: .client, queues: 1),
            PortConfig(name: "q1", devargs: "net_null0", txQueues: 1),
        ])

    static let vhostState = SluiceConfig(
        eal: EALConfig(pmdCPUMask: 0x2, memory: .noHuge(megabytes: 2048)),
        ports: [
            .vhostUser(name: "q0", path: "/run/sluice/vhost/other.sock", mode: .server, queues: 2),
            .vhostUser(name: "q1", path: "/run/sluice/vhost/q1.sock"),
        ])

    static let pairs: [(file: SluiceConfig, state: SluiceConfig)] = [
        (dpdkFile, dpdkState), (dpdkState, dpdkFile), (vhostFile, vhostState), (vhostState, vhostFile),
    ]

    static let all = [dpdkFile, dpdkState, vhostFile, vhostState]
}

extension ConfigDocument {
    /// Every leaf of the document (scalars, empty lists and empty mappings) by its key path, e.g.
    /// `ports[0].vlan.allowed[1]`.
    func leaves(at path: String = "") -> [String: ConfigDocument] {
        switch self {
        case .mapping(let entries) where !entries.isEmpty:
            return entries.reduce(into: [:]) { result, entry in
                result.merge(entry.value.leaves(at: KeyPath.child(path, entry.key))) { first, _ in first }
            }
        case .list(let items) where !items.isEmpty:
            return items.enumerated().reduce(into: [:]) { result, item in
                result.merge(item.element.leaves(at: KeyPath.element(path, item.offset))) { first, _ in first }
            }
        default:
            return [path: self]
        }
    }

    /// The keys of every mapping in the document, by the mapping's path with list indices left out
    /// (`ports[]`, `ports[].static-macs[]`).
    func mappingKeys(at path: String = "") -> [String: Set<String>] {
        switch self {
        case .mapping(let entries):
            var result = [path: Set(entries.map(\.key))]
            for entry in entries {
                result.merge(entry.value.mappingKeys(at: KeyPath.child(path, entry.key))) { $0.union($1) }
            }
            return result
        case .list(let items):
            return items.reduce(into: [:]) { $0.merge($1.mappingKeys(at: path + "[]")) { $0.union($1) } }
        default:
            return [:]
        }
    }
}

/// `ports[3].static-macs[0].mac` → `ports[].static-macs[].mac`: the path as the change rules spell it.
func withoutIndices(_ path: String) -> String {
    var result = ""
    var inBrackets = false
    for character in path {
        if character == "[" {
            inBrackets = true
            result += "[]"
        } else if character == "]" {
            inBrackets = false
        } else if !inBrackets {
            result.append(character)
        }
    }
    return result
}
