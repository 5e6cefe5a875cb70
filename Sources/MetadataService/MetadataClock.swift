/// The service's time: a monotonic offset from the service's start. Tokens never outlive the process (their key
/// is generated at start), so nothing needs the wall clock, and tests drive expiry with a virtual clock.
public struct MetadataClock: Sendable {
    public let now: @Sendable () -> Duration

    public init(now: @escaping @Sendable () -> Duration) {
        self.now = now
    }

    /// The process's monotonic clock, counted from this call.
    public static func continuous() -> MetadataClock {
        let start = ContinuousClock.now
        return MetadataClock { ContinuousClock.now - start }
    }
}

extension Duration {
    /// Whole milliseconds (rounded down), as tokens carry them.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
