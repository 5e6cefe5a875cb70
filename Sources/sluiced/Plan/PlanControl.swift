import Control
import ControlProtocol

/// The control methods on the whole desired state: `config.get` and `config.apply`.
struct PlanControl {
    let desiredState: DesiredState

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(ConfigMethods.get) { desiredState.document() }
        methods.register(ConfigMethods.apply) { (params: ConfigApplyParams) throws(RPCErrorObject) in
            try desiredState.change(
                to: try desiredState.validate(params.document, what: "the document"), dryRun: params.dryRun ?? false)
        }
    }
}
