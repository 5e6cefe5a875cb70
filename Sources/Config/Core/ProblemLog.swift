/// Gathers problems while a document is decoded and validated.
///
/// It also remembers which key paths could not be decoded, so that validation can skip the rules that
/// depend on them: a wrongly typed `mempool.mbuf-data-size` must not also produce an MTU complaint computed
/// against a default the operator never chose.
final class ProblemLog {
    private var entries: [(problem: ConfigError.Problem, line: Int?)] = []
    private var undecodable: Set<String> = []
    /// Source line of each decoded key path, used to report problems in document order.
    private var lines: [String: Int] = [:]

    var isEmpty: Bool { entries.isEmpty }

    /// Problems in document order. Those without a source line (missing keys of a missing section, configs
    /// built in code) follow, in the order they were found.
    var problems: [ConfigError.Problem] {
        entries.enumerated()
            .sorted { ($0.element.line ?? Int.max, $0.offset) < ($1.element.line ?? Int.max, $1.offset) }
            .map(\.element.problem)
    }

    func report(_ path: String, _ message: String) {
        entries.append((ConfigError.Problem(path: path, message: message), line(of: path)))
    }

    /// Reports a problem that leaves the value at `path` unknown.
    func reject(_ path: String, _ message: String) {
        report(path, message)
        undecodable.insert(path)
    }

    func markUndecodable(_ path: String) {
        undecodable.insert(path)
    }

    func locate(_ path: String, line: Int?) {
        if let line, lines[path] == nil { lines[path] = line }
    }

    /// Whether `path`, or any enclosing path (`ports[1]` encloses `ports[1].mtu`), could not be decoded.
    func isUndecodable(_ path: String) -> Bool {
        guard !undecodable.isEmpty else { return false }
        return KeyPath.prefixes(of: path).contains { undecodable.contains($0) }
    }

    private func line(of path: String) -> Int? {
        KeyPath.prefixes(of: path).reversed().lazy.compactMap { self.lines[$0] }.first
    }
}

/// Key paths as shown to the operator: `eal.pmd-cpu-mask`, `ports[1].mtu`, `patches[0][1]`.
enum KeyPath {
    static func child(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : "\(parent).\(key)"
    }

    static func element(_ parent: String, _ index: Int) -> String {
        "\(parent)[\(index)]"
    }

    /// `ports[1].mtu` → `ports`, `ports[1]`, `ports[1].mtu`: outermost first.
    static func prefixes(of path: String) -> [String] {
        var result: [String] = []
        var current = ""
        for character in path {
            if character == "." || character == "[", !current.isEmpty {
                result.append(current)
            }
            current.append(character)
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}
