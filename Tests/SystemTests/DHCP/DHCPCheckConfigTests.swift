import Foundation
import Testing

extension SystemTests {
    /// `--check-config` accepts valid DHCP settings and refuses invalid ones naming the key (docs/dhcp.md).
    @Suite("dhcp section")
    struct DHCPSection {
        static let section = """
            dhcp:
              - {vlan: 1, subnet: 10.0.1.0/24, server: 10.0.1.2, server-mac: "02:00:00:00:01:00"}
            """

        /// Port a with a DHCP address (both ports are on the default access VLAN 1).
        static let portWithAddress = CheckConfig.nullPorts.replacingOccurrences(
            of: "devargs: \"net_null_cka,no-rx=1\"",
            with: "devargs: \"net_null_cka,no-rx=1\"\n    dhcp: {address: 10.0.1.5}")

        @Test func validSettingsAreAccepted() throws {
            let directory = try System.scratchDirectory("check-dhcp")
            defer { try? FileManager.default.removeItem(at: directory) }
            let both = try CheckConfig.check("\(testEAL())\n\(Self.portWithAddress)\n\(Self.section)", in: directory)
            #expect(both.status == 0, "\(both.output)")
            let sectionOnly = try CheckConfig.check(
                "\(testEAL())\n\(CheckConfig.nullPorts)\n\(Self.section)", in: directory)
            #expect(sectionOnly.status == 0, "\(sectionOnly.output)")
        }

        @Test func invalidSettingsNameTheKey() throws {
            let directory = try System.scratchDirectory("check-dhcp-bad")
            defer { try? FileManager.default.removeItem(at: directory) }
            let outside = Self.portWithAddress.replacingOccurrences(of: "10.0.1.5", with: "10.0.2.5")
            let refused = try CheckConfig.check("\(testEAL())\n\(outside)\n\(Self.section)", in: directory)
            #expect(refused.status == 2, "\(refused.output)")
            #expect(
                refused.output.contains("ports[0].dhcp.address: 10.0.2.5 is outside the subnet 10.0.1.0/24"),
                "\(refused.output)")
        }
    }
}
