import ArgumentParser
import ControlProtocol
import Foundation

struct GetConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-config",
        abstract: "The desired state sluiced runs, as a config file (YAML); apply -f of it changes nothing.",
        discussion: """
            With --json: config.get's whole result (revision, stateFile, yaml, and config: the document as \
            a JSON object, which apply -f accepts too).
            """)
    @OptionGroup var connection: Connection

    func run() throws {
        let document = try connection.call(ConfigMethods.get)
        connection.emit(document) {
            document.yaml.isEmpty || document.yaml.hasSuffix("\n") ? document.yaml : document.yaml + "\n"
        }
    }
}

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a whole desired-state document (YAML or JSON) the running state, atomically.",
        discussion: """
            sluiced validates the document in full, computes the plan (what differs from the running state) and \
            applies all of it or nothing, then persists it. --dry-run prints the plan and changes nothing. \
            Exit status 2 when sluiced rejects the document (every problem is printed, one per line), needs a \
            restart for it, or cannot apply it.
            """)
    @OptionGroup var connection: Connection
    @Option(
        name: [.customShort("f"), .long], help: "The document; - reads standard input.",
        completion: .file(extensions: ["yaml", "yml", "json"]))
    var file: String
    @Flag(help: "Only validate and print the plan; change nothing.") var dryRun = false

    func run() throws {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                let reason = FileManager.default.fileExists(atPath: file) ? "it is not readable" : "no such file"
                throw failure("cannot read \(file): \(reason)", Exit.usage)
            }
            data = contents
        }
        guard let document = String(data: data, encoding: .utf8) else {
            throw failure("\(file == "-" ? "standard input" : file) is not UTF-8 text", Exit.usage)
        }
        // sluiced refuses request lines over maxRequestBytes; say so before sending (JSON escaping adds a little).
        let requestSize =
            (try? JSONEncoder().encode(ConfigApplyParams(document: document, dryRun: true)).count) ?? data.count
        guard requestSize + 100 <= maxRequestBytes else {
            throw failure(
                "\(file == "-" ? "the document" : file) is too large: sluiced accepts requests up to \(maxRequestBytes) bytes "
                    + "(this one would be \(requestSize + 100)); remove comments or split the change (port add/set)",
                Exit.usage)
        }
        let result = try connection.call(
            ConfigMethods.apply, ConfigApplyParams(document: document, dryRun: dryRun ? true : nil))
        connection.emit(result) { renderPlan(result) }
    }
}

/// A plan (and what became of it) for people: one row per change, then one line on the outcome.
func renderPlan(_ result: ConfigApplyResult) -> String {
    guard !result.changes.isEmpty else {
        return "no changes: the running state (revision \(result.revision)) already matches\n"
    }
    let table = Table(
        ["action", "target", "fields", "hitless", "summary"],
        result.changes.map { c in
            [
                c.action, c.target, c.fields.isEmpty ? "-" : c.fields.joined(separator: ","), c.hitless ? "yes" : "no",
                c.summary,
            ]
        }
    ).render()
    let count = result.changes.count == 1 ? "1 change" : "\(result.changes.count) changes"
    let interrupting = result.changes.filter { !$0.hitless }.map(\.target)
    var outcome: String
    if result.dryRun || !result.applied {
        outcome = "dry run: \(count) planned, nothing applied (running revision \(result.revision))"
    } else {
        outcome =
            "applied \(count): now revision \(result.revision)"
            + (result.persisted
                ? ", persisted" : ", not persisted (no state file, or writing it failed: see sluiced's log)")
    }
    if !interrupting.isEmpty {
        outcome += "\ntraffic interrupted on: \(Array(Set(interrupting)).sorted().joined(separator: ", "))"
    }
    return table + outcome + "\n"
}
