/// Two ports that are secretly one device: different DPDK device names, but the same kernel interface
/// (net_tap's `iface=`) or the same capture file (net_pcap's `tx_pcap=`). DPDK would either fail on the
/// second (the tap interface exists) or let both write one file, each truncating the other's frames.
extension Validator {
    func validateSharedDevices() {
        var tapInterfaces: [String: (index: Int, devargs: String)] = [:]
        var pcapFiles: [String: (key: String, path: String, writes: Bool)] = [:]
        for (index, port) in config.ports.enumerated() where port.vhostUser == nil {
            let path = KeyPath.child(KeyPath.element("ports", index), "devargs")
            guard isKnown(path) else { continue }
            let name = port.deviceName
            if name.hasPrefix(Devargs.tapPrefix), let iface = Devargs.argument("iface", in: port.devargs) {
                if let first = tapInterfaces[iface] {
                    report(
                        path,
                        "creates the tap interface \(quoted(iface)) (iface=), which ports[\(first.index)].devargs "
                            + "(\(quoted(first.devargs))) already creates; two ports cannot share one interface, "
                            + "give each its own iface=")
                } else {
                    tapInterfaces[iface] = (index, port.devargs)
                }
            }
            guard name.hasPrefix(Devargs.pcapPrefix) else { continue }
            // A file written by one port cannot be another's output, nor anyone's input (it is truncated).
            // Every repeated rx_pcap=/tx_pcap= is a queue of its own, with its own file.
            let files = [("rx_pcap", false), ("tx_pcap", true)].flatMap { argument, writes in
                Devargs.arguments(argument, in: port.devargs).map { (argument, writes, $0) }
            }
            for (argument, writes, file) in files {
                let key = "\(path) \(argument)="
                let normalised = NormalisedPath.of(file)
                if let first = pcapFiles[normalised], writes || first.writes {
                    report(
                        path,
                        "\(argument)=\(NormalisedPath.describe(file, sameAs: first.path)) is the file of "
                            + "\(first.key); a capture file written by one port cannot be read or written by "
                            + "another: give each tx_pcap its own file")
                } else if pcapFiles[normalised] == nil || writes {
                    pcapFiles[normalised] = (key, file, writes)
                }
            }
        }
    }
}
