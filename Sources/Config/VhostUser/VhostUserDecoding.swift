import Yams

/// Decoding of a `type: vhost-user` port's keys, and the refusal of those keys on other ports.
extension ConfigDecoder {
    /// On a port of another type: the vhost-user keys (`path`, `mode`, `queues`) are mistakes.
    func rejectVhostUserKeys(of section: YAMLWalker.Mapping) {
        for key in ConfigKeys.vhostUserPort where section.contains(key) {
            log.reject(
                section.path(of: key),
                "only applies to vhost-user ports; add type: vhost-user (and remove devargs), or remove \(key)")
        }
    }

    /// The vhost-user keys of a port; its rx queues are its queue pairs.
    func decodeVhostUser(_ section: YAMLWalker.Mapping, port: inout PortConfig) -> VhostUserConfig {
        var vhost = VhostUserConfig(path: "")
        for key in ConfigKeys.notForVhostUser where section.contains(key) {
            let reason =
                key == "devargs"
                ? "Sluice generates the net_vhost devargs from path, mode and queues"
                : "queues sets the queue pairs (rx and tx) of a vhost-user port"
            log.reject(section.path(of: key), "is not used with type: vhost-user: \(reason); remove it")
        }
        if let node = section.required(
            "path", hint: "the vhost-user socket's absolute path, e.g. /run/sluice/vhost/vm1.sock")
        {
            vhost.path = walker.string(node, at: section.path(of: "path")) ?? ""
        }
        if let node = section.defaulted("mode", default: VhostUserMode.client.rawValue),
            let word = walker.keyword(
                node, at: section.path(of: "mode"), allowed: VhostUserMode.allCases.map(\.rawValue)),
            let mode = VhostUserMode(rawValue: word)
        {
            vhost.mode = mode
        }
        readInteger("queues", of: section, into: &vhost.queues)
        if log.isUndecodable(section.path(of: "queues")) {
            // Rules on the rx queue count (pmd-rxq-affinity) cannot be checked either.
            log.markUndecodable(section.path(of: "rx-queues"))
        }
        port.rxQueues = vhost.queues
        return vhost
    }
}
