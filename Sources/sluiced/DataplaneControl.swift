import Config
import Control
import ControlProtocol
import Dataplane
import Foundation
import Logging

/// The control API over the running dataplane. Runs on the control thread only.
///
/// Every method that changes the desired state works on the whole document: it takes the running
/// configuration as a document, changes it as asked, validates the result completely with the same code that
/// reads the config file, plans it against what runs, and then either returns the plan (dry run) or applies
/// it and persists the new document. So a port added through `port.add` and one written in the config file
/// are checked by the same rules, and no change is ever half-validated.
final class DataplaneControl: ControlHandler {
    let dataplane: Dataplane
    /// Where applied states are persisted; nil: not persisted.
    let stateFile: String?
    let logger: Logger

    init(dataplane: Dataplane, stateFile: String?, logger: Logger) {
        self.dataplane = dataplane
        self.stateFile = stateFile
        self.logger = logger
    }

    func version() -> VersionInfo {
        let elapsed = ContinuousClock.now - dataplane.startedAt
        return VersionInfo(
            sluice: SluiceVersion.current, dpdk: Dataplane.dpdkVersion, pid: getpid(),
            uptimeSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    func ports() -> [PortStatus] { dataplane.portStatuses() }
    func pmds() -> [PMDStatus] { dataplane.pmdStatuses() }
    func stages() -> [StageStatus] { dataplane.stageStatuses() }
    func macs() -> [MACEntry] { dataplane.macEntries() }
    func health() -> HealthStatus { dataplane.health() }
    func vlans() -> [VLANStatus] { dataplane.vlanStatuses() }

    func flushMACs(_ params: MACFlushParams) throws(RPCErrorObject) -> MACFlushResult {
        do {
            return MACFlushResult(flushed: try dataplane.flushMACs(port: params.port, vlan: params.vlan))
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.invalidParams, message: error.description)
        }
    }

    func configDocument() -> ConfigDocumentResult {
        ConfigDocumentResult(
            revision: dataplane.revision, yaml: dataplane.config.renderYAML(), config: runningDocument(),
            stateFile: stateFile)
    }

    func applyConfig(_ params: ConfigApplyParams) throws(RPCErrorObject) -> ConfigApplyResult {
        try change(to: try validate(params.document, what: "the document"), dryRun: params.dryRun ?? false)
    }

    func addPort(_ params: PortAddParams) throws(RPCErrorObject) -> ConfigApplyResult {
        guard case .object(let entry) = params.port else {
            throw invalidParams("params.port must be an object: one entry of the config file's ports list")
        }
        guard case .string(let name)? = entry["name"] else { throw invalidParams("params.port.name is required (a string)") }
        var document = runningDocument().objectValue ?? [:]
        var ports = document["ports"].flatMap(arrayValue) ?? []
        if ports.contains(where: { $0["name"] == .string(name) }) {
            throw invalidParams("a port named '\(name)' exists; use port.set to change it")
        }
        ports.append(params.port)
        document["ports"] = .array(ports)
        return try change(to: try validate(document, what: "the configuration with port '\(name)' added"), dryRun: params.dryRun ?? false)
    }

    func deletePort(_ params: PortDeleteParams) throws(RPCErrorObject) -> ConfigApplyResult {
        var document = runningDocument().objectValue ?? [:]
        var ports = document["ports"].flatMap(arrayValue) ?? []
        guard ports.contains(where: { $0["name"] == .string(params.name) }) else { throw unknownPort(params.name) }
        ports.removeAll { $0["name"] == .string(params.name) }
        document["ports"] = .array(ports)
        // A patch cannot outlive one of its ports.
        let patches = (document["patches"].flatMap(arrayValue) ?? []).filter { pair in
            !(arrayValue(pair) ?? []).contains(.string(params.name))
        }
        document["patches"] = .array(patches)
        return try change(to: try validate(document, what: "the configuration without port '\(params.name)'"), dryRun: params.dryRun ?? false)
    }

    func setPort(_ params: PortSetParams) throws(RPCErrorObject) -> ConfigApplyResult {
        guard case .object(let settings) = params.settings, !settings.isEmpty else {
            throw invalidParams("params.settings must be a non-empty object of port keys, e.g. {\"admin\": \"down\"}")
        }
        if settings["name"] != nil { throw invalidParams("params.settings.name: a port cannot be renamed; delete it and add it again") }
        var document = runningDocument().objectValue ?? [:]
        var ports = document["ports"].flatMap(arrayValue) ?? []
        guard let index = ports.firstIndex(where: { $0["name"] == .string(params.name) }),
            case .object(var entry) = ports[index]
        else { throw unknownPort(params.name) }
        for (key, value) in settings {
            if value == .null { entry[key] = nil } else { entry[key] = value }
        }
        ports[index] = .object(entry)
        document["ports"] = .array(ports)
        return try change(to: try validate(document, what: "the configuration with port '\(params.name)' changed"), dryRun: params.dryRun ?? false)
    }

    // MARK: Planning and applying

    private func change(to new: SluiceConfig, dryRun: Bool) throws(RPCErrorObject) -> ConfigApplyResult {
        let plan = dataplane.plan(new)
        guard plan.needsRestart.isEmpty else {
            throw RPCErrorObject(
                code: RPCErrorObject.restartRequired,
                message: "these settings only change when sluiced restarts (edit the config file, then restart): "
                    + plan.needsRestart.joined(separator: "; "),
                data: RPCErrorData(needsRestart: plan.needsRestart))
        }
        let changes = plan.changes.map(Self.info)
        if dryRun {
            return ConfigApplyResult(applied: false, dryRun: true, revision: dataplane.revision, changes: changes, persisted: false)
        }
        let revisionBefore = dataplane.revision
        do {
            try dataplane.apply(new)
        } catch {
            logger.error("apply failed: \(error)")
            var message = error.description
            if dataplane.revision != revisionBefore {
                // A partial restore changed what runs (a port could not be reopened): disk must say so too,
                // or a restart would bring back a state that no longer ran.
                message += "; now running revision \(dataplane.revision)" + (persist() ? ", persisted" : ", NOT persisted")
            }
            throw RPCErrorObject(code: RPCErrorObject.applyFailed, message: message)
        }
        for change in plan.changes { logger.notice("applied \(change.action.rawValue) \(change.target): \(change.summary)") }
        return ConfigApplyResult(applied: true, dryRun: false, revision: dataplane.revision, changes: changes, persisted: persist())
    }

    /// Writes the running state to the state file; false when persistence is off or the write failed.
    private func persist() -> Bool {
        guard let stateFile else { return false }
        do {
            try StateFile.write(dataplane.config, to: stateFile)
            return true
        } catch {
            logger.error("running revision \(dataplane.revision) could not be persisted: \(error)")
            return false
        }
    }

    private static func info(_ change: ConfigChange) -> ConfigChangeInfo {
        ConfigChangeInfo(
            action: change.action.rawValue, target: change.target, fields: change.fields, summary: change.summary,
            hitless: change.action != .removePort && change.action != .replacePort)
    }

    // MARK: Documents

    /// The running configuration as a JSON object in the config file's structure.
    private func runningDocument() -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(dataplane.config.renderJSON().utf8))) ?? .object([:])
    }

    private func validate(_ document: [String: JSONValue], what: String) throws(RPCErrorObject) -> SluiceConfig {
        let text: String
        do {
            text = String(decoding: try JSONEncoder().encode(JSONValue.object(document)), as: UTF8.self)
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.internalError, message: "cannot encode the document: \(error)")
        }
        return try validate(text, what: what)
    }

    private func validate(_ text: String, what: String) throws(RPCErrorObject) -> SluiceConfig {
        do {
            return try SluiceConfig.parse(yaml: text)
        } catch {
            let problems = error.problems.map(\.description)
            throw RPCErrorObject(
                code: RPCErrorObject.invalidConfig,
                message: "\(what) is invalid (\(problems.count) problem\(problems.count == 1 ? "" : "s")): " + problems.joined(separator: "; "),
                data: RPCErrorData(problems: problems))
        }
    }

    private func arrayValue(_ value: JSONValue) -> [JSONValue]? {
        if case .array(let values) = value { values } else { nil }
    }

    private func invalidParams(_ message: String) -> RPCErrorObject {
        RPCErrorObject(code: RPCErrorObject.invalidParams, message: message)
    }

    private func unknownPort(_ name: String) -> RPCErrorObject {
        let known = dataplane.config.ports.map(\.name).joined(separator: ", ")
        return invalidParams("no port named '\(name)' (ports: \(known.isEmpty ? "none" : known))")
    }
}
