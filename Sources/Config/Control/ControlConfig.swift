/// The Unix control socket that `sluicectl` talks to.
public struct ControlConfig: Equatable, Sendable {
    public var socketPath: String
    /// Group that owns the socket, so that non-root operators in it can use `sluicectl`; nil keeps root's.
    public var socketGroup: String?
    /// Permission bits of the socket file (the file mode is what grants access to a Unix socket).
    public var socketMode: UInt32

    public init(
        socketPath: String = "/run/sluice/sluice.sock",
        socketGroup: String? = nil,
        socketMode: UInt32 = 0o660
    ) {
        self.socketPath = socketPath
        self.socketGroup = socketGroup
        self.socketMode = socketMode
    }
}
