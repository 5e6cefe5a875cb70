import Foundation
import Packet
import Testing

@testable import Config

/// `renderYAML` and `renderJSON` write documents that `parse(yaml:)` reads back to an equal configuration.
@Suite struct RenderingTests {
    /// Both renderings read back to `config`, and the JSON is JSON by Foundation's standards too.
    static func expectRoundTrip(
        _ config: SluiceConfig, _ label: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let renderings = [
            ("YAML", config.renderYAML()), ("JSON", config.renderJSON()),
            ("pretty JSON", config.renderJSON(pretty: true)),
        ]
        for (kind, text) in renderings {
            do {
                let back = try SluiceConfig.parse(yaml: text)
                #expect(
                    back == config, "\(label): \(kind) read back differently:\n\(text)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("\(label): \(kind) does not parse: \(error)\n\(text)", sourceLocation: sourceLocation)
            }
        }
        for (kind, text) in renderings.dropFirst() {
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8))
            #expect(
                object is [String: Any], "\(label): \(kind) is not a JSON object:\n\(text)",
                sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: ShippedConfigTests.configFiles)
    func shippedConfigsRoundTrip(file: String) throws {
        let config = try SluiceConfig.load(path: ShippedConfigTests.configDirectory.appendingPathComponent(file).path)
        Self.expectRoundTrip(config, file)
    }

    @Test func testDocumentsRoundTrip() throws {
        let documents = GoodConfigTests.validDocuments + L2GoodConfigTests.validDocuments
        #expect(documents.count >= 20)
        for (index, document) in documents.enumerated() {
            let config = try #require(parsed(document))
            Self.expectRoundTrip(config, "document \(index):\n\(document)")
        }
    }

    /// The exact shape of the output: kebab-case keys in file order, strings quoted, unset keys left out
    /// and every other value written.
    @Test func minimalConfigRendering() throws {
        let config = try #require(parsed(GoodConfigTests.minimalDocument))
        #expect(
            config.renderYAML() == """
                eal:
                  main-lcore: 0
                  pmd-cpu-mask: "0x2"
                  file-prefix: "sluice"
                  memory: "huge-unlink"
                  extra-args: []
                  rxq-rebalance-interval: 0
                  rxq-rebalance-improvement: 25
                mempool:
                  mbufs: 16383
                  cache-size: 256
                  mbuf-data-size: 2048
                control:
                  socket: "/run/sluice/sluice.sock"
                  socket-mode: "0660"
                  pmd-stall-timeout-seconds: 5
                l2:
                  mac-aging-seconds: 300
                  max-macs-per-port: 4096
                  mac-table-size: 262144
                ports:
                  - name: "tap0"
                    devargs: "net_tap0"
                    rx-queues: 1
                    rx-descriptors: 1024
                    tx-descriptors: 1024
                    mtu: 1500
                    admin: "up"
                    static-macs: []
                patches: []
                security-groups: []
                conntrack:
                  max-connections: 262144
                  max-connections-per-port: 65536
                  timeouts:
                    syn-sent: 120
                    syn-recv: 60
                    established: 432000
                    fin-wait: 120
                    close-wait: 60
                    last-ack: 30
                    time-wait: 120
                    close: 10
                    udp: 30
                    udp-stream: 120
                    icmp: 30
                    generic: 600

                """)
        #expect(
            config.renderJSON() == """
                {"eal":{"main-lcore":0,"pmd-cpu-mask":"0x2","file-prefix":"sluice","memory":"huge-unlink","extra-args":[],\
                "rxq-rebalance-interval":0,"rxq-rebalance-improvement":25},\
                "mempool":{"mbufs":16383,"cache-size":256,"mbuf-data-size":2048},\
                "control":{"socket":"/run/sluice/sluice.sock","socket-mode":"0660","pmd-stall-timeout-seconds":5},\
                "l2":{"mac-aging-seconds":300,"max-macs-per-port":4096,"mac-table-size":262144},\
                "ports":[{"name":"tap0","devargs":"net_tap0","rx-queues":1,"rx-descriptors":1024,"tx-descriptors":1024,\
                "mtu":1500,"admin":"up","static-macs":[]}],"patches":[],"security-groups":[],\
                "conntrack":{"max-connections":262144,"max-connections-per-port":65536,"timeouts":{"syn-sent":120,\
                "syn-recv":60,"established":432000,"fin-wait":120,"close-wait":60,"last-ack":30,"time-wait":120,\
                "close":10,"udp":30,"udp-stream":120,"icmp":30,"generic":600}}}
                """)
    }

    @Test func everyOptionalKeyRendersWhenSet() throws {
        let config = SluiceConfig(
            eal: EALConfig(
                mainLcore: 0, pmdCPUMask: 0x1e, socketMem: "512,512", memory: .inMemory,
                extraArgs: ["--log-level", "8"],
                lcoreCPUs: [2: 1, 0: 0, 1: 1]),
            control: ControlConfig(socketGroup: "netops", socketMode: 0o7),
            ports: [
                PortConfig(
                    name: "uplink", devargs: "net_null0", rxQueues: 2, txQueues: 4, rxQueueAffinity: [1, 2],
                    vlan: .trunk(allowed: [1, 2, 3, 100, 200, 201], native: 7), maxMACs: 16,
                    portSecurity: PortSecurityConfig(
                        mac: EthernetAddress(rawValue: 0x5254_0012_3456), ipv4: [IPv4Address(10, 0, 0, 1)],
                        ipv6: [IPv6Address(high: 0xfd00_0000_0000_0000, low: 1)]),
                    staticMACs: [StaticMACConfig(mac: EthernetAddress(rawValue: 0x0200_0000_0001), vlan: 200)]),
                PortConfig(name: "vm1", devargs: "net_null1", vlan: .access(vlan: 100)),
            ])
        try config.validate()
        let yaml = config.renderYAML()
        for line in [
            #"  socket-mem: "512,512""#, #"  socket-group: "netops""#, #"  socket-mode: "0007""#,
            "    tx-queues: 4", "    pmd-rxq-affinity: [1, 2]", "      mode: \"trunk\"",
            #"      allowed: ["1-3", 100, "200-201"]"#, "      native: 7", "    max-macs: 16",
            #"      mac: "52:54:00:12:34:56""#, #"      ips: ["10.0.0.1", "fd00::1"]"#,
            #"      - mac: "02:00:00:00:00:01""#, "        vlan: 200", "      id: 100",
            #"  extra-args: ["--log-level", "8"]"#, "  lcore-cpus:\n    \"0\": 0\n    \"1\": 1\n    \"2\": 1",
        ] {
            #expect(yaml.contains(line + "\n"), "missing \(line) in\n\(yaml)")
        }
        #expect(!yaml.contains("no-huge-mb"))
        Self.expectRoundTrip(config, "optional keys set")
    }

    /// nil and the default are different states: an unset tx-queues follows the PMD thread count.
    @Test func unsetAndDefaultValuesStayDistinct() throws {
        var explicit = SluiceConfig(
            eal: EALConfig(pmdCPUMask: 0x2), ports: [PortConfig(name: "a", devargs: "net_tap0")])
        explicit.ports[0].txQueues = 1
        explicit.ports[0].vlan = .access(vlan: VLANMode.defaultVLAN)
        explicit.ports[0].maxMACs = L2Config().maxMACsPerPort
        explicit.eal.memory = .noHuge(megabytes: MemoryMode.defaultNoHugeMegabytes)
        let unset = SluiceConfig(
            eal: EALConfig(pmdCPUMask: 0x2, memory: .noHuge(megabytes: 512)),
            ports: [PortConfig(name: "a", devargs: "net_tap0")])
        for config in [explicit, unset] {
            try config.validate()
            Self.expectRoundTrip(config, "\(config.ports[0])")
        }
        #expect(explicit.renderYAML().contains("tx-queues: 1\n"))
        #expect(!unset.renderYAML().contains("tx-queues"))
        #expect(unset.renderYAML().contains("no-huge-mb: 512\n"))
        let yaml = unset.renderYAML()
        #expect(!yaml.contains("vlan") && !yaml.contains("max-macs:") && !yaml.contains("port-security"))
    }

    @Test func hostileStringsRoundTrip() throws {
        for text in RandomConfigs.hostileText {
            var config = SluiceConfig(
                eal: EALConfig(pmdCPUMask: 0x2), ports: [PortConfig(name: "a", devargs: "net_tap0")])
            config.eal.extraArgs = [text, "x" + text + "y"]
            config.control.socketPath = "/run/" + text.replacingOccurrences(of: "\0", with: "") + "s"
            try config.validate()
            Self.expectRoundTrip(config, quoted(text))
        }
        for name in RandomConfigs.hostileNames {
            let config = SluiceConfig(
                eal: EALConfig(pmdCPUMask: 0x2),
                ports: [PortConfig(name: name, devargs: "net_tap0"), PortConfig(name: "b", devargs: "net_tap1")],
                patches: [PatchPair(name, "b")])
            try config.validate()
            Self.expectRoundTrip(config, name)
        }
    }

    /// Yams decodes every scalar with Foundation's UTF-8 decoding, which drops a byte order mark at the start
    /// of the text: a string value beginning with U+FEFF cannot survive `parse(yaml:)`, however it is written.
    /// Inside a string it is kept (escaped as \ufeff).
    @Test func leadingByteOrderMarkIsLostByTheParser() throws {
        var config = SluiceConfig(eal: EALConfig(pmdCPUMask: 0x2), ports: [PortConfig(name: "a", devargs: "net_tap0")])
        config.eal.extraArgs = ["x\u{feff}y"]
        Self.expectRoundTrip(config, "inner U+FEFF")
        config.eal.extraArgs = ["\u{feff}y"]
        #expect(config.renderYAML().contains(#"extra-args: ["\ufeffy"]"#))
        let back = try SluiceConfig.parse(yaml: config.renderYAML())
        withKnownIssue("Yams drops a leading U+FEFF from scalars") {
            #expect(back == config)
        }
    }

    @Test func stringEscapes() {
        #expect(
            ConfigDocument.doubleQuotedYAML("a\"b\\c\n\t\r\0\u{1}\u{7f}\u{85}\u{2028}\u{2029}\u{feff}é🚀")
                == #""a\"b\\c\n\t\r\0\x01\x7f\N\L\P\ufeffé🚀""#)
        #expect(
            ConfigDocument.jsonString("a\"b\\c\n\t\r\0\u{1}\u{7f}\u{85}\u{2028}\u{feff}é🚀")
                == #""a\"b\\c\n\t\r\u0000\u0001\u007f\u0085\u2028\ufeffé🚀""#)
    }

    @Test func jsonKeysFollowTheYAMLOrder() throws {
        let config = try SluiceConfig.load(
            path: ShippedConfigTests.configDirectory.appendingPathComponent("sluice.yaml").path)
        func keys(_ text: String, pattern: String) -> [String] {
            let regex = try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
            return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
                Range($0.range(at: 1), in: text).map { String(text[$0]) }
            }
        }
        let yamlKeys = keys(config.renderYAML(), pattern: #"^[ -]*([a-z][a-z0-9-]*):"#)
        let jsonKeys = keys(config.renderJSON(pretty: true), pattern: #"^ *"([a-z][a-z0-9-]*)":"#)
        #expect(yamlKeys.count > 50)
        #expect(yamlKeys == jsonKeys)
    }

    /// The property: every valid configuration survives both renderings.
    @Test(arguments: 0..<8)
    func randomConfigsRoundTrip(batch: Int) throws {
        var generator = RandomConfigs(seed: 0x5eed_0000 + UInt64(batch))
        var valid = 0
        var invalid = 0
        while valid < 300 {
            let config = generator.config()
            do {
                try config.validate()
            } catch {
                invalid += 1
                #expect(invalid <= 30, "too many invalid generated configs; last: \(error)")
                if invalid > 30 { return }
                continue
            }
            valid += 1
            Self.expectRoundTrip(config, "seed batch \(batch), config \(valid)")
        }
    }
}
