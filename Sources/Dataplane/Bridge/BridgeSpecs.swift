import Config
import Pipeline

extension BridgePortSpec {
    /// The bridge's view of a configured port.
    init(port: PortConfig, bridged: Bool) {
        self.init(bridged: bridged, mtu: port.mtu)
        switch port.vlanMode {
        case .access(let vlan): vlanMode = .access(vlan: vlan)
        case .trunk(let allowed, let native): vlanMode = .trunk(allowed: allowed.ids, native: native)
        }
        if let security = port.portSecurity {
            allowedMAC = security.mac
            if !security.ipv4.isEmpty || !security.ipv6.isEmpty {
                allowedIPv4 = security.ipv4
                allowedIPv6 = security.ipv6
            }
        }
    }
}
