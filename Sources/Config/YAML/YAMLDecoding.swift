import Yams

/// A small typed reader over Yams' node tree.
///
/// Codable would stop at the first problem and describe it in terms of Swift types; walking the nodes lets
/// every problem be reported with its key path, the value as written, and what would have been accepted.
/// Each accessor reports its own failure and returns nil, so callers simply keep their default.
struct YAMLWalker {
    let log: ProblemLog

    // MARK: Mappings

    /// A mapping whose keys have been checked against the schema.
    struct Mapping {
        let path: String
        fileprivate let values: [String: Node]
        fileprivate let walker: YAMLWalker

        func path(of key: String) -> String { KeyPath.child(path, key) }

        /// The value of `key`, or nil when the key is absent or explicitly null: both mean "not set" for the
        /// keys read this way (sections, lists and optional values).
        func optional(_ key: String) -> Node? {
            guard let node = values[key], !YAMLWalker.isNull(node) else { return nil }
            return node
        }

        /// The value of a key that has a default. A key written without a value (`mtu:`) is more likely an
        /// unfinished edit than a request for the default, so it is reported rather than guessed at.
        func defaulted(_ key: String, default defaultValue: String) -> Node? {
            guard let node = values[key] else { return nil }
            if YAMLWalker.isNull(node) {
                walker.log.reject(
                    path(of: key), "has no value; give one, or remove the key to use the default (\(defaultValue))")
                return nil
            }
            return node
        }

        /// The value of a required key; its absence is reported with `hint` saying what to write.
        func required(_ key: String, hint: String) -> Node? {
            guard let node = values[key], !YAMLWalker.isNull(node) else {
                walker.log.reject(path(of: key), "is required: \(hint)")
                return nil
            }
            return node
        }

        /// Whether the key is written at all, null or not.
        func contains(_ key: String) -> Bool { values[key] != nil }
    }

    /// Reads a mapping and reports every key not in `allowedKeys`. Nil if the node is not a mapping.
    func mapping(_ node: Node, at path: String, allowedKeys: [String], expected: String = "a mapping") -> Mapping? {
        log.locate(path, line: node.mark?.line)
        guard case .mapping(let mapping) = node else {
            log.reject(path, "expected \(expected), got \(Self.describe(node))")
            return nil
        }
        var values: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                log.report(path, "\(Self.describe(keyNode)) cannot be used as a key; keys must be plain names")
                continue
            }
            let key = keyScalar.string
            let keyPath = KeyPath.child(path, key)
            log.locate(keyPath, line: keyNode.mark?.line)
            guard allowedKeys.contains(key) else {
                log.report(keyPath, Self.unknownKeyMessage(key, allowed: allowedKeys))
                continue
            }
            // Yams rejects duplicates itself, but tells keys apart by tag (`mtu` vs `!local mtu`).
            guard values[key] == nil else {
                log.report(keyPath, "is given more than once; each key may appear only once")
                continue
            }
            values[key] = value
        }
        return Mapping(path: path, values: values, walker: self)
    }

    static func unknownKeyMessage(_ key: String, allowed: [String]) -> String {
        let allowedList = allowed.joined(separator: ", ")
        if key == "<<" {
            return "YAML merge keys (<<) are not supported; write the keys out. Allowed keys: \(allowedList)"
        }
        let suggestion = KeySuggestion.closest(to: key, among: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
        return "unknown key \(quoted(key))\(suggestion); allowed keys: \(allowedList)"
    }

    // MARK: Lists

    func list(_ node: Node, at path: String, expected: String = "a list") -> [Node]? {
        log.locate(path, line: node.mark?.line)
        guard case .sequence(let sequence) = node else {
            log.reject(path, "expected \(expected), got \(Self.describe(node))")
            return nil
        }
        for (index, element) in sequence.enumerated() {
            log.locate(KeyPath.element(path, index), line: element.mark?.line)
        }
        return Array(sequence)
    }

    // MARK: Scalars

    func string(_ node: Node, at path: String) -> String? {
        log.locate(path, line: node.mark?.line)
        guard case .scalar(let scalar) = node, node.tagName == .str else {
            var message = "expected a string, got \(Self.describe(node))"
            if case .scalar(let scalar) = node, !Self.isNull(node) {
                message += "; put it in quotes (\(quoted(scalar.string))) if it is meant as text"
            }
            log.reject(path, message)
            return nil
        }
        return scalar.string
    }

    /// Integers in decimal or `0x` hex. YAML 1.1's other forms (a leading `0` meaning octal, `0b`, `1:30`)
    /// are refused because they rarely mean what the writer intended.
    func integer(_ node: Node, at path: String) -> Int? {
        log.locate(path, line: node.mark?.line)
        guard case .scalar(let scalar) = node, node.tagName == .int else {
            var message = "expected an integer, got \(Self.describe(node))"
            if case .scalar(let scalar) = node, node.tagName == .str, case .value? = Self.parseInteger(scalar.string) {
                message += "; remove the quotes"
            }
            log.reject(path, message)
            return nil
        }
        switch Self.parseInteger(scalar.string) {
        case .value(let value)?:
            return value
        case .tooLarge?:
            log.reject(path, "\(scalar.string) is too large to be an integer here")
        case .unsupportedForm?, nil:
            log.reject(path, "\(scalar.string) is not a decimal integer; write it in decimal (or as 0x hex)")
        }
        return nil
    }

    /// One of a fixed set of words. Compared on the text as written, so `on` or `yes` are simply not in the
    /// set rather than being reported as booleans.
    func keyword(_ node: Node, at path: String, allowed: [String]) -> String? {
        log.locate(path, line: node.mark?.line)
        let options = allowed.joined(separator: ", ")
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            log.reject(path, "expected one of \(options), got \(Self.describe(node))")
            return nil
        }
        guard allowed.contains(scalar.string) else {
            let suggestion =
                KeySuggestion.closest(to: scalar.string, among: allowed)
                .map { " (did you mean \"\($0)\"?)" } ?? ""
            log.reject(path, "\(quoted(scalar.string)) is not one of \(options)\(suggestion)")
            return nil
        }
        return scalar.string
    }

    // MARK: Describing values

    static func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return node.tagName == .null }
        return false
    }

    /// The value as the operator wrote it, with its YAML type, for "expected X, got Y" messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping:
            return "a mapping"
        case .sequence(let sequence):
            return sequence.isEmpty ? "an empty list" : "a list"
        case .alias:
            return "an alias"
        case .scalar(let scalar):
            let text = scalar.string
            switch node.tagName {
            case .str: return "the string \(quoted(text))"
            case .int: return "the integer \(text)"
            case .float: return "the number \(text)"
            case .bool: return "the boolean \(text)"
            case .null: return "no value (null)"
            case .timestamp: return "the date \(text)"
            default: return "\(quoted(text)) tagged \(node.tagName.rawValue)"
            }
        }
    }

    enum IntegerParse: Equatable {
        case value(Int)
        case tooLarge
        case unsupportedForm
    }

    /// Parses decimal (`1500`, `-1`, `1_000`) and hex (`0x400`). Nil if the text is not a number at all.
    static func parseInteger(_ text: String) -> IntegerParse? {
        var digits = Substring(text.filter { $0 != "_" })
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard let first = digits.first, first.isASCII, first.isNumber else { return nil }
        let radix: Int
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            digits = digits.dropFirst(2)
            radix = 16
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        } else {
            radix = 10
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return digits.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == ":" || $0 == "o") })
                    ? .unsupportedForm : nil
            }
            if digits.count > 1, first == "0" { return .unsupportedForm }
        }
        guard let magnitude = UInt64(digits, radix: radix) else { return .tooLarge }
        if negative {
            guard magnitude <= UInt64(Int.max) + 1 else { return .tooLarge }
            return .value(magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude))
        }
        guard magnitude <= UInt64(Int.max) else { return .tooLarge }
        return .value(Int(magnitude))
    }
}

/// Quotes a value for a message so that empty strings and surrounding spaces stay visible.
func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7f {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}

extension YAMLWalker {
    /// A section that is absent or written without a value: all its keys take their defaults, and its
    /// required keys are still reported as missing.
    func emptyMapping(at path: String) -> Mapping {
        Mapping(path: path, values: [:], walker: self)
    }

    /// A section of the document: nil or null means "all defaults", anything else must be a mapping.
    func section(_ node: Node?, at path: String, allowedKeys: [String]) -> Mapping? {
        guard let node, !Self.isNull(node) else { return emptyMapping(at: path) }
        return mapping(node, at: path, allowedKeys: allowedKeys)
    }
}

extension Node {
    /// The resolved tag (`str`, `int`, ...): what YAML's type rules made of the value as written. Quoted
    /// scalars are always strings.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
