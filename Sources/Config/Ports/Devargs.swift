/// Syntax of DPDK device arguments, kept apart from validation so that `PortConfig.isPCI` and the EAL argv
/// agree with what validation accepted.
enum Devargs {
    static func deviceName(of devargs: String) -> String {
        String(devargs.prefix { $0 != "," })
    }

    /// A PCI address, normalised to DPDK's full `dddd:bb:dd.f` lower-case form, or nil if `name` is not one.
    /// Normalising matters because `01:00.0` and `0000:01:00.0` are the same function and must not be used
    /// by two ports.
    static func pciAddress(_ name: String) -> String? {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        let domain: Substring
        let bus: Substring
        let deviceAndFunction: Substring
        switch parts.count {
        case 2:
            (domain, bus, deviceAndFunction) = ("0000", parts[0], parts[1])
        case 3:
            (domain, bus, deviceAndFunction) = (parts[0], parts[1], parts[2])
        default:
            return nil
        }
        let dotted = deviceAndFunction.split(separator: ".", omittingEmptySubsequences: false)
        guard dotted.count == 2 else { return nil }
        let device = dotted[0]
        let function = dotted[1]
        guard domain.count == 4, isHex(domain), bus.count == 2, isHex(bus), device.count == 2, isHex(device),
            let deviceNumber = UInt8(device, radix: 16), deviceNumber <= 0x1f,
            function.count == 1, let functionNumber = UInt8(function, radix: 8), functionNumber <= 7
        else { return nil }
        return "\(domain):\(bus):\(device).\(function)".lowercased()
    }

    /// The name by which two ports would collide: PCI addresses compare in normalised form.
    static func identity(ofDeviceName name: String) -> String {
        pciAddress(name) ?? name
    }

    static let virtualPrefix = "net_"
    /// net_tap's device names (`net_tap0`, `net_tap_a`): DPDK picks the driver by this prefix.
    static let tapPrefix = "net_tap"
    static let pcapPrefix = "net_pcap"

    /// The value of `key=` in the device arguments after the name, if given; of a repeated key the last,
    /// which is the one net_tap and net_pcap keep.
    static func argument(_ key: String, in devargs: String) -> String? {
        let arguments = devargs.split(separator: ",", omittingEmptySubsequences: true).dropFirst()
        return arguments.last { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    /// Every value of `key=` in the device arguments after the name, in order: net_pcap opens one queue per
    /// repeated `rx_pcap=`/`tx_pcap=`, so each of them is a file the port uses.
    static func arguments(_ key: String, in devargs: String) -> [String] {
        devargs.split(separator: ",", omittingEmptySubsequences: true).dropFirst()
            .filter { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    /// Whether `name` is a syntactically valid virtual device name: `net_` then a driver name, conventionally
    /// followed by an instance number (`net_tap0`). DPDK picks the driver by this prefix.
    static func isVirtualDeviceName(_ name: String) -> Bool {
        guard name.hasPrefix(virtualPrefix) else { return false }
        let rest = name.dropFirst(virtualPrefix.count)
        return !rest.isEmpty && rest.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    private static func isHex(_ text: Substring) -> Bool {
        text.allSatisfy { $0.isASCII && $0.isHexDigit }
    }
}
