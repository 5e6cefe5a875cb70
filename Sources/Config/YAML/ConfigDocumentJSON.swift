/// Writing a `ConfigDocument` as JSON.
///
/// JSON is what programs sending `config.apply` produce most easily, and it is accepted by
/// `SluiceConfig.parse(yaml:)` because the YAML parser reads JSON as flow YAML. The escaping therefore has to
/// satisfy both readers: JSON's rules for control characters, and YAML's for the line breaks and
/// non-printable characters it would otherwise fold or reject (see `needsEscape`). Characters beyond U+FFFF
/// are written literally: libyaml rejects the surrogate-pair escapes JSON would need for them.
extension ConfigDocument {
    /// The document as JSON; keys in the document's order. `pretty` indents by two spaces and keeps lists
    /// of scalars on one line, like the YAML rendering.
    func json(pretty: Bool) -> String {
        var text = ""
        appendJSON(to: &text, pretty: pretty, indent: 0)
        return pretty ? text + "\n" : text
    }

    private func appendJSON(to text: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .string(let value): text += Self.jsonString(value)
        case .int(let value): text += String(value)
        case .bool(let value): text += value ? "true" : "false"
        case .null: text += "null"
        case .list(let items):
            appendContainer(
                "[", "]", items, to: &text, pretty: pretty && !items.allSatisfy(\.isScalar), indent: indent,
                inlineSeparator: pretty ? ", " : ","
            ) { item, text, indent in
                item.appendJSON(to: &text, pretty: pretty, indent: indent)
            }
        case .mapping(let entries):
            appendContainer("{", "}", entries, to: &text, pretty: pretty, indent: indent, inlineSeparator: ",") {
                entry, text, indent in
                text += Self.jsonString(entry.key) + (pretty ? ": " : ":")
                entry.value.appendJSON(to: &text, pretty: pretty, indent: indent)
            }
        }
    }

    /// Writes `[...]` or `{...}`: one element per line when `multiline`, otherwise on one line.
    private func appendContainer<Element>(
        _ open: String, _ close: String, _ elements: [Element], to text: inout String, pretty multiline: Bool,
        indent: Int, inlineSeparator: String, element: (Element, inout String, Int) -> Void
    ) {
        text += open
        guard !elements.isEmpty else {
            text += close
            return
        }
        let inner = String(repeating: " ", count: indent + 2)
        for (index, item) in elements.enumerated() {
            if index > 0 { text += multiline ? "," : inlineSeparator }
            if multiline { text += "\n" + inner }
            element(item, &text, indent + 2)
        }
        if multiline { text += "\n" + String(repeating: " ", count: indent) }
        text += close
    }

    /// A JSON string literal for `text`.
    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if needsEscape(scalar) {
                    result += "\\u" + hex(scalar.value, digits: 4)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
