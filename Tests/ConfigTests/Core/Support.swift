import Foundation
import Testing

@testable import Config

/// A small valid document that tests modify one key at a time, so that each bad-input test provokes
/// exactly the problem it is about.
struct Doc {
    var eal: [String] = ["pmd-cpu-mask: \"0x2\""]
    var mempool: [String] = []
    var control: [String] = []
    var l2: [String] = []
    var ports: [[String]] = [["name: p0", "devargs: net_null0"], ["name: p1", "devargs: net_null1"]]
    var patches: [String] = []

    init(_ edit: (inout Doc) -> Void = { _ in }) {
        edit(&self)
    }

    var yaml: String {
        var lines: [String] = []
        func section(_ name: String, _ body: [String]) {
            guard !body.isEmpty else { return }
            lines.append("\(name):")
            lines += body.map { "  " + $0 }
        }
        section("eal", eal)
        section("mempool", mempool)
        section("control", control)
        section("l2", l2)
        lines.append("ports:")
        for port in ports {
            for (index, line) in port.enumerated() {
                lines.append((index == 0 ? "  - " : "    ") + line)
            }
        }
        section("patches", patches)
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The problems `parse` reports; records an issue if it unexpectedly succeeds.
func problems(
    _ yaml: String, sourceLocation: SourceLocation = #_sourceLocation
) -> [ConfigError.Problem] {
    do {
        let config = try SluiceConfig.parse(yaml: yaml)
        Issue.record("expected problems, but the document parsed as \(config)", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.problems
    }
}

/// Parses a document that must be valid; records the problems otherwise.
func parsed(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> SluiceConfig? {
    do {
        return try SluiceConfig.parse(yaml: yaml)
    } catch {
        Issue.record("unexpected problems:\n\(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Expects exactly one problem, at `path`, whose message contains every fragment.
func expectSingleProblem(
    _ yaml: String, at path: String, mentioning fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let found = problems(yaml, sourceLocation: sourceLocation)
    #expect(found.count == 1, "problems: \(found)", sourceLocation: sourceLocation)
    guard let problem = found.first else { return }
    #expect(problem.path == path, "\(problem)", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(problem.message.contains(fragment), "\(fragment) not in: \(problem)", sourceLocation: sourceLocation)
    }
}

/// One bad input and the problem it must produce; used by the parameterised rule tests.
struct RuleCase: Sendable, CustomTestStringConvertible {
    let rule: String
    let yaml: String
    let path: String
    let fragments: [String]

    init(_ rule: String, _ doc: Doc, at path: String, _ fragments: [String]) {
        self.rule = rule
        self.yaml = doc.yaml
        self.path = path
        self.fragments = fragments
    }

    init(_ rule: String, yaml: String, at path: String, _ fragments: [String]) {
        self.rule = rule
        self.yaml = yaml
        self.path = path
        self.fragments = fragments
    }

    var testDescription: String { rule }
}

/// The repository root, found from this file's location (Tests/ConfigTests/Core/Support.swift), following
/// symlinks so that a scratch package linking to the sources finds the real tree.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent()  // Core
    .deletingLastPathComponent()  // ConfigTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()
