import Testing

@testable import Config

/// `ChangeRules.table`: the one table of what a change needs, read by `ConfigPlan.between` and by
/// `SluiceConfig.withRuntimeState(from:)`.
@Suite struct ChangeRuleTests {
    static let table = ChangeRules.table

    /// For every value of the schema that differs between the two sides of a rich pair: the plan from the
    /// file to the state treats it as the table says, and a restart takes it from the state exactly when the
    /// plan would apply it at run time.
    @Test(arguments: RichConfigs.pairs.indices)
    func planAndRestartFollowTheTable(pair: Int) throws {
        let (file, state) = RichConfigs.pairs[pair]
        try file.validate()
        try state.validate()
        let plan = ConfigPlan.between(file, state)
        let merged = try file.withRuntimeState(from: state).document.leaves()
        let fileLeaves = file.document.leaves()
        let stateLeaves = state.document.leaves()
        let restartPaths = plan.needsRestart.map { String($0.prefix { $0 != ":" }) }
        let portNames = file.ports.map(\.name)
        #expect(portNames == state.ports.map(\.name), "the pair must keep its ports, so that the plan compares them")

        var checked = 0
        for path in Set(fileLeaves.keys).union(stateLeaves.keys).sorted()
        where fileLeaves[path] != stateLeaves[path] {
            checked += 1
            let kind = Self.table.kind(of: withoutIndices(path))
            let expected = kind == .restart ? fileLeaves[path] : stateLeaves[path]
            let side = kind == .restart ? "file" : "state"
            #expect(merged[path] == expected, "\(path) (\(kind)) is not taken from the \(side)")

            let needsRestart = restartPaths.contains { covers($0, path) }
            #expect(needsRestart == (kind == .restart), "\(path) (\(kind)): plan needsRestart is \(plan.needsRestart)")
            guard kind != .restart else { continue }
            if path.hasPrefix("ports[") {
                let index = Int(path.dropFirst("ports[".count).prefix { $0 != "]" })!
                let relative = String(path.drop { $0 != "]" }.dropFirst(2))
                let change = plan.changes.first { $0.target == portNames[index] }
                let replaced = change?.action == .replacePort && change!.fields.contains { covers($0, relative) }
                let updated = change.map { $0.action == .updatePort || $0.action == .replacePort } ?? false
                #expect(updated, "\(path): no change for port \(portNames[index]) in \(plan.changes)")
                #expect(replaced == (kind == .reopenDevice), "\(path) (\(kind)): \(String(describing: change))")
            } else if path.hasPrefix("patches") {
                #expect(plan.changes.contains { $0.action == .updatePatches }, "\(path): \(plan.changes)")
            } else {
                // A section is a mapping (`l2.mac-aging-seconds`) or a list (`security-groups[0].name`).
                let section = String(path.prefix { $0 != "." && $0 != "[" })
                let relative = String(path.dropFirst(section.count).drop { $0 == "." })
                let change = plan.changes.first { $0.target == section }
                #expect(change?.fields.contains { covers($0, relative) } == true, "\(path): \(plan.changes)")
            }
        }
        #expect(checked >= 10)
    }

    /// Together, the pairs differ in every key path the documents have (except the ports' names, which
    /// identify them): the test above has seen every key of the schema change.
    @Test func thePairsChangeEveryKey() {
        var everyPath: Set<String> = []
        var changed: Set<String> = []
        for (file, state) in RichConfigs.pairs {
            let fileLeaves = file.document.leaves()
            let stateLeaves = state.document.leaves()
            for path in Set(fileLeaves.keys).union(stateLeaves.keys) {
                everyPath.insert(withoutIndices(path))
                if fileLeaves[path] != stateLeaves[path] { changed.insert(withoutIndices(path)) }
            }
        }
        // An empty list or mapping is a leaf; it is covered when something inside it changes elsewhere.
        let unchanged = everyPath.filter { path in
            path != "ports[].name" && !changed.contains { $0 == path || ChangeRules.isBelow($0, path) }
        }
        #expect(unchanged.isEmpty, "never changed by RichConfigs.pairs: \(unchanged.sorted())")
    }

    /// What each kind of setting needs today (docs/configuration.md, "Changing the configuration").
    @Test(arguments: [
        ("eal", ChangeKind.restart), ("eal.pmd-cpu-mask", .restart), ("mempool.mbufs", .restart),
        ("control.socket", .restart), ("l2.mac-table-size", .restart), ("l2.mac-aging-seconds", .inPlace),
        ("l2.max-macs-per-port", .inPlace), ("ports", .inPlace), ("ports[].admin", .inPlace),
        ("ports[].vlan", .inPlace), ("ports[].vlan.mode", .inPlace), ("ports[].max-macs", .inPlace),
        ("ports[].port-security.mac", .inPlace), ("ports[].static-macs[].vlan", .inPlace),
        ("ports[].devargs", .reopenDevice), ("ports[].mtu", .reopenDevice), ("ports[].queues", .reopenDevice),
        ("ports[].type", .reopenDevice), ("patches", .inPlace),
        ("eal.rxq-rebalance-interval", .inPlace), ("eal.rxq-rebalance-improvement", .inPlace),
        // Keys without a row take the more disruptive kind.
        ("ports[].some-new-key", .reopenDevice), ("l2.some-new-key", .restart), ("some-new-section", .restart),
    ])
    func kinds(path: String, kind: ChangeKind) {
        #expect(Self.table.kind(of: path) == kind)
    }

    /// The whole table as it is today, row by row: the property tests above take their expectations from the
    /// table itself, so a wrong row would pass them; this pins every row (path, kind, comparison) against
    /// docs/configuration.md ("How it is applied"). A new feature adds its rows here too.
    @Test func everyRowIsPinned() {
        let expected = [
            "eal restart byKey", "eal.rxq-rebalance-interval inPlace byKey",
            "eal.rxq-rebalance-improvement inPlace byKey", "mempool restart byKey", "control restart byKey",
            "ports inPlace byKey", "ports[] reopenDevice byKey", "ports[].devargs reopenDevice byKey",
            "ports[].rx-queues reopenDevice byKey", "ports[].tx-queues reopenDevice byKey",
            "ports[].rx-descriptors reopenDevice byKey", "ports[].tx-descriptors reopenDevice byKey",
            "ports[].mtu reopenDevice byKey", "ports[].pmd-rxq-affinity reopenDevice byKey",
            "ports[].admin inPlace byKey",
            "ports[].type reopenDevice byKey", "ports[].path reopenDevice byKey", "ports[].mode reopenDevice byKey",
            "ports[].queues reopenDevice byKey",
            "l2.mac-aging-seconds inPlace byKey", "l2.max-macs-per-port inPlace byKey",
            "l2.mac-table-size restart byKey", "ports[].vlan inPlace asWhole", "ports[].max-macs inPlace byKey",
            "ports[].port-security inPlace byKey", "ports[].port-security.ips inPlace asSet",
            "ports[].static-macs inPlace asSet",
            "patches inPlace byKey",
            "security-groups inPlace byKey", "conntrack.max-connections restart byKey",
            "conntrack.max-connections-per-port inPlace byKey", "conntrack.timeouts inPlace byKey",
            "ports[].security-groups inPlace byKey", "ports[].qos inPlace byKey",
            "vxlan inPlace byKey", "vxlan.vnis inPlace asSet", "vxlan.remote-macs inPlace asSet",
            "dhcp inPlace byKey", "ports[].dhcp inPlace byKey",
            "metadata inPlace byKey", "ports[].metadata inPlace byKey",
        ]
        #expect(Self.table.rows.map { "\($0.path) \($0.kind) \($0.comparison)" } == expected)
    }

    /// A top-level section with settings that change at run time needs a planner that turns its differences
    /// into a change (ports and patches have their own; other sections an entry in `ConfigPlan.sectionUpdates`).
    /// Without one, a live change would be refused as restart-required while a restart took the value from the
    /// state file: the plan and the merge would disagree.
    @Test func everyRuntimeSectionHasAPlanner() {
        let runtimeSections = Set(
            Self.table.rows.filter { $0.kind != .restart }.map { String($0.path.prefix { $0 != "." && $0 != "[" }) })
        let planned = Set(ConfigPlan.sectionUpdates.keys).union(["ports", "patches"])
        #expect(runtimeSections.subtracting(planned).isEmpty, "no planner for \(runtimeSections.subtracting(planned))")
    }

    /// The port planner replaces or updates a port, and a restart takes the port list whole from the state:
    /// neither could honour a port key that needs a restart.
    @Test func noPortKeyNeedsARestart() {
        let restartRows = Self.table.rows.filter { $0.path.hasPrefix("ports") && $0.kind == .restart }
        #expect(restartRows.map(\.path) == [])
    }

    /// Two features cannot both claim a key.
    @Test func eachPathHasOneRow() {
        let paths = Self.table.rows.map(\.path)
        #expect(Set(paths).count == paths.count, "\(paths)")
    }

    @Test func comparisonRulesAreRelativeToWhereTheComparisonStarts() {
        let port = Self.table.comparisonRules(under: ChangeRules.portPrefix)
        #expect(port.atomic == ["vlan"])
        #expect(port.unordered == ["static-macs", "port-security.ips"])
        let whole = Self.table.comparisonRules(under: "")
        #expect(whole.atomic == ["ports[].vlan"])
    }

    /// A restart takes only what the table allows from the state, whatever else the state file says.
    @Test func restartSettingsOfTheStateAreIgnored() throws {
        var state = RichConfigs.dpdkFile
        state.eal.pmdCPUMask = 0x6
        state.l2.macTableSize = 1024
        state.control.socketGroup = nil
        let merged = try RichConfigs.dpdkFile.withRuntimeState(from: state)
        #expect(merged == RichConfigs.dpdkFile)
    }

    /// Whether the plan's `field` (a path) is `path` or above it.
    func covers(_ field: String, _ path: String) -> Bool {
        let (field, path) = (withoutIndices(field), withoutIndices(path))
        return field == path || ChangeRules.isBelow(path, field)
    }
}
