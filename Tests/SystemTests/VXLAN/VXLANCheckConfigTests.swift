import Foundation
import Testing

extension SystemTests {
    /// `--check-config` validates the `vxlan` section with its key paths and accepts a valid one.
    @Suite("vxlan section")
    struct VXLANSection {
        static let config = """
            \(testEAL())
            \(CheckConfig.nullPorts)
            vxlan:
              uplink: b
              address: 192.0.2.1/24
              vnis:
                - {vni: 1000, vlan: 100, flood: [192.0.2.2]}
            """

        @Test func aValidSectionIsAccepted() throws {
            let directory = try System.scratchDirectory("check-vxlan")
            defer { try? FileManager.default.removeItem(at: directory) }
            let accepted = try CheckConfig.check(Self.config, in: directory)
            #expect(accepted.status == 0, "\(accepted.output)")
            #expect(accepted.output.contains("OK (2 ports"), "\(accepted.output)")
            let withoutSection = try CheckConfig.check(
                "\(testEAL())\n\(CheckConfig.nullPorts)", in: directory)
            #expect(withoutSection.status == 0, "\(withoutSection.output)")
        }

        @Test func anInvalidSectionNamesTheKey() throws {
            let directory = try System.scratchDirectory("check-vxlan-bad")
            defer { try? FileManager.default.removeItem(at: directory) }
            let bad = Self.config.replacingOccurrences(of: "flood: [192.0.2.2]", with: "flood: [192.0.2.1]")
            let refused = try CheckConfig.check(bad, in: directory)
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.output.contains("vxlan.vnis[0].flood[0]: 192.0.2.1 is the local VTEP's own address"))
        }
    }
}
