/// File paths compared by what they name, not how they are spelled: `/run/x/../x/a.sock`, `//run/x/a.sock`
/// and `/run/x/./a.sock` are all `/run/x/a.sock`. Lexical only (Config does not look at the file system),
/// which is what the kernel does too for paths without symbolic links.
enum NormalisedPath {
    static func of(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                if let last = components.last, last != ".." {
                    components.removeLast()
                } else if !absolute {
                    components.append(component)
                }  // `/..` is `/`
            default: components.append(component)
            }
        }
        let joined = components.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// `"a" (the same file as "b")` when the spellings differ, so that a refusal shows why two paths clash.
    static func describe(_ path: String, sameAs other: String) -> String {
        path == other ? quoted(path) : "\(quoted(path)) (the same file as \(quoted(other)))"
    }
}
