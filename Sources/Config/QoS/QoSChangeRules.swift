extension ChangeRules {
    /// A port's limits live in each generation's tables (the buckets' tokens in memory that outlives them):
    /// every key changes in place, for that port alone. A bucket whose settings change starts again full,
    /// with its one-time burst; the buckets of other ports and of unchanged directions keep their tokens.
    static let qos = [
        ChangeRule("ports[].qos", .inPlace)
    ]
}
