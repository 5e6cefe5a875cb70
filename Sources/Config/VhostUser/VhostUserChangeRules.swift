extension ChangeRules {
    /// A vhost-user port's socket, its owner and its queue pairs are net_vhost devargs: any change reopens
    /// the device, and so does turning a port into a vhost-user port or back (`type`).
    static let vhostUser = [
        ChangeRule("ports[].type", .reopenDevice),
        ChangeRule("ports[].path", .reopenDevice),
        ChangeRule("ports[].mode", .reopenDevice),
        ChangeRule("ports[].queues", .reopenDevice),
    ]
}
