/// "Did you mean" for misspelt keys and keywords.
enum KeySuggestion {
    /// The allowed word most likely meant by `word`, or nil if none is close enough to be a plausible typo.
    /// Spelling variants that only differ in case and separators (`rx_queues`, `rxQueues`) always match.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let normalizedWord = normalize(word)
        if let exact = candidates.first(where: { normalize($0) == normalizedWord }) {
            return exact
        }
        // Up to one edit per three characters: enough for a transposition or a slip in a short key, not so
        // much that unrelated short words are offered.
        let threshold = max(1, word.count / 3)
        let scored = candidates.map { (candidate: $0, distance: editDistance(normalizedWord, normalize($0))) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= threshold else {
            return nil
        }
        return best.candidate
    }

    private static func normalize(_ word: String) -> [Character] {
        Array(word.lowercased().filter { $0 != "-" && $0 != "_" })
    }

    /// Optimal string alignment distance: Levenshtein plus adjacent transpositions, the commonest typo.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Keys are short; bail out on pathological input instead of allocating a huge matrix.
        if a.count > 256 || b.count > 256 { return max(a.count, b.count) }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }
}
