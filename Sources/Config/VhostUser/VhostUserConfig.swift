/// What kind of device backs a port.
public enum PortType: String, Equatable, Sendable, CaseIterable {
    /// Any DPDK device, described by `devargs`.
    case dpdk
    /// A vhost-user socket shared with a QEMU guest; Sluice generates the `net_vhost` devargs.
    case vhostUser = "vhost-user"
}

/// Who owns a vhost-user socket.
public enum VhostUserMode: String, Equatable, Sendable, CaseIterable {
    /// QEMU listens on the socket (`server=on`), Sluice connects and reconnects whenever the socket is
    /// missing or the connection drops: Sluice can restart while guests keep running. The default.
    case client
    /// Sluice creates and listens on the socket; QEMU connects (`reconnect=1` so that it comes back after
    /// a restart of Sluice).
    case server
}

/// The settings of a `type: vhost-user` port.
public struct VhostUserConfig: Equatable, Sendable {
    /// The vhost-user socket's absolute path.
    public var path: String
    public var mode: VhostUserMode
    /// Queue pairs offered to the guest: rx queues polled by Sluice, and the most tx queues it can use.
    public var queues: Int

    public init(path: String, mode: VhostUserMode = .client, queues: Int = 1) {
        self.path = path
        self.mode = mode
        self.queues = queues
    }

    /// The `net_vhost` device arguments for a port whose DPDK device is called `deviceName`. Offloads stay
    /// at net_vhost's defaults: no TSO offered to the guest (so frames fit one mbuf), checksums the guest
    /// leaves to the host are completed in software on receive.
    public func devargs(deviceName: String) -> String {
        var arguments = "\(deviceName),iface=\(path),queues=\(queues)"
        if mode == .client { arguments += ",client=1" }
        return arguments
    }

    static let devicePrefix = "net_vhost_"

    /// RTE_ETHER_MTU: every ethdev's MTU until set, and net_vhost cannot set it.
    public static let mtu = 1500

    /// DPDK's device name for the vhost-user port called `portName`: `net_vhost_` and the name when it only
    /// has letters, digits and `_`; otherwise those characters (others replaced by `_`) and a hash of the
    /// full name, so that `vm-1` and `vm.1` stay distinct. At most 10 + 32 + 9 characters, within DPDK's
    /// 63-character device names.
    public static func deviceName(forPort portName: String) -> String {
        let plain = portName.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        if plain { return devicePrefix + portName }
        let mapped = String(portName.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        return devicePrefix + mapped + "_" + hex32(fnv1a(portName))
    }

    private static func fnv1a(_ text: String) -> UInt32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    private static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

extension PortConfig {
    /// A vhost-user port. Its rx queues are its queue pairs.
    public static func vhostUser(
        name: String, path: String, mode: VhostUserMode = .client, queues: Int = 1,
        rxDescriptors: Int = 1024, txDescriptors: Int = 1024, mtu: Int = 1500, admin: AdminState = .up,
        rxQueueAffinity: [Int]? = nil, vlan: VLANMode? = nil, maxMACs: Int? = nil,
        portSecurity: PortSecurityConfig? = nil, staticMACs: [StaticMACConfig] = []
    ) -> PortConfig {
        var port = PortConfig(
            name: name, devargs: "", rxQueues: queues, rxDescriptors: rxDescriptors, txDescriptors: txDescriptors,
            mtu: mtu, admin: admin, rxQueueAffinity: rxQueueAffinity, vlan: vlan, maxMACs: maxMACs,
            portSecurity: portSecurity, staticMACs: staticMACs)
        port.vhostUser = VhostUserConfig(path: path, mode: mode, queues: queues)
        return port
    }

    public var type: PortType { vhostUser == nil ? .dpdk : .vhostUser }

    /// The device arguments the dataplane probes: `devargs` as written, or the generated `net_vhost` ones.
    public var resolvedDevargs: String {
        guard let vhostUser else { return devargs }
        return vhostUser.devargs(deviceName: VhostUserConfig.deviceName(forPort: name))
    }
}
