import Control
import ControlProtocol
import Dataplane

/// The DHCP responder's control methods.
struct DHCPControl {
    let dataplane: Dataplane

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(DHCPMethods.show) { dataplane.dhcpStatus() }
    }
}
