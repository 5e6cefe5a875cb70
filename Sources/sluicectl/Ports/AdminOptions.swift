import ArgumentParser
import ControlProtocol

enum AdminState: String, ExpressibleByArgument, CaseIterable {
    case up, down
}

/// The port's `admin` key.
struct AdminOptions: PortSettingOptions {
    @Option(help: "Administrative state (a new port starts up).") var admin: AdminState?

    func write(into settings: inout [String: JSONValue]) {
        if let admin { settings["admin"] = .string(admin.rawValue) }
    }

    var setOnlyFlagsGiven: [String] { [] }
}
