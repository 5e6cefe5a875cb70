import Foundation
import Packet
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

    /// Every key in the schema, for the checks that the reference config and the documentation show them all.
    static let allKeys =
        ConfigKeys.root + ConfigKeys.eal + ConfigKeys.mempool + ConfigKeys.control + ConfigKeys.l2 + ConfigKeys.port
        + ConfigKeys.vlan + ConfigKeys.portSecurity + ConfigKeys.staticMAC
        + ConfigKeys.securityGroup + ConfigKeys.securityGroupRule + ConfigKeys.conntrack + ConfigKeys.conntrackTimeouts
        + ConfigKeys.qos + ConfigKeys.qosDirection
        + ConfigKeys.qosBandwidth + ConfigKeys.qosPackets
        + ConfigKeys.vxlan + ConfigKeys.vxlanVNI + ConfigKeys.vxlanRemoteMAC
        + ConfigKeys.dhcpNetwork + ConfigKeys.dhcpRoute + ConfigKeys.dhcp
        + ConfigKeys.metadata + ConfigKeys.metadataRateLimit + ConfigKeys.metadataAddress
        + ConfigKeys.metadataPortKeys

    @Test func referenceConfig() throws {
        let config = try SluiceConfig.load(path: Self.configDirectory.appendingPathComponent("sluice.yaml").path)
        #expect(
            config.ports.map(\.resolvedDevargs) == [
                "net_tap0,iface=sl0", "net_tap1,iface=sl1", "net_tap2,iface=sl2", "net_tap3,iface=sl3",
                "net_vhost_vm2,iface=/run/sluice/vhost/vm2.sock,queues=1,client=1",
            ])
        #expect(config.ports.map(\.type) == [.dpdk, .dpdk, .dpdk, .dpdk, .vhostUser])
        #expect(config.patches == [PatchPair("tap0", "tap1")])
        #expect(config.pmdLcores == [1])
        #expect(config.ealArguments(program: "sluiced").contains("--no-pci"))
        #expect(config.l2 == L2Config())
    }

    /// The reference config shows a trunk uplink and an access VM port with port security and a static MAC.
    @Test func referenceConfigBridgePorts() throws {
        let config = try SluiceConfig.load(path: Self.configDirectory.appendingPathComponent("sluice.yaml").path)
        let uplink = try #require(config.portIndex(named: "uplink").map { config.ports[$0] })
        guard case .trunk(let allowed, let native) = uplink.vlanMode else {
            Issue.record("uplink is not a trunk: \(uplink.vlanMode)")
            return
        }
        #expect(allowed.description == "100,200-210")
        #expect(native == 1)
        #expect(uplink.resolvedStaticMACs.map(\.vlan) == [200])

        let vm = try #require(config.portIndex(named: "vm1").map { config.ports[$0] })
        #expect(vm.vlanMode == .access(vlan: 100))
        #expect(vm.effectiveMaxMACs(config.l2) == 16)
        let security = try #require(vm.portSecurity)
        #expect(security.mac == EthernetAddress("52:54:00:12:34:56"))
        #expect(security.ipv4 == [IPv4Address("10.0.100.5")!] && security.ipv6 == [IPv6Address("fd00:100::5")!])
        #expect(vm.resolvedStaticMACs.map(\.mac) == [security.mac])
        #expect(vm.resolvedStaticMACs.map(\.vlan) == [100])

        let patched = config.ports.filter { ["tap0", "tap1"].contains($0.name) }
        #expect(patched.allSatisfy { $0.vlan == nil && $0.portSecurity == nil && $0.staticMACs.isEmpty })
    }

    @Test func referenceConfigMentionsEveryKey() throws {
        let text = try String(
            contentsOf: Self.configDirectory.appendingPathComponent("sluice.yaml"), encoding: .utf8)
        for key in Self.allKeys {
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
        for key in Self.allKeys {
            #expect(text.contains("`\(key)`"), "docs/configuration.md does not document \(key)")
        }
    }
}
