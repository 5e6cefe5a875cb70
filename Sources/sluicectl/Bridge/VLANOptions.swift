import ArgumentParser
import ControlProtocol
import Foundation

/// The port's `vlan` key: its VLAN membership. Whether the VLAN ids are usable is sluiced's to say (its
/// message names the key); only what cannot be sent as a `vlan` entry at all is refused here.
struct VLANOptions: PortSettingOptions {
    @Option(
        name: .customLong("vlan-access"), help: ArgumentHelp("Make it an access port on this VLAN.", valueName: "id"))
    var access: Int?

    @Option(
        name: .customLong("vlan-trunk"),
        help: ArgumentHelp("Make it a trunk carrying these VLANs tagged, e.g. 100,200-210.", valueName: "list"))
    var trunk: String?

    @Option(
        name: .customLong("vlan-native"),
        help: ArgumentHelp("With --vlan-trunk: the VLAN of untagged frames.", valueName: "id"))
    var native: Int?

    @Flag(name: .customLong("vlan-default"), help: "port set: back to the default membership (access port on VLAN 1).")
    var backToDefault = false

    func validate() throws {
        if access != nil && trunk != nil { throw ValidationError("give --vlan-access or --vlan-trunk, not both") }
        if native != nil && trunk == nil {
            throw ValidationError("--vlan-native only applies to a trunk: add --vlan-trunk LIST")
        }
        if backToDefault && (access != nil || trunk != nil) {
            throw ValidationError("--vlan-default contradicts --vlan-access/--vlan-trunk: give one of them")
        }
        if let trunk { _ = try parseTrunk(trunk) }
    }

    func write(into settings: inout [String: JSONValue]) {
        if let access {
            settings["vlan"] = .object(["mode": .string("access"), "id": .number(Double(access))])
        } else if let trunk, let allowed = try? parseTrunk(trunk) {
            var members: [String: JSONValue] = ["mode": .string("trunk"), "allowed": .array(allowed)]
            if let native { members["native"] = .number(Double(native)) }
            settings["vlan"] = .object(members)
        }
        if backToDefault { settings["vlan"] = .null }
    }

    var setOnlyFlagsGiven: [String] { backToDefault ? ["--vlan-default"] : [] }
}

/// "100,200-210" as the config file's `allowed` list: [100, "200-210"]. Only the syntax is checked: sluiced
/// judges the VLAN ids and the ranges.
func parseTrunk(_ text: String) throws -> [JSONValue] {
    let items = text.split(separator: ",", omittingEmptySubsequences: false)
        .map { $0.trimmingCharacters(in: .whitespaces) }
    return try items.map { item -> JSONValue in
        let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
        let numbers = bounds.compactMap { Int($0) }
        guard !item.isEmpty, numbers.count == bounds.count, (1...2).contains(numbers.count) else {
            throw ValidationError(
                "--vlan-trunk: '\(item)' is neither a VLAN id nor a range a-b; write e.g. 100,200-210")
        }
        if numbers.count == 1 { return .number(Double(numbers[0])) }
        return .string("\(numbers[0])-\(numbers[1])")
    }
}
