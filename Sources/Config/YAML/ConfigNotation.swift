/// Configuration values written for people, in the configuration's own notation, for plan summaries:
/// `mtu 1500 → 9000`, `vlan access 100 → trunk [100,200-210] native 1`.
///
/// Unlike the YAML rendering this leaves strings unquoted where that cannot mislead a reader (names, MACs,
/// addresses, devargs), because the summary is read, not parsed.
enum ConfigNotation {
    /// Stands for a key that is absent: an optional setting that is not set.
    static let unset = "(unset)"

    /// `value` at a port-relative key `path`; VLAN modes get the compact notation of the example above.
    static func port(_ value: ConfigDocument?, at path: String) -> String {
        path == "vlan" ? vlan(value) : describe(value)
    }

    /// `nested` is set inside lists and mappings, where a comma would read as a separator.
    static func describe(_ value: ConfigDocument?, nested: Bool = false) -> String {
        guard let value else { return unset }
        switch value {
        case .string(let text): return isBare(text, nested: nested) ? text : quoted(text)
        case .int(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        case .list(let items): return "[" + items.map { describe($0, nested: true) }.joined(separator: ", ") + "]"
        case .mapping(let entries):
            return "{" + entries.map { "\($0.key): \(describe($0.value, nested: true))" }.joined(separator: ", ") + "}"
        }
    }

    /// "access 100", "trunk [100,200-210] native 1", or, for no vlan section, the default it stands for.
    static func vlan(_ value: ConfigDocument?) -> String {
        guard let value else { return "(unset: access \(VLANMode.defaultVLAN))" }
        guard case .string(let mode)? = value["mode"] else { return describe(value) }
        switch mode {
        case "access":
            return "access \(describe(value["id"]))"
        case "trunk":
            var text = "trunk"
            if case .list(let allowed)? = value["allowed"] {
                // Without spaces, as VLANSet writes sets in messages: "[100,200-210]".
                text += " [" + allowed.map { describe($0, nested: true) }.joined(separator: ",") + "]"
            }
            if let native = value["native"] { text += " native \(describe(native))" }
            return text
        default:
            return describe(value)
        }
    }

    /// One difference: "mtu 1500 → 9000", or for an unordered list "static-macs add {...}, remove {...}".
    static func portDifference(_ difference: DocumentDifference, unordered: Bool) -> String {
        if unordered, let (added, removed) = difference.addedAndRemoved {
            return "\(difference.path) \(addedAndRemoved(added: added, removed: removed))"
        }
        return
            "\(difference.path) \(port(difference.old, at: difference.path)) → \(port(difference.new, at: difference.path))"
    }

    /// "add X, Y, remove Z"; either part is left out when empty.
    static func addedAndRemoved(added: [ConfigDocument], removed: [ConfigDocument]) -> String {
        var parts: [String] = []
        if !added.isEmpty { parts.append("add " + added.map { describe($0, nested: true) }.joined(separator: ", ")) }
        if !removed.isEmpty {
            parts.append("remove " + removed.map { describe($0, nested: true) }.joined(separator: ", "))
        }
        return parts.joined(separator: ", ")
    }

    /// Whether `text` reads unambiguously without quotes inside a summary: non-empty, printable, no spaces,
    /// and none of the characters that delimit values in the notation. Commas are only delimiters inside
    /// lists and mappings; elsewhere they are common in values (devargs, socket-mem) and stay bare.
    private static func isBare(_ text: String, nested: Bool) -> Bool {
        !text.isEmpty
            && text.unicodeScalars.allSatisfy { scalar in
                !ConfigDocument.needsEscape(scalar) && !scalar.properties.isWhitespace
                    && !"\"'\\[]{}()".unicodeScalars.contains(scalar) && !(nested && scalar == ",")
            }
    }
}
