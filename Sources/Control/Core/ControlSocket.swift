import ControlProtocol
import Foundation
import Glibc

/// The listening Unix socket: created with the configured mode and group, refusing to steal the socket of
/// a sluiced that is still running, removed again on close.
struct ControlSocket {
    let fd: Int32
    let path: String

    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    static func listen(path: String, mode: UInt32, group: String?) throws(SetupError) -> ControlSocket {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        guard let address = UnixSocketAddress(path: path) else {
            throw SetupError(description: "control.socket: path \(path) is longer than a Unix socket path may be")
        }
        var existing = stat()
        if lstat(path, &existing) == 0 {
            guard existing.st_mode & S_IFMT == S_IFSOCK else {
                throw SetupError(
                    description: "control.socket: \(path) exists and is not a socket; remove it or choose another path")
            }
            // Only a socket nobody listens on (ECONNREFUSED) is stale and removed; anything else — in use, a
            // full backlog, or a socket we may not even probe — is left alone and reported.
            switch address.probe() {
            case 0, EAGAIN:
                throw SetupError(description: "control.socket: \(path) is in use by a running sluiced (stop it first)")
            case ECONNREFUSED, ENOENT:
                unlink(path)  // a stale socket from a process that died
            case let error:
                throw SetupError(
                    description:
                        "control.socket: cannot tell whether \(path) is in use: \(String(cString: strerror(error)))")
            }
        }
        let fd = socket(
            AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else {
            throw SetupError(description: "control.socket: socket(): \(String(cString: strerror(errno)))")
        }
        // Created with no permissions for anyone else, opened up only once mode and group are set.
        let oldMask = umask(0o177)
        let e = address.bind(fd)
        umask(oldMask)
        guard e == 0 else {
            Glibc.close(fd)
            throw SetupError(description: "control.socket: cannot bind \(path): \(String(cString: strerror(e)))")
        }
        if let group {
            guard let entry = getgrnam(group) else {
                Glibc.close(fd)
                unlink(path)
                throw SetupError(description: "control.socket-group: no such group '\(group)'")
            }
            if chown(path, getuid(), entry.pointee.gr_gid) != 0 {
                let e = errno
                Glibc.close(fd)
                unlink(path)
                throw SetupError(description: "control.socket-group: chown \(path): \(String(cString: strerror(e)))")
            }
        }
        if chmod(path, mode_t(mode)) != 0 || Glibc.listen(fd, 128) != 0 {
            let e = errno
            Glibc.close(fd)
            unlink(path)
            throw SetupError(description: "control.socket: \(path): \(String(cString: strerror(e)))")
        }
        return ControlSocket(fd: fd, path: path)
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
    }
}

/// Who is on the other end of a connection (SO_PEERCRED), for the request log.
struct PeerCredentials: CustomStringConvertible {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    init(fd: Int32) {
        // struct ucred needs _GNU_SOURCE, which Swift's Glibc module does not define; same layout here.
        struct Ucred {
            var pid: Int32 = 0
            var uid: UInt32 = 0
            var gid: UInt32 = 0
        }
        var credentials = Ucred()
        var length = socklen_t(MemoryLayout<Ucred>.size)
        if getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 {
            pid = credentials.pid
            uid = credentials.uid
            gid = credentials.gid
        } else {
            pid = -1
            uid = .max
            gid = .max
        }
    }

    var description: String { "pid=\(pid) uid=\(uid) gid=\(gid)" }
}
