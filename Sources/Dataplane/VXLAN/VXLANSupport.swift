import Config

extension Dataplane {
    /// Why this build cannot run `config`'s `vxlan` section, or nil when there is none.
    ///
    /// The section is decoded, validated, planned (update-vxlan) and persisted, but the decap and encap
    /// stages, remote-VTEP learning and the underlay neighbour table have not landed yet (docs/vxlan.md,
    /// "Status"). Rather than accept a tunnel and silently forward nothing through it, start-up,
    /// `--check-config` and `config.apply` refuse the section with this message.
    public static func unsupportedSettings(in config: SluiceConfig) -> String? {
        guard config.vxlan != nil else { return unsupportedDHCP(in: config) }  // DHCP/DHCPSupport.swift
        return
            "vxlan: this build validates the section but does not run a tunnel endpoint yet (see docs/vxlan.md, \"Status\"); remove the vxlan section"
    }
}
