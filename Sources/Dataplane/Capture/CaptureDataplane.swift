import ControlProtocol
import DPDK
import Pipeline

extension Dataplane {
    /// Creates the capture taps (one ring per PMD, copies from the packet pool) and the sessions, before the
    /// first generation (which copies the taps into its tables).
    func makeCaptures() {
        let sessions = CaptureSessions(
            taps: CaptureTaps(pmdCount: config.pmdLcores.count, pool: pool), tscHz: EAL.tscHz)
        sessions.synchronize = { [unowned self] in try self.waitForPMDGracePeriod() }
        captures = sessions
        CaptureSessions.current = sessions
    }

    /// Starts a capture of port `port`; an unknown port is refused naming it.
    public func startCapture(
        port: String, direction: String?, snapLength: Int?, count: Int?
    ) throws(CaptureError) -> CaptureSession {
        guard let live = self.port(named: port) else { throw CaptureError("port: no running port '\(port)'") }
        return try captures.start(
            port: port, portSlot: live.index, direction: direction, snapLength: snapLength, count: count)
    }

    /// The control loop's capture work, on every pass: copies from the rings into the sessions, sessions of
    /// gone clients or of ports that no longer run in the slot they were started on end.
    public func serviceCaptures() {
        captures.stopAll { name, slot in port(named: name)?.index != slot }
        captures.service()
    }
}
