import ArgumentParser
import ControlProtocol

/// The port's `max-macs` key: how many MACs the bridge learns on it (sluiced checks the range).
struct MACLimitOptions: PortSettingOptions {
    @Option(help: ArgumentHelp("Limit on the MACs learnt on it (default: l2.max-macs-per-port).", valueName: "n"))
    var maxMacs: Int?

    @Flag(help: "port set: back to the default limit (l2.max-macs-per-port).") var maxMacsDefault = false

    func validate() throws {
        if maxMacsDefault && maxMacs != nil {
            throw ValidationError("give --max-macs N or --max-macs-default, not both")
        }
    }

    func write(into settings: inout [String: JSONValue]) {
        if let maxMacs { settings["max-macs"] = .number(Double(maxMacs)) }
        if maxMacsDefault { settings["max-macs"] = .null }
    }

    var setOnlyFlagsGiven: [String] { maxMacsDefault ? ["--max-macs-default"] : [] }
}
