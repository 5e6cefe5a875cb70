#if canImport(Glibc)
    import Glibc
#endif

/// A Unix stream socket's address, built once for the client, the control socket and vhost-user socket
/// checks alike, with the two calls they make on it.
public struct UnixSocketAddress: Sendable {
    public let path: String
    private let address: sockaddr_un

    /// Nil when `path` does not fit `sun_path` (with its terminating NUL).
    public init?(path: String) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        self.path = path
        self.address = address
    }

    /// `connect(2)` of `fd` to this address: 0, or the errno.
    public func connect(_ fd: Int32) -> Int32 {
        var address = address
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? 0 : errno
    }

    /// `bind(2)` of `fd` to this address: 0, or the errno.
    public func bind(_ fd: Int32) -> Int32 {
        var address = address
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? 0 : errno
    }

    /// Whether something listens here, found without blocking: 0 when it does, otherwise connect's errno —
    /// ECONNREFUSED for a stale socket nobody listens on (the only case a caller may remove it), EAGAIN for
    /// a listener whose backlog is full, ENOENT when there is nothing.
    public func probe() -> Int32 {
        let fd = socket(
            AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        return connect(fd)
    }
}
