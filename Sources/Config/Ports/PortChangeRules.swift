extension ChangeRules {
    /// The port list and a port's own keys. Ports are added and removed while running; a port key that no
    /// row lists reopens the device (devargs, queues, descriptors, mtu, pmd-rxq-affinity: all of them are
    /// applied when the device is configured). `admin` only changes the port's enabled state.
    static let ports = [
        ChangeRule("ports", .inPlace),
        ChangeRule("ports[]", .reopenDevice),
        ChangeRule("ports[].devargs", .reopenDevice),
        ChangeRule("ports[].rx-queues", .reopenDevice),
        ChangeRule("ports[].tx-queues", .reopenDevice),
        ChangeRule("ports[].rx-descriptors", .reopenDevice),
        ChangeRule("ports[].tx-descriptors", .reopenDevice),
        ChangeRule("ports[].mtu", .reopenDevice),
        ChangeRule("ports[].pmd-rxq-affinity", .reopenDevice),
        ChangeRule("ports[].admin", .inPlace),
    ]
}
