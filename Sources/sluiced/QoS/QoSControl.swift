import Control
import ControlProtocol
import Dataplane

/// QoS's control methods.
struct QoSControl {
    let dataplane: Dataplane

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(QoSMethods.show) { dataplane.qosStatus() }
    }
}
