import Foundation
import Testing

@testable import Config

@Suite struct GoodConfigTests {
    /// Every valid document of this suite; RenderingTests reads each back from its rendering.
    static var validDocuments: [String] {
        [
            minimalDocument, fullDocument, noHugeDocuments.sized, noHugeDocuments.defaulted, jsonDocument,
            hexDocument, socketMemDocument, boundaryDocuments.values, boundaryDocuments.longestSocketPath,
            patchOrderDocument, Doc().yaml,
        ]
    }

    static let minimalDocument = """
        eal:
          pmd-cpu-mask: "0x2"
        ports:
          - name: tap0
            devargs: net_tap0
        """

    @Test func minimalConfigGetsAllDefaults() throws {
        let config = try #require(parsed(Self.minimalDocument))
        #expect(config.eal.mainLcore == 0)
        #expect(config.eal.pmdCPUMask == 0x2)
        #expect(config.eal.socketMem == nil)
        #expect(config.eal.filePrefix == "sluice")
        #expect(config.eal.memory == .hugeUnlink)
        #expect(config.eal.extraArgs == [])
        #expect(config.mempool == MempoolConfig(mbufs: 16383, cacheSize: 256, mbufDataSize: 2048))
        #expect(config.control.socketPath == "/run/sluice/sluice.sock")
        #expect(config.control.socketGroup == nil)
        #expect(config.control.socketMode == 0o660)
        #expect(config.patches == [])
        let port = try #require(config.ports.first)
        #expect(config.ports.count == 1)
        #expect(port.name == "tap0")
        #expect(port.devargs == "net_tap0")
        #expect(port.rxQueues == 1)
        #expect(port.txQueues == nil)
        #expect(port.rxDescriptors == 1024)
        #expect(port.txDescriptors == 1024)
        #expect(port.mtu == 1500)
        #expect(port.admin == .up)
        #expect(port.rxQueueAffinity == nil)
        // The in-code defaults are the documented ones.
        #expect(
            config
                == SluiceConfig(eal: EALConfig(pmdCPUMask: 0x2), ports: [PortConfig(name: "tap0", devargs: "net_tap0")])
        )
    }

    static let fullDocument = """
        eal:
          main-lcore: 3
          pmd-cpu-mask: "0X30"
          socket-mem: "1024,512"
          file-prefix: sluice-test_1
          memory: in-memory
          extra-args: ["--log-level", "lib.eal:debug", "-n", "4"]
        mempool:
          mbufs: 32767
          cache-size: 128
          mbuf-data-size: 9216
        control:
          socket: /tmp/sluice/ctl.sock
          socket-group: netops
          socket-mode: "0600"
        ports:
          - name: uplink
            devargs: "0000:3b:00.1,rxq_cqe_comp_en=0"
            rx-queues: 2
            tx-queues: 4
            rx-descriptors: 2048
            tx-descriptors: 512
            mtu: 9000
            admin: down
            pmd-rxq-affinity: [5, 4]
          - name: vm1.eth0
            devargs: net_vhost0,iface=/tmp/vhost0.sock,queues=1
        patches:
          - [uplink, vm1.eth0]
        """

    @Test func fullConfigSetsEveryField() throws {
        let config = try #require(parsed(Self.fullDocument))
        let expected = SluiceConfig(
            eal: EALConfig(
                mainLcore: 3, pmdCPUMask: 0x30, socketMem: "1024,512", filePrefix: "sluice-test_1",
                memory: .inMemory, extraArgs: ["--log-level", "lib.eal:debug", "-n", "4"]),
            mempool: MempoolConfig(mbufs: 32767, cacheSize: 128, mbufDataSize: 9216),
            control: ControlConfig(socketPath: "/tmp/sluice/ctl.sock", socketGroup: "netops", socketMode: 0o600),
            ports: [
                PortConfig(
                    name: "uplink", devargs: "0000:3b:00.1,rxq_cqe_comp_en=0", rxQueues: 2, txQueues: 4,
                    rxDescriptors: 2048, txDescriptors: 512, mtu: 9000, admin: .down, rxQueueAffinity: [5, 4]),
                PortConfig(name: "vm1.eth0", devargs: "net_vhost0,iface=/tmp/vhost0.sock,queues=1"),
            ],
            patches: [PatchPair("uplink", "vm1.eth0")])
        #expect(config == expected)
        #expect(config.pmdLcores == [4, 5])
        #expect(config.portIndex(named: "vm1.eth0") == 1)
        #expect(config.portIndex(named: "nope") == nil)
        #expect(config.ports[0].deviceName == "0000:3b:00.1")
        #expect(config.ports[0].isPCI)
        #expect(!config.ports[1].isPCI)
    }

    static let noHugeDocuments = (
        sized: Doc { $0.eal += ["memory: no-huge", "no-huge-mb: 1024"] }.yaml,
        defaulted: Doc { $0.eal += ["memory: no-huge"] }.yaml
    )

    @Test func noHugeModeCarriesItsSize() throws {
        let config = try #require(parsed(Self.noHugeDocuments.sized))
        #expect(config.eal.memory == .noHuge(megabytes: 1024))
        let defaulted = try #require(parsed(Self.noHugeDocuments.defaulted))
        #expect(defaulted.eal.memory == .noHuge(megabytes: 512))
    }

    static let jsonDocument = """
        {
          "eal": {"main-lcore": 0, "pmd-cpu-mask": "0x6", "memory": "no-huge", "no-huge-mb": 256,
                  "extra-args": []},
          "mempool": {"mbufs": 8191},
          "control": {"socket": "/run/sluice/s.sock", "socket-group": null, "socket-mode": "0640"},
          "ports": [
            {"name": "a", "devargs": "net_ring0", "tx-queues": 2, "pmd-rxq-affinity": [2]},
            {"name": "b", "devargs": "net_ring1", "admin": "down"}
          ],
          "patches": [["a", "b"]]
        }
        """

    @Test func jsonDocumentIsAccepted() throws {
        let config = try #require(parsed(Self.jsonDocument))
        let expected = SluiceConfig(
            eal: EALConfig(pmdCPUMask: 0x6, memory: .noHuge(megabytes: 256)),
            mempool: MempoolConfig(mbufs: 8191),
            control: ControlConfig(socketPath: "/run/sluice/s.sock", socketMode: 0o640),
            ports: [
                PortConfig(name: "a", devargs: "net_ring0", txQueues: 2, rxQueueAffinity: [2]),
                PortConfig(name: "b", devargs: "net_ring1", admin: .down),
            ],
            patches: [PatchPair(a: "a", b: "b")])
        #expect(config == expected)
    }

    @Test func jsonProblemsAreReportedLikeYAML() {
        let found = problems(
            #"{"eal": {"pmd-cpu-mask": 6}, "ports": [{"name": "a", "devargs": "net_ring0", "mtu": "big"}]}"#)
        #expect(found.map(\.path) == ["eal.pmd-cpu-mask", "ports[0].mtu"])
    }

    static let hexDocument = Doc { $0.mempool = ["mbufs: 0x3fff", "mbuf-data-size: 4_096"] }.yaml

    @Test func integersMayBeHexOrUseSeparators() throws {
        let config = try #require(parsed(Self.hexDocument))
        #expect(config.mempool.mbufs == 0x3fff)
        #expect(config.mempool.mbufDataSize == 4096)
    }

    static let socketMemDocument = Doc { $0.eal.append("socket-mem: 512") }.yaml

    @Test func socketMemMayBeAnUnquotedSingleNumber() throws {
        let config = try #require(parsed(Self.socketMemDocument))
        #expect(config.eal.socketMem == "512")
    }

    static let boundaryDocuments = (
        values: Doc {
            $0.eal = ["main-lcore: 63", "pmd-cpu-mask: \"0x7fffffffffffffff\""]
            $0.mempool = ["mbufs: 1024", "cache-size: 512", "mbuf-data-size: 2048"]
            $0.ports[0] += ["mtu: 2022", "rx-descriptors: 64", "tx-descriptors: 32768", "rx-queues: 64"]
            $0.ports[1] += ["mtu: 68", "tx-queues: 64"]
        }.yaml,
        // 108 bytes would be too long; 107 is the limit.
        longestSocketPath: Doc { $0.control = ["socket: /" + String(repeating: "s", count: 106)] }.yaml
    )

    @Test func boundaryValuesAreAccepted() throws {
        let config = try #require(parsed(Self.boundaryDocuments.values))
        #expect(config.pmdLcores == Array(0...62))
        #expect(config.ports[0].mtu == 2022)
        let path = "/" + String(repeating: "s", count: 106)
        #expect(parsed(Self.boundaryDocuments.longestSocketPath)?.control.socketPath == path)
    }

    static let patchOrderDocument = Doc {
        $0.ports.append(["name: p2", "devargs: net_null2"])
        $0.ports.append(["name: p3", "devargs: net_null3"])
        $0.patches = ["- [p1, p0]", "- [p3, p2]"]
    }.yaml

    @Test func patchedPortsMayBeListedInAnyOrder() throws {
        let config = try #require(parsed(Self.patchOrderDocument))
        #expect(config.patches == [PatchPair("p1", "p0"), PatchPair("p3", "p2")])
    }

    @Test func loadReadsAFile() throws {
        let path = NSTemporaryDirectory() + "sluice-config-test-\(getpid()).yaml"
        try Doc().yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try SluiceConfig.load(path: path)
        #expect(config.ports.map(\.name) == ["p0", "p1"])
    }
}
