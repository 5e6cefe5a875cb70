/// File paths compared by what they name, not how they are spelled: `/run/x/../x/a.sock`, `//run/x/a.sock`
/// and `/run/x/./a.sock` are all `/run/x/a.sock`. Lexical only (Config does not look at the file system),
/// which is what the kernel does too for paths without symbolic links.
enum NormalisedPath {
    static func of(_ path: String) -> String {
        // Most paths are written normalised: a thousand vhost-user ports' sockets are checked on every change.
        if isNormal(path) { return path }
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

    /// Whether `path` is its own normalised form: absolute, without an empty, `.` or `..` component and
    /// without a trailing slash (`/` itself takes the long way).
    private static func isNormal(_ path: String) -> Bool {
        let (slash, dot) = (UInt8(ascii: "/"), UInt8(ascii: "."))
        guard path.utf8.first == slash else { return false }
        var (length, dots) = (0, 0)
        func isDotComponent() -> Bool { dots == length && length <= 2 }
        for byte in path.utf8.dropFirst() {
            if byte == slash {
                if length == 0 || isDotComponent() { return false }
                (length, dots) = (0, 0)
            } else {
                length += 1
                if byte == dot { dots += 1 }
            }
        }
        return length > 0 && !isDotComponent()
    }

    /// `"a" (the same file as "b")` when the spellings differ, so that a refusal shows why two paths clash.
    static func describe(_ path: String, sameAs other: String) -> String {
        path == other ? quoted(path) : "\(quoted(path)) (the same file as \(quoted(other)))"
    }
}
