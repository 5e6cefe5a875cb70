extension ChangeRules {
    /// The document `file` with every setting that can change at run time taken from `state`: what the table
    /// says needs a restart stays as the configuration file has it, everything else is the state's.
    ///
    /// Works on documents, so that a feature's new keys are carried over by their rows alone. A subtree
    /// without restart settings is taken from `state` whole (the port list, the patches), one with nothing
    /// else from `file` whole (eal); a mapping mixing both (l2) is merged key by key. A list mixing both
    /// cannot be merged element by element, so it stays the file's: the state never overrides a restart
    /// setting.
    func runtimeSettings(
        of state: ConfigDocument?, over file: ConfigDocument?, at path: String = ""
    ) -> ConfigDocument? {
        let kinds = kinds(within: path)
        if !kinds.contains(.restart) { return state }
        if kinds == [.restart] { return file }
        let fileEntries: [ConfigDocument.Entry]
        let stateEntries: [ConfigDocument.Entry]
        switch (file, state) {
        case (nil, nil): return nil
        case (.mapping(let entries)?, nil): (fileEntries, stateEntries) = (entries, [])
        case (nil, .mapping(let entries)?): (fileEntries, stateEntries) = ([], entries)
        case (.mapping(let first)?, .mapping(let second)?): (fileEntries, stateEntries) = (first, second)
        default: return file
        }
        let fileKeys = fileEntries.map(\.key)
        let keys = fileKeys + stateEntries.map(\.key).filter { !fileKeys.contains($0) }
        return .mapping(
            keys.compactMap { key in
                runtimeSettings(of: state?[key], over: file?[key], at: KeyPath.child(path, key))
                    .map { ConfigDocument.Entry(key, $0) }
            })
    }
}
