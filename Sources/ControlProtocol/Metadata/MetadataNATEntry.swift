/// One live flow of the metadata intercept's NAT table (`metadata.nat`): a guest's connection to the
/// intercepted address, as the service sees it (from the port's pool address) and as the guest wrote it.
public struct MetadataNATEntry: Codable, Sendable, Equatable {
    /// The NAT entries each served port has (`MetadataNAT.entriesPerPort` of the dataplane, which a test keeps
    /// equal): the most concurrent requests of one port.
    public static var entriesPerPort: Int { 256 }

    /// The VM port the request entered.
    public var port: String
    /// The port's pool address: the request's source towards the service.
    public var poolAddress: String
    /// The guest's TCP source port (kept through the rewrite).
    public var guestPort: Int
    /// The source address, MAC and destination MAC the guest used (the reply goes back with them).
    public var guestAddress: String
    public var guestMAC: String
    public var addressedMAC: String
    /// A FIN or RST was seen: the entry goes after `metadata.nat-linger-seconds`.
    public var closing: Bool
    /// Seconds since the flow's last packet.
    public var idleSeconds: Double

    public init(
        port: String, poolAddress: String, guestPort: Int, guestAddress: String, guestMAC: String,
        addressedMAC: String, closing: Bool, idleSeconds: Double
    ) {
        self.port = port
        self.poolAddress = poolAddress
        self.guestPort = guestPort
        self.guestAddress = guestAddress
        self.guestMAC = guestMAC
        self.addressedMAC = addressedMAC
        self.closing = closing
        self.idleSeconds = idleSeconds
    }
}
