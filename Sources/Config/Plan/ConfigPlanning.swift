/// How `ConfigPlan.between` decides what a difference needs: from `ChangeRules.table`, which says for every
/// key path whether it changes in place, reopens the port's device or needs a restart (and is also what a
/// restart takes from the state file, see `withRuntimeState`).
extension ConfigPlan {
    /// The change that applies a section's runtime settings. A section without one can only change by a
    /// restart, whatever its rows say: the dataplane has no way to apply it. The port list and the patches
    /// have planners of their own (`portChanges`, `patchChange`).
    static let sectionUpdates: [String: ConfigChange.Action] = [
        "eal": .updateEAL,  // only the keys EAL/EALChangeRules.swift makes in place (periodic rebalancing)
        "l2": .updateL2,
        "security-groups": .updateSecurityGroups,
        "conntrack": .updateConntrack,
        "vxlan": .updateVXLAN,
        "dhcp": .updateDHCP,
        "metadata": .updateMetadata,
    ]

    public static func between(_ old: SluiceConfig, _ new: SluiceConfig) -> ConfigPlan {
        let rules = ChangeRules.table
        // The sections' documents without the ports, which are compared port by port below (rendering a
        // thousand ports twice only to skip them would be most of the plan's time).
        let oldDocument = old.withoutPorts.document
        let newDocument = new.withoutPorts.document
        var plan = ConfigPlan()

        // Every other section, compared key by key in document order.
        var updates: [ConfigChange] = []
        let comparison = rules.comparisonRules(under: "")
        for key in union(oldDocument.keys, newDocument.keys) where key != "ports" && key != "patches" {
            let differences = DocumentDifference.between(oldDocument[key], newDocument[key], at: key, rules: comparison)
            let action = sectionUpdates[key]
            let (runtime, restart) = partition(differences) { action != nil && rules.kind(of: $0.path) != .restart }
            plan.needsRestart += restart.map(restartLine)
            if let action, !runtime.isEmpty {
                // Relative to the section: `mac-aging-seconds` in a mapping, `[0].name` in a list. A section
                // added or removed as a whole differs at its own path: no field inside it.
                let fields = runtime.map { String($0.path.dropFirst(key.count).drop { $0 == "." }) }
                let parts = zip(fields, runtime).map {
                    ($0.isEmpty ? "" : "\($0) ")
                        + "\(ConfigNotation.describe($1.old)) → \(ConfigNotation.describe($1.new))"
                }
                let summary = "\(key): " + parts.joined(separator: "; ")
                updates.append(ConfigChange(action: action, target: key, fields: fields, summary: summary))
            }
        }

        plan.changes = portChanges(old: old.ports, new: new.ports, rules: rules) + updates
        if let patches = patchChange(old: old.patches, new: new.patches) {
            plan.changes.append(patches)
        }
        return plan
    }

    // MARK: Ports

    /// remove-port (old order), then replace-port, add-port and update-port (each in new order).
    private static func portChanges(old: [PortConfig], new: [PortConfig], rules: ChangeRules) -> [ConfigChange] {
        // Names are unique in a valid configuration; should one repeat, the first port of that name counts,
        // as in SluiceConfig.portIndex(named:).
        let oldByName = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let newNames = Set(new.map(\.name))

        var removals: [ConfigChange] = []
        var replacements: [ConfigChange] = []
        var additions: [ConfigChange] = []
        var updates: [ConfigChange] = []
        var removedNames: Set<String> = []
        let portComparison = rules.comparisonRules(under: ChangeRules.portPrefix)
        for port in old where !newNames.contains(port.name) && removedNames.insert(port.name).inserted {
            removals.append(
                ConfigChange(
                    action: .removePort, target: port.name,
                    summary:
                        "remove port \(name(port)) (\(ConfigNotation.describe(.string(port.vhostUser.map { "vhost-user " + $0.path } ?? port.devargs))))"
                ))
        }
        var seenNames: Set<String> = []
        for port in new where seenNames.insert(port.name).inserted {
            guard let before = oldByName[port.name] else {
                additions.append(
                    ConfigChange(
                        action: .addPort, target: port.name,
                        summary:
                            "add port \(name(port)) (\(ConfigNotation.describe(.string(port.vhostUser.map { "vhost-user " + $0.path } ?? port.devargs))))"
                    ))
                continue
            }
            // An equal port renders to an equal document: only changed ports are rendered and compared.
            guard before != port else { continue }
            let differences = DocumentDifference.between(before.document, port.document, rules: portComparison)
            guard !differences.isEmpty else { continue }
            let parts = differences.map {
                ConfigNotation.portDifference($0, unordered: portComparison.unordered.contains($0.path))
            }.joined(separator: "; ")
            // Whatever does not change in place needs the device reopened (no port key needs a restart).
            let forcing = differences.filter { rules.kind(ofPortKey: $0.path) != .inPlace }
            if forcing.isEmpty {
                updates.append(
                    ConfigChange(
                        action: .updatePort, target: port.name, fields: differences.map(\.path),
                        summary: "port \(name(port)): \(parts)"))
            } else {
                replacements.append(
                    ConfigChange(
                        action: .replacePort, target: port.name, fields: forcing.map(\.path),
                        summary: "replace port \(name(port)) (reopens the device): \(parts)"))
            }
        }
        return removals + replacements + additions + updates
    }

    private static func name(_ port: PortConfig) -> String {
        ConfigNotation.describe(.string(port.name))
    }

    // MARK: Patches

    /// A patch is an unordered pair and the patch list a set, so only pairs added or removed count.
    private static func patchChange(old: [PatchPair], new: [PatchPair]) -> ConfigChange? {
        func key(_ pair: PatchPair) -> [String] { [pair.a, pair.b].sorted() }
        let oldKeys = Set(old.map(key))
        let newKeys = Set(new.map(key))
        guard oldKeys != newKeys else { return nil }
        var listed: Set<[String]> = []
        let added = new.filter { !oldKeys.contains(key($0)) && listed.insert(key($0)).inserted }
        let removed = old.filter { !newKeys.contains(key($0)) && listed.insert(key($0)).inserted }
        let text = ConfigNotation.addedAndRemoved(added: added.map(\.document), removed: removed.map(\.document))
        return ConfigChange(action: .updatePatches, target: "patches", summary: "patches: \(text)")
    }

    // MARK: Helpers

    private static func restartLine(_ difference: DocumentDifference) -> String {
        "\(difference.path): \(ConfigNotation.describe(difference.old)) → \(ConfigNotation.describe(difference.new))"
    }

    private static func union(_ first: [String], _ second: [String]) -> [String] {
        first + second.filter { !first.contains($0) }
    }

    private static func partition<T>(_ items: [T], by isFirst: (T) -> Bool) -> ([T], [T]) {
        (items.filter(isFirst), items.filter { !isFirst($0) })
    }
}

extension SluiceConfig {
    /// The configuration with an empty port list, for comparing the other sections.
    fileprivate var withoutPorts: SluiceConfig {
        var config = self
        config.ports = []
        return config
    }
}
