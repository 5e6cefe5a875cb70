/// Everything wrong with a configuration, reported at once so that an operator can fix a file in one pass
/// instead of discovering problems one restart at a time.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One problem, located by its key path (`ports[1].mtu`), so that it can be found in the file.
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        /// Key path of the offending value, e.g. `eal.pmd-cpu-mask` or `ports[1].mtu`. Empty when the problem
        /// concerns the document as a whole (unreadable file, YAML syntax error, empty document).
        public var path: String
        /// What is wrong and, where possible, what would be accepted.
        public var message: String

        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }

        public var description: String {
            path.isEmpty ? message : "\(path): \(message)"
        }
    }

    public var problems: [Problem]

    public init(problems: [Problem]) {
        self.problems = problems
    }

    public init(path: String, message: String) {
        self.init(problems: [Problem(path: path, message: message)])
    }

    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }

    /// The key paths of all problems, in report order: handy for callers and tests that need to know
    /// *what* is wrong without depending on the exact wording.
    public var paths: [String] { problems.map(\.path) }
}
