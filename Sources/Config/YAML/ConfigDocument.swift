/// A configuration as an ordered tree of plain values: the shape of the YAML file, without YAML.
///
/// Why a tree of its own: the configuration is written out (control socket `config.get`, the persisted
/// document) and compared key by key (`ConfigPlan`). Describing every key once here, in file order and with
/// its file spelling, lets the YAML renderer, the JSON renderer and the plan all follow from that one
/// description; a new key is one line in `ConfigRendering.swift`.
///
/// Mappings keep their keys in order (a Swift dictionary would not), so the rendered document lists keys
/// the way the reference configuration does.
indirect enum ConfigDocument: Equatable, Sendable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case null
    case list([ConfigDocument])
    case mapping([Entry])

    /// One key of a mapping.
    struct Entry: Equatable, Sendable {
        var key: String
        var value: ConfigDocument

        init(_ key: String, _ value: ConfigDocument) {
            self.key = key
            self.value = value
        }
    }

    /// A mapping written as an ordered literal, one key per line. Keys whose value is nil are left out:
    /// that is how optional settings that are not set stay out of the document.
    static func map(_ entries: KeyValuePairs<String, ConfigDocument?>) -> ConfigDocument {
        .mapping(self.entries(entries))
    }

    /// Part of a mapping, written the same way: the keys one feature contributes to a larger mapping.
    static func entries(_ entries: KeyValuePairs<String, ConfigDocument?>) -> [Entry] {
        entries.compactMap { key, value in value.map { Entry(key, $0) } }
    }

    /// The value of `key` in a mapping; nil if absent or if this is not a mapping.
    subscript(key: String) -> ConfigDocument? {
        guard case .mapping(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The keys of a mapping in order; empty for anything else.
    var keys: [String] {
        guard case .mapping(let entries) = self else { return [] }
        return entries.map(\.key)
    }

    /// Strings, numbers, booleans and null: values written on one line in any notation.
    var isScalar: Bool {
        switch self {
        case .string, .int, .bool, .null: true
        case .list, .mapping: false
        }
    }
}
