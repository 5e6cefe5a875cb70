import ArgumentParser
import ControlProtocol

/// The port's `port-security` key: the only source MAC (and IPs) accepted from it. sluiced checks the
/// addresses.
struct PortSecurityOptions: PortSettingOptions {
    @Option(help: ArgumentHelp("Port security: the only source MAC accepted from it.", valueName: "mac"))
    var portSecurityMac: String?

    @Option(
        help: ArgumentHelp("With --port-security-mac: a source IP it may use (repeat for more).", valueName: "address"))
    var portSecurityIp: [String] = []

    @Flag(help: "port set: turn port security off.") var noPortSecurity = false

    func validate() throws {
        if noPortSecurity && (portSecurityMac != nil || !portSecurityIp.isEmpty) {
            throw ValidationError("give --port-security-mac/--port-security-ip or --no-port-security, not both")
        }
        if !portSecurityIp.isEmpty && portSecurityMac == nil {
            throw ValidationError(
                "--port-security-ip restricts port security: add --port-security-mac MAC (the port's only source MAC)")
        }
    }

    func write(into settings: inout [String: JSONValue]) {
        if let portSecurityMac {
            var security: [String: JSONValue] = ["mac": .string(portSecurityMac)]
            if !portSecurityIp.isEmpty { security["ips"] = .array(portSecurityIp.map { .string($0) }) }
            settings["port-security"] = .object(security)
        }
        if noPortSecurity { settings["port-security"] = .null }
    }

    var setOnlyFlagsGiven: [String] { noPortSecurity ? ["--no-port-security"] : [] }
}
