import Control
import ControlProtocol
import Dataplane

/// The VXLAN tunnel endpoint's control methods.
struct VXLANControl {
    let dataplane: Dataplane

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(VXLANMethods.show) { dataplane.vxlanStatus() }
        methods.register(VXLANMethods.neighbours) { dataplane.vxlanNeighbours() }
    }
}
