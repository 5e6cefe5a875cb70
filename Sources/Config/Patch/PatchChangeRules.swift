extension ChangeRules {
    /// Patches are peers in each generation's tables. The plan compares them as a set of unordered pairs
    /// itself (`ConfigPlan.patchChange`).
    static let patches = [
        ChangeRule("patches", .inPlace)
    ]
}
