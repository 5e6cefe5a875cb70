import Control
import ControlProtocol
import Dataplane

/// The metadata intercept's control methods: the identity map for metadata services and the NAT table.
struct MetadataControl {
    let dataplane: Dataplane

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(MetadataMethods.clients) { dataplane.metadataClients() }
        methods.register(MetadataMethods.nat) { dataplane.metadataNAT() }
    }
}
