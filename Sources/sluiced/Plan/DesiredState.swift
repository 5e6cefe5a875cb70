import Config
import ControlProtocol
import Dataplane
import Foundation
import Logging

/// Changes of the desired state, whichever control method asks for them (`config.apply`, `port.add`, ...).
/// Runs on the control thread only.
///
/// Every change yields a whole new desired state: `config.apply` parses its document, the port methods edit
/// the running (typed, validated) configuration, decoding only the port they are given
/// (Config/Ports/PortEditing.swift). Either result is validated completely by the same code that checks the
/// config file, planned against what runs, and then the plan is returned (dry run) or applied and the new
/// state persisted. So a port added through `port.add` and one written in the config file are checked by the
/// same rules, and no change is ever half-validated; but a port change does not re-read the other ports.
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

    /// `config.apply`'s document: parsed (once) and validated as the config file is.
    func validate(_ text: String, what: String) throws(RPCErrorObject) -> SluiceConfig {
        try validate(what: what) { () throws(ConfigError) in try SluiceConfig.parse(yaml: text) }
    }

    /// The configuration `make` builds (from the running one, say: `SluiceConfig.addingPort`), or
    /// invalidConfig listing every problem with its key path.
    func validate(
        what: String, _ make: () throws(ConfigError) -> SluiceConfig
    ) throws(RPCErrorObject) -> SluiceConfig {
        do {
            return try make()
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
