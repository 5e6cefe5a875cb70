import ArgumentParser
import ControlProtocol

/// One feature's flags for a port's settings, shared by `port add` and `port set`: the group parses and checks
/// its own flags and writes its keys of the port's config entry. A group may have set-only flags (those that
/// send a key back to its default); `port add` refuses them, since a new port starts with the defaults.
protocol PortSettingOptions: ParsableArguments {
    /// Writes the keys the given flags set; null sends a key back to its default.
    func write(into settings: inout [String: JSONValue])
    /// The set-only flags given, spelled as on the command line.
    var setOnlyFlagsGiven: [String] { get }
}

/// Every feature's port-setting flags: what `port add` and `port set` share. A feature with keys in a port's
/// config entry adds its option group here: a property and its entry in `groups`.
struct PortSettings: ParsableArguments {
    @OptionGroup var admin: AdminOptions
    @OptionGroup var vlan: VLANOptions
    @OptionGroup var macLimit: MACLimitOptions
    @OptionGroup var portSecurity: PortSecurityOptions
    @OptionGroup var staticMACs: StaticMACOptions
    @OptionGroup var qos: QoSOptions

    private var groups: [any PortSettingOptions] { [admin, vlan, macLimit, portSecurity, staticMACs, qos] }

    /// The keys the given flags set (null: back to the default); empty when no setting flag was given.
    var values: [String: JSONValue] {
        var settings: [String: JSONValue] = [:]
        for group in groups { group.write(into: &settings) }
        return settings
    }

    var setOnlyFlagsGiven: [String] { groups.flatMap(\.setOnlyFlagsGiven) }
}
