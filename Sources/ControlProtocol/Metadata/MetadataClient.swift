/// One VM port as the metadata service sees it (`metadata.clients`): the link-local pool address its requests
/// arrive from (the caller's identity: the switch sets it from the port the request entered, whatever the
/// guest wrote), the port, and the instance behind it.
public struct MetadataClient: Codable, Sendable, Equatable {
    /// The port's pool address (IPv4, dotted quad): the source address of every request from this port.
    public var address: String
    /// The Sluice port the requests enter.
    public var port: String
    /// The instance id (the port's `metadata.instance-id`; the port's name when none is set).
    public var instanceID: String
    /// The guest's MAC address from the port's port security, if any (the `mac` document).
    public var mac: String?
    /// The guest's first IPv4 address from the port's port security, if any (the `local-ipv4` document).
    public var ipv4: String?
    /// The port's access VLAN, if any (the `sluice/vlan` document).
    public var vlan: Int?

    public init(
        address: String, port: String, instanceID: String, mac: String? = nil, ipv4: String? = nil, vlan: Int? = nil
    ) {
        self.address = address
        self.port = port
        self.instanceID = instanceID
        self.mac = mac
        self.ipv4 = ipv4
        self.vlan = vlan
    }
}
