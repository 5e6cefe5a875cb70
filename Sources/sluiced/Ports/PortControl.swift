import Control
import ControlProtocol
import Dataplane
import Foundation

/// The control methods on ports: their status, adding, removing and changing one, and retrying a failed one.
/// Each change edits the running document's `ports` list and goes through `DesiredState` like a whole new
/// document would; a retry changes no document (`Dataplane.retry(port:)`).
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
        var document = desiredState.runningDocument().objectValue ?? [:]
        var ports = document["ports"].flatMap(arrayValue) ?? []
        if ports.contains(where: { $0["name"] == .string(name) }) {
            throw invalidParams("a port named '\(name)' exists; use port.set to change it")
        }
        ports.append(params.port)
        document["ports"] = .array(ports)
        let new = try desiredState.validate(document, what: "the configuration with port '\(name)' added")
        return try desiredState.change(to: new, dryRun: params.dryRun ?? false)
    }

    func deletePort(_ params: PortDeleteParams) throws(RPCErrorObject) -> ConfigApplyResult {
        var document = desiredState.runningDocument().objectValue ?? [:]
        var ports = document["ports"].flatMap(arrayValue) ?? []
        guard ports.contains(where: { $0["name"] == .string(params.name) }) else {
            throw unknownPort(params.name)
        }
        ports.removeAll { $0["name"] == .string(params.name) }
        document["ports"] = .array(ports)
        // A patch cannot outlive one of its ports.
        let patches = (document["patches"].flatMap(arrayValue) ?? []).filter { pair in
            !(arrayValue(pair) ?? []).contains(.string(params.name))
        }
        document["patches"] = .array(patches)
        let new = try desiredState.validate(document, what: "the configuration without port '\(params.name)'")
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
        var document = desiredState.runningDocument().objectValue ?? [:]
        var ports = document["ports"].flatMap(arrayValue) ?? []
        guard let index = ports.firstIndex(where: { $0["name"] == .string(params.name) }),
            case .object(var entry) = ports[index]
        else { throw unknownPort(params.name) }
        for (key, value) in settings {
            if value == .null { entry[key] = nil } else { entry[key] = value }
        }
        ports[index] = .object(entry)
        document["ports"] = .array(ports)
        let new = try desiredState.validate(document, what: "the configuration with port '\(params.name)' changed")
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

    private func arrayValue(_ value: JSONValue) -> [JSONValue]? {
        if case .array(let values) = value { values } else { nil }
    }

    private func invalidParams(_ message: String) -> RPCErrorObject {
        RPCErrorObject(code: RPCErrorObject.invalidParams, message: message)
    }

    private func unknownPort(_ name: String) -> RPCErrorObject {
        let known = desiredState.dataplane.config.ports.map(\.name).joined(separator: ", ")
        return invalidParams("no port named '\(name)' (ports: \(known.isEmpty ? "none" : known))")
    }
}
