/// The Unix control socket that `sluicectl` talks to.
public struct ControlConfig: Equatable, Sendable {
    public var socketPath: String
    /// Group that owns the socket, so that non-root operators in it can use `sluicectl`; nil keeps root's.
    public var socketGroup: String?
    /// Permission bits of the socket file (the file mode is what grants access to a Unix socket).
    public var socketMode: UInt32
    /// How long a PMD may go without a quiescent state before it counts as stalled: a change waiting for
    /// it fails naming it, health reports it, and shutdown stops waiting for it to stop.
    public var pmdStallTimeoutSeconds: Int

    public init(
        socketPath: String = "/run/sluice/sluice.sock",
        socketGroup: String? = nil,
        socketMode: UInt32 = 0o660,
        pmdStallTimeoutSeconds: Int = 5
    ) {
        self.socketPath = socketPath
        self.socketGroup = socketGroup
        self.socketMode = socketMode
        self.pmdStallTimeoutSeconds = pmdStallTimeoutSeconds
    }

    /// The allowed range of `pmd-stall-timeout-seconds`.
    public static let pmdStallTimeoutRange = 1...3600
}
