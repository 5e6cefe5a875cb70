/// A value that differs between two configuration documents, at a key path.
///
/// The plan compares documents rather than model values so that every key the renderer writes is compared
/// too: a key added to the schema (and to `ConfigRendering.swift`) shows up in plans without further work.
struct DocumentDifference: Equatable {
    /// The key path relative to where the comparison started, e.g. "mtu" or "port-security.ips".
    var path: String
    /// Nil where the key is absent (an unset optional setting).
    var old: ConfigDocument?
    var new: ConfigDocument?

    /// How the comparison treats particular key paths (relative to where it starts).
    struct Rules {
        /// Mappings compared as a whole instead of key by key: those whose keys only make sense together
        /// (a VLAN's `mode` decides which of `id`, `allowed` and `native` exist).
        var atomic: Set<String> = []
        /// Lists whose order carries no meaning (sets of addresses or entries): equal when they hold the same
        /// elements, and described by what was added and removed.
        var unordered: Set<String> = []
    }

    /// The differences between `old` and `new`. Mappings present on both sides are compared key by key, in
    /// document order; anything else is one difference if unequal.
    static func between(
        _ old: ConfigDocument?, _ new: ConfigDocument?, at path: String = "", rules: Rules = Rules()
    ) -> [DocumentDifference] {
        if case .mapping(let oldEntries)? = old, case .mapping(let newEntries)? = new, !rules.atomic.contains(path) {
            return mergedKeys(oldEntries.map(\.key), newEntries.map(\.key)).flatMap { key in
                between(old?[key], new?[key], at: KeyPath.child(path, key), rules: rules)
            }
        }
        let unordered = rules.unordered.contains(path)
        let same = unordered ? old.map(Self.asSet) == new.map(Self.asSet) : old == new
        return same ? [] : [DocumentDifference(path: path, old: old, new: new)]
    }

    /// The keys of both mappings in document order: `new`'s keys, with each key only `old` has placed after
    /// the key that precedes it in `old` (both follow the schema's order, so the result does too).
    private static func mergedKeys(_ old: [String], _ new: [String]) -> [String] {
        var keys = new
        for (index, key) in old.enumerated() where !keys.contains(key) {
            let anchor = old[..<index].last { keys.contains($0) }
            let position = anchor.flatMap { keys.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
            keys.insert(key, at: position)
        }
        return keys
    }

    /// A list in a canonical order (by each element's JSON text), so that lists holding the same elements
    /// compare equal; other values unchanged.
    static func asSet(_ value: ConfigDocument) -> ConfigDocument {
        guard case .list(let items) = value else { return value }
        return .list(items.map { ($0.json(pretty: false), $0) }.sorted { $0.0 < $1.0 }.map(\.1))
    }

    /// For unordered lists on both sides: the elements only `new` has and those only `old` has, each in
    /// its list's order. Nil otherwise.
    var addedAndRemoved: (added: [ConfigDocument], removed: [ConfigDocument])? {
        guard case .list(let oldItems)? = old, case .list(let newItems)? = new else { return nil }
        return (Self.subtract(oldItems, from: newItems), Self.subtract(newItems, from: oldItems))
    }

    /// `items` without one occurrence of each element of `other` (a multiset difference).
    private static func subtract(_ other: [ConfigDocument], from items: [ConfigDocument]) -> [ConfigDocument] {
        var remaining = other
        return items.filter { item in
            guard let index = remaining.firstIndex(of: item) else { return true }
            remaining.remove(at: index)
            return false
        }
    }
}
