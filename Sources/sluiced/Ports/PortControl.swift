import Config
import Control
import ControlProtocol
import Dataplane
import Foundation

/// The control methods on ports: their status, adding, removing and changing one, and retrying a failed one.
/// Each change edits the running configuration (only the port given is decoded, `SluiceConfig.addingPort`
/// and its siblings) and goes through `DesiredState` like a whole new document would; a retry changes no
/// document (`Dataplane.retry(port:)`).
struct PortControl {
    let desiredState: DesiredState

    func register(into methods: inout ControlMethodRegistry) {
        methods.register(PortMethods.list) { desiredState.dataplane.portStatuses() }
        methods.register(PortMethods.add, addPort)
        methods.register(PortMethods.delete, deletePort)
        methods.register(PortMethods.set, setPort)
        methods.register(PortMethods.retry, retryPort)
    }

    func addPort(_ params: PortAddParams) throws(RPCErrorObject) -> ConfigApplyResult {
        guard case .object(let entry) = params.port else {
            throw invalidParams("params.port must be an object: one entry of the config file's ports list")
        }
        guard case .string(let name)? = entry["name"] else {
            throw invalidParams("params.port.name is required (a string)")
        }
        let running = desiredState.dataplane.config
        if running.portIndex(named: name) != nil {
            throw invalidParams("a port named '\(name)' exists; use port.set to change it")
        }
        let text = try json(params.port)
        let new = try desiredState.validate(what: "the configuration with port '\(name)' added") {
            () throws(ConfigError) in try running.addingPort(text)
        }
        return try desiredState.change(to: new, dryRun: params.dryRun ?? false)
    }

    func deletePort(_ params: PortDeleteParams) throws(RPCErrorObject) -> ConfigApplyResult {
        let running = desiredState.dataplane.config
        guard running.portIndex(named: params.name) != nil else { throw unknownPort(params.name) }
        let new = try desiredState.validate(what: "the configuration without port '\(params.name)'") {
            () throws(ConfigError) in try running.removingPort(named: params.name)
        }
        return try desiredState.change(to: new, dryRun: params.dryRun ?? false)
    }

    func setPort(_ params: PortSetParams) throws(RPCErrorObject) -> ConfigApplyResult {
        guard case .object(let settings) = params.settings, !settings.isEmpty else {
            throw invalidParams(
                "params.settings must be a non-empty object of port keys, e.g. {\"admin\": \"down\"}")
        }
        if settings["name"] != nil {
            throw invalidParams("params.settings.name: a port cannot be renamed; delete it and add it again")
        }
        let running = desiredState.dataplane.config
        guard let index = running.portIndex(named: params.name),
            case .object(var entry)? = try? JSONDecoder().decode(
                JSONValue.self, from: Data(running.ports[index].renderJSON().utf8))
        else { throw unknownPort(params.name) }
        for (key, value) in settings {
            if value == .null { entry[key] = nil } else { entry[key] = value }
        }
        let text = try json(.object(entry))
        let new = try desiredState.validate(what: "the configuration with port '\(params.name)' changed") {
            () throws(ConfigError) in try running.replacingPort(at: index, with: text)
        }
        return try desiredState.change(to: new, dryRun: params.dryRun ?? false)
    }

    /// Brings up a failed port again (see `FailedPort`); its status, or -32012 with the error it failed with.
    func retryPort(_ params: PortRetryParams) throws(RPCErrorObject) -> PortStatus {
        let dataplane = desiredState.dataplane
        let wasFailed = dataplane.failedPorts[params.name] != nil
        do {
            try dataplane.retry(port: params.name)
        } catch .unknownPort {
            throw unknownPort(params.name)
        } catch {
            desiredState.logger.error("retry of port \(params.name) failed: \(error)")
            throw RPCErrorObject(
                code: RPCErrorObject.applyFailed, message: "\(error); port '\(params.name)' is still not running")
        }
        if wasFailed { desiredState.logger.notice("port \(params.name) is running after a retry") }
        guard let status = dataplane.portStatuses().first(where: { $0.name == params.name }) else {
            throw RPCErrorObject(code: RPCErrorObject.internalError, message: "port '\(params.name)' has no status")
        }
        return status
    }

    /// A port entry as JSON text, which the config's YAML decoder reads (JSON is YAML's flow notation).
    private func json(_ value: JSONValue) throws(RPCErrorObject) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.internalError, message: "cannot encode the port: \(error)")
        }
    }

    private func invalidParams(_ message: String) -> RPCErrorObject {
        RPCErrorObject(code: RPCErrorObject.invalidParams, message: message)
    }

    private func unknownPort(_ name: String) -> RPCErrorObject {
        let known = desiredState.dataplane.config.ports.map(\.name).joined(separator: ", ")
        return invalidParams("no port named '\(name)' (ports: \(known.isEmpty ? "none" : known))")
    }
}
