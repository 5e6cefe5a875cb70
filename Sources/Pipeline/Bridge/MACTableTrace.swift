extension MACTableView {
    /// What `learn(key:port:now:)` would do now, without doing it: loads only (for traces, on the control
    /// thread). `refreshed` stands for a known entry on `port` whatever its age (a refresh or nothing). The
    /// answer can be overtaken by a learn on a PMD or by aging at any moment.
    public func predictLearn(key: UInt64, port: UInt16) -> (result: MACLearnResult, owner: UInt16?) {
        guard MACTableKey.isLearnableSource(key) else { return (.invalidSource, nil) }
        guard Int(port) < portCount else { return (.invalidSource, nil) }
        let found = search(key)
        let learned = portWord(port, PortWord.learned).pointee.load(ordering: .relaxed)
        let limit = portWord(port, PortWord.limit).pointee.load(ordering: .relaxed)
        if found.live >= 0 {
            let v = found.value
            let current = Self.port(of: v)
            if v & Self.publishedBit == 0 { return (.unchanged, nil) }
            if v & Self.staticBit != 0 { return (current == port ? .unchanged : .staticConflict, current) }
            if current == port { return (.refreshed, port) }
            return learned < limit ? (.moved, port) : (.limitReached, current)
        }
        if controlWords[0].load(ordering: .acquiring) != 0 { return (.learningPaused, nil) }
        if learned >= limit { return (.limitReached, nil) }
        if found.claimable < 0 { return (.tableFull, nil) }
        return (.learned, port)
    }
}
