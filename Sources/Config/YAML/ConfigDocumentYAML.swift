/// Writing a `ConfigDocument` as block-style YAML, the notation of the configuration file.
///
/// Every string is written double-quoted. Plain scalars are read by YAML's type rules, so a port named
/// `yes`, `null`, `0x1f` or `1e3` would come back as a boolean, null or number, and text containing `: ` or
/// ` #` would not come back at all; a double-quoted scalar is always the string it spells. Keys are the
/// schema's kebab-case names and stay plain, which keeps the document readable.
extension ConfigDocument {
    /// The document as YAML text ending in a newline. A mapping or list at the root is written in block
    /// style; lists of scalars are written in flow style (`[100, "200-210"]`) like the reference config.
    var yaml: String {
        var text = ""
        if fitsOnOneLine {
            text = flowYAML + "\n"
        } else {
            appendBlock(indent: 0, to: &text)
        }
        return text
    }

    /// Whether the value is written on the line of its key (or dash): scalars, empty collections and lists
    /// of scalars. Mappings and lists holding collections get lines of their own.
    private var fitsOnOneLine: Bool {
        switch self {
        case .string, .int, .bool, .null: true
        case .list(let items): items.allSatisfy(\.isScalar)
        case .mapping(let entries): entries.isEmpty
        }
    }

    /// The value in YAML's flow notation.
    private var flowYAML: String {
        switch self {
        case .string(let text): Self.doubleQuotedYAML(text)
        case .int(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        case .list(let items): "[" + items.map(\.flowYAML).joined(separator: ", ") + "]"
        case .mapping(let entries):
            "{" + entries.map { Self.yamlKey($0.key) + ": " + $0.value.flowYAML }.joined(separator: ", ") + "}"
        }
    }

    /// Appends a collection that does not fit on one line, its first line indented by `indent`, each line
    /// ending in a newline. (One string grows: a state file of a thousand ports is written on every change.)
    private func appendBlock(indent: Int, to text: inout String) {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .mapping(let entries):
            for entry in entries {
                text += pad
                text += Self.yamlKey(entry.key)
                if entry.value.fitsOnOneLine {
                    text += ": "
                    text += entry.value.flowYAML
                    text += "\n"
                } else {
                    text += ":\n"
                    entry.value.appendBlock(indent: indent + 2, to: &text)
                }
            }
        case .list(let items):
            for item in items {
                if item.fitsOnOneLine {
                    text += pad
                    text += "- "
                    text += item.flowYAML
                    text += "\n"
                    continue
                }
                // The item is written as if indented two more; its first line then starts with the dash, so
                // that a mapping's first key shares the dash's line (`- name: ...`).
                var nested = ""
                item.appendBlock(indent: indent + 2, to: &nested)
                text += pad
                text += "- "
                text += nested.dropFirst(indent + 2)
            }
        case .string, .int, .bool, .null:
            text += pad
            text += flowYAML
            text += "\n"
        }
    }

    /// Schema keys are written plain; anything else (never produced today) is quoted so that it cannot be
    /// misread.
    static func yamlKey(_ key: String) -> String {
        let plain =
            key.first.map { $0 >= "a" && $0 <= "z" } == true
            && key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
            && !yamlReservedWords.contains(key)
        return plain ? key : doubleQuotedYAML(key)
    }

    /// Words that YAML 1.1 reads as booleans or null when plain.
    private static let yamlReservedWords: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"]

    /// A double-quoted YAML scalar for `text`.
    ///
    /// Escaped: the quote and backslash; everything libyaml does not accept as a printable character in a
    /// document (C0 and C1 controls, DEL, U+FEFF, U+FFFE, U+FFFF); and the line breaks NEL, LS and PS, which
    /// libyaml would fold into a space inside a quoted scalar just like a literal newline.
    static func doubleQuotedYAML(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\0": result += "\\0"
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\u{85}": result += "\\N"
            case "\u{2028}": result += "\\L"
            case "\u{2029}": result += "\\P"
            default:
                if needsEscape(scalar) {
                    result +=
                        scalar.value <= 0xff
                        ? "\\x" + hex(scalar.value, digits: 2) : "\\u" + hex(scalar.value, digits: 4)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Characters that cannot appear literally inside a quoted scalar without changing or breaking it, in
    /// YAML (libyaml's printable set and line breaks) or in JSON (control characters). Both renderers
    /// escape the same set, so both documents carry the same characters literally.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7f...0x9f, 0x2028, 0x2029, 0xfeff, 0xfffe, 0xffff: true
        default: false
        }
    }

    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: false)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
