// swift-tools-version: 6.1
// Sluice: a userspace packet-switching dataplane in Swift over DPDK.
//
// Why the unsafe flags: SwiftPM cannot use Debian's libdpdk.pc (it rejects the multi-line description and
// strips `-include rte_config.h` and `-march`). CDPDK's header includes <rte_config.h> itself; the include
// directories and `-march=corei7` are passed here to both the C and the Swift compiler. Without `-march`,
// DPDK's static inline rx/tx/free functions are not inlined into Swift (25-40 % slower) and some of them do
// not compile at all (SSSE3 builtins). See docs/building.md.
import PackageDescription

let dpdkIncludes = ["/usr/include/dpdk", "/usr/include/x86_64-linux-gnu/dpdk"]
let targetCPU = "-march=corei7"

let dpdkCFlags: [CSetting] = [.unsafeFlags(dpdkIncludes.map { "-I\($0)" } + [targetCPU])]
let dpdkSwiftFlags: [SwiftSetting] = [
    .unsafeFlags(dpdkIncludes.flatMap { ["-Xcc", "-I\($0)"] } + ["-Xcc", targetCPU])
]
/// The DPDK libraries Sluice calls directly. Poll-mode drivers (net_tap, ...) are not linked: EAL loads them
/// at run time from Debian's plugin directory. vhost-user ports are driven through the vhost library
/// (rte_vhost) directly, without an ethdev per guest (docs/vhost-user.md).
let dpdkLibraries: [LinkerSetting] = [
    "rte_eal", "rte_ethdev", "rte_mbuf", "rte_mempool", "rte_ring", "rte_net", "rte_kvargs",
    "rte_telemetry", "rte_hash", "rte_rcu", "rte_vhost",
].map { .linkedLibrary($0) }

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluiced", targets: ["sluiced"]),
        .executable(name: "sluicectl", targets: ["sluicectl"]),
        .executable(name: "sluice-bench", targets: ["sluice-bench"]),
        .executable(name: "sluice-metadata", targets: ["sluice-metadata"]),
        .executable(name: "sluice-exporter", targets: ["sluice-exporter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // HTTP servers and formats beside the dataplane (sluice-metadata, sluice-exporter); never in sluiced's
        // dependency graph.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        // The only place that includes DPDK headers: accessors for what Swift cannot import.
        .target(name: "CDPDK", path: "CDPDK", cSettings: dpdkCFlags, linkerSettings: dpdkLibraries),
        // Typed Swift seam over every raw DPDK call (EAL, mempool, ethdev, mbuf, lcores).
        .target(name: "DPDK", dependencies: ["CDPDK"], swiftSettings: dpdkSwiftFlags),
        // Header views and the one-pass packet parser. Pure Swift, no DPDK: testable on plain buffers.
        .target(name: "Packet"),
        // Burst-oriented pipeline stages, their counters and tables (the shared MAC table).
        .target(name: "Pipeline", dependencies: ["DPDK", "Packet"], swiftSettings: dpdkSwiftFlags),
        // Configuration model, YAML parsing and validation. Pure Swift: no DPDK.
        .target(
            name: "Config",
            dependencies: ["Packet", .product(name: "Yams", package: "Yams")],
            swiftSettings: dpdkSwiftFlags),
        // Ports, PMD threads, counters: turns a validated config into a running dataplane.
        .target(
            name: "Dataplane", dependencies: ["DPDK", "Packet", "Pipeline", "Config", "ControlProtocol"],
            swiftSettings: dpdkSwiftFlags),
        // The control API: JSON-RPC 2.0 wire types, status/counter types and a blocking client. No DPDK.
        .target(name: "ControlProtocol", swiftSettings: dpdkSwiftFlags),
        // The control socket server (run by sluiced on its control thread), independent of the dataplane.
        .target(
            name: "Control",
            dependencies: ["ControlProtocol", .product(name: "Logging", package: "swift-log")],
            swiftSettings: dpdkSwiftFlags),
        // Reading and writing classic pcap files (benchmark traces, test fixtures). Pure Swift.
        .target(name: "PcapFile"),
        .executableTarget(
            name: "sluiced",
            dependencies: [
                "Dataplane", "Control", "Config", "ControlProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: dpdkSwiftFlags),
        .executableTarget(
            name: "sluicectl",
            dependencies: [
                "ControlProtocol", "PcapFile", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: dpdkSwiftFlags),
        // The metric families sluice-exporter serves, built from control-API snapshots. No DPDK, no HTTP.
        .target(
            name: "SluiceMetrics",
            dependencies: ["ControlProtocol", .product(name: "Prometheus", package: "swift-prometheus")]),
        // /metrics over HTTP for Prometheus, read from the control socket: an unprivileged process of its own,
        // so that sluiced opens no TCP port and links no HTTP stack.
        .executableTarget(
            name: "sluice-exporter",
            dependencies: [
                "SluiceMetrics", "ControlProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "sluice-bench",
            dependencies: [
                "Dataplane", "Pipeline", "DPDK", "Config", "Packet", "PcapFile", "ControlProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: dpdkSwiftFlags),
        // The IMDSv2-compatible metadata service: HTTP semantics, tokens, documents, caller identity through
        // the control socket. Hummingbird and swift-crypto stay here, out of sluiced.
        .target(
            name: "MetadataService",
            dependencies: [
                "ControlProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: dpdkSwiftFlags),
        .executableTarget(
            name: "sluice-metadata",
            dependencies: [
                "MetadataService", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: dpdkSwiftFlags),

        .testTarget(name: "ConfigTests", dependencies: ["Config", "Packet"], swiftSettings: dpdkSwiftFlags),
        .testTarget(name: "PacketTests", dependencies: ["Packet"]),
        .testTarget(name: "MACTableTests", dependencies: ["Pipeline"], swiftSettings: dpdkSwiftFlags),
        .testTarget(
            name: "PipelineTests", dependencies: ["Pipeline", "DPDK", "Packet"], swiftSettings: dpdkSwiftFlags),
        .testTarget(name: "ExporterTests", dependencies: ["SluiceMetrics", "ControlProtocol"]),
        .testTarget(name: "DataplaneTests", dependencies: ["Dataplane", "Config"], swiftSettings: dpdkSwiftFlags),
        // The control server in-process with fake method handlers (protocol, abuse, socket permissions), and
        // the sluicectl binary against it (Config: the real rules behind the fake's port.add and port.set).
        .testTarget(
            name: "ControlTests",
            dependencies: [
                "Control", "ControlProtocol", "Config", "sluicectl", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: dpdkSwiftFlags),
        // The metadata service's HTTP semantics on a virtual clock (Hummingbird's test client), and its caller
        // resolution against the real control server with a test registry, and the sluice-metadata binary with curl.
        .testTarget(
            name: "MetadataServiceTests",
            dependencies: [
                "MetadataService", "Control", "ControlProtocol", "sluice-metadata",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: dpdkSwiftFlags),
        // Starts the real binaries (sluiced, sluicectl) with real DPDK ports: pcap, net_tap in namespaces.
        .testTarget(
            name: "SystemTests",
            dependencies: ["sluiced", "sluicectl", "sluice-exporter", "ControlProtocol", "PcapFile"],
            swiftSettings: dpdkSwiftFlags),
    ]
)
