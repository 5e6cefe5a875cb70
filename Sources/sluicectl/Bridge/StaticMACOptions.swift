import ArgumentParser
import ControlProtocol

/// The port's `static-macs` key: MAC table entries that never age (sluiced checks the addresses and VLANs).
struct StaticMACOptions: PortSettingOptions {
    @Option(
        help: ArgumentHelp(
            "A static MAC entry, MAC or MAC@VLAN (repeat for more; port set replaces the port's list).",
            valueName: "mac[@vlan]"))
    var staticMac: [String] = []

    @Flag(help: "port set: remove all its static MACs.") var noStaticMacs = false

    func validate() throws {
        if noStaticMacs && !staticMac.isEmpty {
            throw ValidationError("give --static-mac or --no-static-macs, not both")
        }
        for entry in staticMac { _ = try parseStaticMAC(entry) }
    }

    func write(into settings: inout [String: JSONValue]) {
        if !staticMac.isEmpty { settings["static-macs"] = .array(staticMac.compactMap { try? parseStaticMAC($0) }) }
        if noStaticMacs { settings["static-macs"] = .null }
    }

    var setOnlyFlagsGiven: [String] { noStaticMacs ? ["--no-static-macs"] : [] }
}

/// "MAC" or "MAC@VLAN" as a `static-macs` entry. Only the syntax is checked: sluiced judges the MAC and the VLAN.
func parseStaticMAC(_ text: String) throws -> JSONValue {
    let parts = text.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count <= 2, !parts[0].isEmpty else {
        throw ValidationError("--static-mac: '\(text)' should be MAC or MAC@VLAN, e.g. 52:54:00:12:34:56@100")
    }
    var entry: [String: JSONValue] = ["mac": .string(String(parts[0]))]
    if parts.count == 2 {
        guard let vlan = Int(parts[1]) else {
            throw ValidationError(
                "--static-mac: '\(parts[1])' in '\(text)' is not a VLAN id; write MAC@VLAN, e.g. 52:54:00:12:34:56@100")
        }
        entry["vlan"] = .number(Double(vlan))
    }
    return .object(entry)
}
