extension ChangeRules {
    /// The control socket is bound once at startup, and is the channel a change would arrive through.
    static let control = [
        ChangeRule("control", .restart)
    ]
}
