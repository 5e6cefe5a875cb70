import ArgumentParser
import Config

/// A named way to set the bench up: what the pipeline is asked to do with the trace. A scenario adjusts the
/// bench configuration (`BenchSetup`: the trace's `source` port, the `sink` port and any section) before the
/// dataplane is built. Each feature lists its scenarios in its own folder
/// (`Sources/sluice-bench/<Feature>/<Feature>Scenarios.swift`) and adds one line to `all`.
struct BenchScenario: Sendable {
    /// What `--scenario` takes and the report shows.
    let name: String
    /// One line for `--help`.
    let summary: String
    let configure: @Sendable (inout BenchSetup) throws -> Void

    init(_ name: String, _ summary: String, configure: @escaping @Sendable (inout BenchSetup) throws -> Void) {
        self.name = name
        self.summary = summary
        self.configure = configure
    }

    /// Every scenario, one line per feature.
    static let all: [BenchScenario] =
        patchScenarios
        + bridgeScenarios
        + securityGroupsScenarios
        + qosScenarios
        + captureScenarios
        + vhostUserScenarios
        + vxlanScenarios
        + dhcpScenarios
        + metadataScenarios
        + fullScenarios

    static func named(_ name: String) -> BenchScenario? { all.first { $0.name == name } }

    /// The `--scenario` help: every scenario with its summary.
    static var help: String {
        "What the pipeline does with the trace: " + all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")
    }
}

extension BenchScenario: ExpressibleByArgument {
    init?(argument: String) {
        guard let scenario = Self.named(argument) else { return nil }
        self = scenario
    }

    static var allValueStrings: [String] { all.map(\.name) }
    var defaultValueDescription: String { name }
}

/// Scenario errors name the scenario and what it needs from the trace.
struct BenchScenarioError: Error, CustomStringConvertible {
    let description: String
}
