/// The rules of `type: vhost-user` ports.
extension Validator {
    /// Checks a vhost-user port's keys; returns its rx queue count (its queue pairs) if usable for the
    /// cross-key rules.
    func validateVhostUser(
        _ vhost: VhostUserConfig, of port: PortConfig, at path: String, mask: UInt64?,
        portByDevice: inout [String: Int], socketPaths: inout [String: Int], index: Int
    ) -> Int? {
        let key = { (name: String) in KeyPath.child(path, name) }

        // Configs built in code can set what the YAML decoder refuses.
        if !port.devargs.isEmpty {
            report(
                key("devargs"),
                "\(quoted(port.devargs)) is not used with type: vhost-user: Sluice generates the net_vhost devargs; leave it empty"
            )
        }
        if port.txQueues != nil {
            report(key("tx-queues"), "is not used with type: vhost-user: queues sets the queue pairs")
        }

        let socketPath = key("path")
        if isKnown(socketPath), validateSocketPath(vhost.path, at: socketPath) {
            // Compared by what they name: `/run/x/../x/a.sock` is `/run/x/a.sock`.
            let normalised = NormalisedPath.of(vhost.path)
            if let first = socketPaths[normalised] {
                report(
                    socketPath,
                    "\(NormalisedPath.describe(vhost.path, sameAs: config.ports[first].vhostUser?.path ?? normalised)) is already the socket of ports[\(first)]; each vhost-user port needs its own socket"
                )
            } else if isKnown("control.socket"), normalised == NormalisedPath.of(config.control.socketPath) {
                report(
                    socketPath,
                    "\(NormalisedPath.describe(vhost.path, sameAs: config.control.socketPath)) is control.socket, sluicectl's socket; give the vhost-user port its own socket"
                )
            } else {
                socketPaths[normalised] = index
            }
        }

        // net_vhost has no MTU operation: its MTU stays DPDK's default, and start-up refuses any other.
        if isKnown(key("mtu")), port.mtu != VhostUserConfig.mtu, Limits.mtu.contains(port.mtu) {
            report(
                key("mtu"),
                "\(port.mtu) cannot be set on a vhost-user port: DPDK's vhost driver (net_vhost) cannot change its MTU, which is \(VhostUserConfig.mtu); remove mtu or set it to \(VhostUserConfig.mtu) (the guest's virtio-net MTU is the guest's setting)"
            )
        }

        var queues: Int?
        let queuesPath = key("queues")
        if let value = checkRange(vhost.queues, Limits.queues, at: queuesPath) {
            queues = value
            if let mask, value < mask.nonzeroBitCount {
                let threads = mask.nonzeroBitCount
                report(
                    queuesPath,
                    "\(value) is fewer than the \(threads) PMD threads of eal.pmd-cpu-mask \(hex(mask)): each PMD thread transmits to the guest on a queue of its own, so a vhost-user port needs at least \(threads) queue pairs (and the guest should enable them, e.g. QEMU vhost-user queues=\(threads))"
                )
            }
            if isKnown(key("rx-queues")), port.rxQueues != value {
                report(
                    key("rx-queues"),
                    "\(port.rxQueues) differs from \(queuesPath) (\(value)): a vhost-user port's rx queues are its queue pairs"
                )
            }
        }

        if isKnown(key("name")), Self.isPortName(port.name) {
            let device = VhostUserConfig.deviceName(forPort: port.name)
            if let first = portByDevice[device] {
                report(
                    key("name"),
                    "gives the vhost-user device the name \(quoted(device)), which ports[\(first)] already uses; rename one of them"
                )
            } else {
                portByDevice[device] = index
            }
        }
        return queues
    }

    /// Whether `path` can be a vhost-user socket in net_vhost's devargs; reports why not.
    private func validateSocketPath(_ path: String, at keyPath: String) -> Bool {
        var valid = true
        if !path.hasPrefix("/") {
            report(
                keyPath,
                "\(quoted(path)) is not an absolute path; give the socket's full path, e.g. /run/sluice/vhost/vm1.sock")
            valid = false
        } else if path.hasSuffix("/") {
            report(
                keyPath,
                "\(quoted(path)) names a directory; give the socket file's path, e.g. /run/sluice/vhost/vm1.sock")
            valid = false
        }
        let bytes = path.utf8.count
        if bytes > Limits.socketPathBytes {
            report(
                keyPath,
                "\(quoted(path)) is \(bytes) bytes long; a Unix socket path can have at most \(Limits.socketPathBytes) bytes"
            )
            valid = false
        }
        if path.contains(where: { $0 == "," || $0 == "=" || $0.isWhitespace || $0 == "\0" }) {
            report(
                keyPath,
                "\(quoted(path)) contains a comma, an equals sign, whitespace or NUL, which DPDK device arguments cannot carry; choose another path"
            )
            valid = false
        }
        return valid
    }
}
