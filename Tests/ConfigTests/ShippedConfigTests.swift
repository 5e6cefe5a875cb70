import Foundation
import Testing

@testable import Config

/// The configuration files and documentation shipped in the repository.
@Suite struct ShippedConfigTests {
    static let configDirectory = repositoryRoot.appendingPathComponent("configs")

    static var configFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: configDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func configsAreFound() {
        #expect(Self.configFiles.contains("sluice.yaml"), "looked in \(Self.configDirectory.path)")
        #expect(Self.configFiles.contains("pcap-patch.yaml"))
    }

    @Test(arguments: configFiles)
    func shippedConfigIsValid(name: String) {
        let path = Self.configDirectory.appendingPathComponent(name).path
        #expect(throws: Never.self) { try SluiceConfig.load(path: path) }
    }

    @Test func referenceConfig() throws {
        let config = try SluiceConfig.load(path: Self.configDirectory.appendingPathComponent("sluice.yaml").path)
        #expect(config.ports.map(\.devargs) == ["net_tap0,iface=sl0", "net_tap1,iface=sl1"])
        #expect(config.patches == [PatchPair("tap0", "tap1")])
        #expect(config.pmdLcores == [1])
        #expect(config.ealArguments(program: "sluiced").contains("--no-pci"))
    }

    @Test func referenceConfigMentionsEveryKey() throws {
        let text = try String(
            contentsOf: Self.configDirectory.appendingPathComponent("sluice.yaml"), encoding: .utf8)
        let keys = ConfigKeys.root + ConfigKeys.eal + ConfigKeys.mempool + ConfigKeys.control + ConfigKeys.port
        for key in keys {
            #expect(text.contains("\(key):"), "sluice.yaml does not show \(key)")
        }
    }

    @Test func pcapPatchConfig() throws {
        let config = try SluiceConfig.load(path: Self.configDirectory.appendingPathComponent("pcap-patch.yaml").path)
        #expect(config.eal.pmdCPUMask == 0x2)
        #expect(config.eal.memory == .inMemory)
        #expect(config.eal.socketMem == "256")
        #expect(config.ports.count == 2)
        #expect(config.ports.allSatisfy { $0.devargs.hasPrefix("net_pcap") && $0.devargs.contains("rx_pcap=/tmp/") })
        #expect(config.ports.allSatisfy { $0.devargs.contains("tx_pcap=/tmp/") })
        #expect(config.patches == [PatchPair("pcap0", "pcap1")])
        #expect(
            config.ealArguments(program: "sluiced") == [
                "sluiced", "-l", "0,1", "--main-lcore", "0", "--file-prefix", "sluice", "--socket-mem", "256",
                "--in-memory", "--no-pci",
            ])
    }

    @Test func documentationListsEveryKey() throws {
        let text = try String(
            contentsOf: repositoryRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let keys = ConfigKeys.root + ConfigKeys.eal + ConfigKeys.mempool + ConfigKeys.control + ConfigKeys.port
        for key in keys {
            #expect(text.contains("`\(key)`"), "docs/configuration.md does not document \(key)")
        }
    }
}
