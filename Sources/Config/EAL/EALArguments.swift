extension SluiceConfig {
    /// PMD lcores in ascending order: one PMD thread per set bit of `eal.pmdCPUMask`.
    public var pmdLcores: [Int] { eal.pmdLcores }

    /// The argv for `rte_eal_init`, derived entirely from the configuration (see docs/configuration.md).
    ///
    /// Virtual devices are not passed with `--vdev`: the dataplane hot-plugs them after EAL is up.
    public func ealArguments(program: String) -> [String] {
        let main = eal.mainLcore
        let lcores = [main] + pmdLcores.filter { $0 != main }
        var arguments =
            [program] + eal.lcoreArguments(lcores) + [
                "--main-lcore", String(main),
                "--file-prefix", eal.filePrefix,
            ]
        if let socketMem = eal.socketMem {
            arguments += ["--socket-mem", socketMem]
        }
        switch eal.memory {
        case .hugeUnlink: arguments.append("--huge-unlink")
        case .inMemory: arguments.append("--in-memory")
        case .noHuge(let megabytes): arguments += ["--no-huge", "-m", String(megabytes)]
        }
        let pciPorts = ports.filter(\.isPCI)
        if pciPorts.isEmpty {
            // Without it EAL probes every PCI device bound to a DPDK-capable driver on the machine.
            arguments.append("--no-pci")
        } else {
            for port in pciPorts {
                arguments += ["-a", port.devargs]
            }
        }
        if ports.contains(where: { $0.vhostUser != nil }) {
            // The vhost library logs every message of every guest's (re)connection at info level; keep
            // warnings and errors. Before extra-args, so that an operator's own --log-level wins.
            arguments.append("--log-level=lib.vhost.config:warning")
        }
        return arguments + eal.extraArgs
    }
}
