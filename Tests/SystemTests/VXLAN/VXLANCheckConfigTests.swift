import Foundation
import Testing

extension SystemTests {
    /// Until the tunnel's stages land, sluiced refuses a `vxlan` section it would otherwise ignore: the
    /// section is validated with its key paths first, then refused as a whole (docs/vxlan.md, "Status").
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

        @Test func aValidSectionIsRefusedAsNotYetRun() throws {
            let directory = try System.scratchDirectory("check-vxlan")
            defer { try? FileManager.default.removeItem(at: directory) }
            let refused = try CheckConfig.check(Self.config, in: directory)
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.output.contains("vxlan: this build validates the section but does not run a tunnel"))
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
