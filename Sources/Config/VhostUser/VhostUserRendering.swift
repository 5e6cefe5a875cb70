extension PortConfig {
    /// A vhost-user port's keys; nothing for other ports (`type: dpdk` is the default and left out).
    var vhostUserEntries: [ConfigDocument.Entry] {
        guard let vhostUser else { return [] }
        return ConfigDocument.entries([
            "type": .string(PortType.vhostUser.rawValue),
            "path": .string(vhostUser.path),
            "mode": .string(vhostUser.mode.rawValue),
            "queues": .int(vhostUser.queues),
        ])
    }
}
