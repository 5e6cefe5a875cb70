import Config

extension Dataplane {
    /// Why this build cannot run `config`'s DHCP settings, or nil when it has none.
    ///
    /// The `dhcp` list and the ports' `dhcp:` are decoded, validated, planned (update-dhcp, update-port) and
    /// persisted, and the wire format and the responder's decisions are tested, but the stage and the punt
    /// handler have not landed yet (docs/dhcp.md, "Status"). Rather than accept addresses and answer no
    /// request, start-up, `--check-config` and `config.apply` refuse them with this message.
    public static func unsupportedDHCP(in config: SluiceConfig) -> String? {
        if !config.dhcp.isEmpty {
            return
                "dhcp: this build validates the section but does not answer DHCP yet (see docs/dhcp.md, \"Status\"); remove the dhcp section"
        }
        if let port = config.ports.first(where: { $0.dhcp != nil }) {
            return
                "ports: \(port.name) has a dhcp address, but this build does not answer DHCP yet (see docs/dhcp.md, \"Status\"); remove the port's dhcp"
        }
        return nil
    }
}
