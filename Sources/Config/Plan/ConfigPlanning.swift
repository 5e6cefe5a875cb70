/// How `ConfigPlan.between` decides what a difference needs.
///
/// The rules list what the dataplane can change while running; every other difference is treated as the
/// more disruptive kind (a restart, or reopening the port's device). A key added to the schema is thus
/// handled safely before anyone teaches the dataplane to change it in place.
extension ConfigPlan {
    /// Top-level sections applied at run time; all others (eal, mempool, control) need a restart, because
    /// EAL, the packet pool and the control socket are set up once at startup.
    static let runtimeSections: Set<String> = ["l2", "ports", "patches"]

    /// l2 keys changed at run time. mac-table-size is not one: the shared table is allocated at startup.
    static let runtimeL2Keys: Set<String> = ["mac-aging-seconds", "max-macs-per-port"]

    /// Port keys changed without touching the device (bridge tables and the port's enabled state). A change
    /// to any other key (devargs, queues, descriptors, mtu, pmd-rxq-affinity) reopens the device.
    static let inPlacePortKeys: Set<String> = ["admin", "vlan", "max-macs", "port-security", "static-macs"]

    /// How port mappings are compared (paths relative to the port).
    static let portRules = DocumentDifference.Rules(
        atomic: ["vlan"], unordered: ["static-macs", "port-security.ips"])

    public static func between(_ old: SluiceConfig, _ new: SluiceConfig) -> ConfigPlan {
        let oldDocument = old.document
        let newDocument = new.document
        var plan = ConfigPlan()

        // Restart-only sections, compared key by key in document order.
        for key in union(oldDocument.keys, newDocument.keys) where !runtimeSections.contains(key) {
            plan.needsRestart += DocumentDifference.between(oldDocument[key], newDocument[key], at: key).map(restartLine)
        }

        // l2: the table size needs a restart, the rest is applied in place.
        let l2Differences = DocumentDifference.between(oldDocument["l2"], newDocument["l2"])
        let (runtimeL2, restartL2) = partition(l2Differences) { runtimeL2Keys.contains($0.topLevelKey) }
        plan.needsRestart += restartL2.map { restartLine(DocumentDifference(path: "l2.\($0.path)", old: $0.old, new: $0.new)) }

        plan.changes = portChanges(old: old.ports, new: new.ports)
        if !runtimeL2.isEmpty {
            let parts = runtimeL2.map { "\($0.path) \(ConfigNotation.describe($0.old)) → \(ConfigNotation.describe($0.new))" }
            plan.changes.append(
                ConfigChange(
                    action: .updateL2, target: "l2", fields: runtimeL2.map(\.path),
                    summary: "l2: " + parts.joined(separator: "; ")))
        }
        if let patches = patchChange(old: old.patches, new: new.patches) {
            plan.changes.append(patches)
        }
        return plan
    }

    // MARK: Ports

    /// remove-port (old order), then replace-port, add-port and update-port (each in new order).
    private static func portChanges(old: [PortConfig], new: [PortConfig]) -> [ConfigChange] {
        // Names are unique in a valid configuration; should one repeat, the first port of that name counts,
        // as in SluiceConfig.portIndex(named:).
        let oldByName = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let newNames = Set(new.map(\.name))

        var removals: [ConfigChange] = []
        var replacements: [ConfigChange] = []
        var additions: [ConfigChange] = []
        var updates: [ConfigChange] = []
        var removedNames: Set<String> = []
        for port in old where !newNames.contains(port.name) && removedNames.insert(port.name).inserted {
            removals.append(
                ConfigChange(
                    action: .removePort, target: port.name,
                    summary: "remove port \(name(port)) (\(ConfigNotation.describe(.string(port.vhostUser.map { "vhost-user " + $0.path } ?? port.devargs))))"))
        }
        var seenNames: Set<String> = []
        for port in new where seenNames.insert(port.name).inserted {
            guard let before = oldByName[port.name] else {
                additions.append(
                    ConfigChange(
                        action: .addPort, target: port.name,
                        summary: "add port \(name(port)) (\(ConfigNotation.describe(.string(port.vhostUser.map { "vhost-user " + $0.path } ?? port.devargs))))"))
                continue
            }
            let differences = DocumentDifference.between(before.document, port.document, rules: portRules)
            guard !differences.isEmpty else { continue }
            let parts = differences.map {
                ConfigNotation.portDifference($0, unordered: portRules.unordered.contains($0.path))
            }.joined(separator: "; ")
            let forcing = differences.filter { !inPlacePortKeys.contains($0.topLevelKey) }
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
