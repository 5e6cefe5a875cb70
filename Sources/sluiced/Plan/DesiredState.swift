import Config
import ControlProtocol
import Dataplane
import Foundation
import Logging

/// Changes of the desired state, whichever control method asks for them (`config.apply`, `port.add`, ...).
/// Runs on the control thread only.
///
/// Every change works on the whole document: the method takes the running configuration as a document,
/// changes it as asked, validates the result completely with the same code that reads the config file,
/// plans it against what runs, and then either returns the plan (dry run) or applies it and persists the new
/// document. So a port added through `port.add` and one written in the config file are checked by the same
/// rules, and no change is ever half-validated.
struct DesiredState {
    let dataplane: Dataplane
    /// Where applied states are persisted; nil: not persisted.
    let stateFile: String?
    let logger: Logger

    /// `config.get`: the running desired state.
    func document() -> ConfigDocumentResult {
        ConfigDocumentResult(
            revision: dataplane.revision, yaml: dataplane.config.renderYAML(), config: runningDocument(),
            stateFile: stateFile)
    }

    // MARK: Planning and applying

    func change(to requested: SluiceConfig, dryRun: Bool) throws(RPCErrorObject) -> ConfigApplyResult {
        // Served ports keep their metadata pool addresses; new ones get theirs written into the state.
        let new = requested.withMetadataAddresses(previous: dataplane.config)
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
            return ConfigApplyResult(
                applied: false, dryRun: true, revision: dataplane.revision, changes: changes, persisted: false)
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
                message +=
                    "; now running revision \(dataplane.revision)" + (persist() ? ", persisted" : ", NOT persisted")
            }
            throw RPCErrorObject(code: RPCErrorObject.applyFailed, message: message)
        }
        for change in plan.changes {
            logger.notice("applied \(change.action.rawValue) \(change.target): \(change.summary)")
        }
        return ConfigApplyResult(
            applied: true, dryRun: false, revision: dataplane.revision, changes: changes, persisted: persist())
    }

    /// Writes the running state to the state file; false when persistence is off or the write failed.
    private func persist() -> Bool {
        guard let stateFile else { return false }
        do {
            try StateFile.write(dataplane.config, to: stateFile)
            persistDHCPAllocations()
            return true
        } catch {
            logger.error("running revision \(dataplane.revision) could not be persisted: \(error)")
            return false
        }
    }

    /// Writes the `auto` DHCP addresses beside the state file (DHCPAllocationFile); a failure is logged.
    func persistDHCPAllocations() {
        guard let stateFile else { return }
        do {
            try DHCPAllocationFile.write(
                dataplane.dhcpAllocations, to: DHCPAllocationFile.path(forStateFile: stateFile))
        } catch {
            logger.error("the DHCP allocations could not be persisted: \(error)")
        }
    }

    private static func info(_ change: ConfigChange) -> ConfigChangeInfo {
        ConfigChangeInfo(
            action: change.action.rawValue, target: change.target, fields: change.fields, summary: change.summary,
            hitless: change.action != .removePort && change.action != .replacePort)
    }

    // MARK: Documents

    /// The running configuration as a JSON object in the config file's structure.
    func runningDocument() -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(dataplane.config.renderJSON().utf8))) ?? .object([:])
    }

    func validate(_ document: [String: JSONValue], what: String) throws(RPCErrorObject) -> SluiceConfig {
        let text: String
        do {
            text = String(decoding: try JSONEncoder().encode(JSONValue.object(document)), as: UTF8.self)
        } catch {
            throw RPCErrorObject(code: RPCErrorObject.internalError, message: "cannot encode the document: \(error)")
        }
        return try validate(text, what: what)
    }

    func validate(_ text: String, what: String) throws(RPCErrorObject) -> SluiceConfig {
        do {
            return try SluiceConfig.parse(yaml: text)
        } catch {
            let problems = error.problems.map(\.description)
            throw RPCErrorObject(
                code: RPCErrorObject.invalidConfig,
                message: "\(what) is invalid (\(problems.count) problem\(problems.count == 1 ? "" : "s")): "
                    + problems.joined(separator: "; "),
                data: RPCErrorData(problems: problems))
        }
    }
}
