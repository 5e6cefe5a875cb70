import ControlProtocol
import Foundation
import Glibc
import Logging

/// Serves the control socket on the control thread: a poll(2) loop over the listening socket and up to
/// `maxClients` connections, all non-blocking. The PMD threads never wait on it; it only reads their
/// counters. A client that sends garbage gets an error, one that sends too much or never reads its
/// answers is disconnected; neither can stall the loop.
public final class ControlServer {
    private let socket: ControlSocket
    private let dispatcher: RequestDispatcher
    private let logger: Logger
    private var clients: [Int32: Connection] = [:]

    public static let maxClients = 256
    /// A client whose unread answers exceed this is disconnected.
    public static let maxPendingOutput = 8 << 20

    public init(path: String, mode: UInt32, group: String?, handler: any ControlHandler, logger: Logger) throws {
        do {
            socket = try ControlSocket.listen(path: path, mode: mode, group: group)
        } catch {
            throw error
        }
        dispatcher = RequestDispatcher(handler: handler)
        self.logger = logger
    }

    public var path: String { socket.path }

    /// Serves requests until `shouldStop` returns true (checked at least every `tick` milliseconds), calling
    /// `periodic` on every pass (at least every tick): the control thread's housekeeping.
    public func run(tick: Int32 = 100, periodic: () -> Void = {}, until shouldStop: () -> Bool) {
        while !shouldStop() {
            periodic()
            var fds = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)]
            for (fd, connection) in clients {
                fds.append(pollfd(fd: fd, events: Int16(POLLIN) | (connection.output.isEmpty ? 0 : Int16(POLLOUT)), revents: 0))
            }
            let ready = poll(&fds, nfds_t(fds.count), tick)
            if ready < 0 && errno != EINTR {
                logger.error("control socket poll failed: \(String(cString: strerror(errno)))")
                return
            }
            guard ready > 0 else { continue }
            if fds[0].revents & Int16(POLLIN) != 0 { acceptClients() }
            for entry in fds.dropFirst() where entry.revents != 0 {
                service(fd: entry.fd, events: entry.revents)
            }
        }
    }

    /// Closes every connection and removes the socket file.
    public func close() {
        for fd in clients.keys { Glibc.close(fd) }
        clients.removeAll()
        socket.close()
    }

    private func acceptClients() {
        while true {
            let fd = accept(socket.fd, nil, nil)
            if fd < 0 { return }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            guard clients.count < Self.maxClients else {
                logger.warning("control socket: refusing a connection, \(Self.maxClients) clients already connected")
                Glibc.close(fd)
                continue
            }
            clients[fd] = Connection(peer: PeerCredentials(fd: fd))
        }
    }

    private func service(fd: Int32, events: Int16) {
        guard var connection = clients[fd] else { return }
        var keep = true
        if events & Int16(POLLIN) != 0 { keep = readRequests(fd: fd, into: &connection) }
        if keep && !connection.output.isEmpty { keep = flush(fd: fd, &connection) }
        if events & (Int16(POLLERR) | Int16(POLLNVAL)) != 0 { keep = false }
        if keep && connection.closeAfterFlush && connection.output.isEmpty { keep = false }
        if keep {
            clients[fd] = connection
        } else {
            clients[fd] = nil
            Glibc.close(fd)
        }
    }

    /// Reads what is available and answers every complete line; false when the connection should close.
    private func readRequests(fd: Int32, into connection: inout Connection) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return false }
            if n < 0 { return errno == EAGAIN || errno == EINTR }
            guard !connection.closeAfterFlush else { continue }  // discard input after a fatal error
            connection.input += chunk[..<n]
            while let newline = connection.input.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(connection.input[..<newline])
                connection.input.removeSubrange(...newline)
                guard line.contains(where: { !Self.isSpace($0) }) else { continue }
                let (answer, method) = dispatcher.answer(line)
                logger.info("request", metadata: ["method": "\(method ?? "-")", "peer": "\(connection.peer)"])
                connection.output += answer
                connection.output.append(UInt8(ascii: "\n"))
            }
            if connection.input.count > maxRequestBytes {
                logger.warning("control socket: request over \(maxRequestBytes) bytes from \(connection.peer); disconnecting")
                connection.output += dispatcher.errorLine(
                    RPCErrorObject(code: RPCErrorObject.requestTooLarge, message: "request exceeds \(maxRequestBytes) bytes"))
                connection.input.removeAll()
                connection.closeAfterFlush = true
            }
            if connection.output.count > Self.maxPendingOutput {
                logger.warning("control socket: client \(connection.peer) does not read its answers; disconnecting")
                return false
            }
        }
    }

    private func flush(fd: Int32, _ connection: inout Connection) -> Bool {
        while !connection.output.isEmpty {
            let n = connection.output.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { return errno == EAGAIN || errno == EINTR }
            connection.output.removeFirst(n)
        }
        return true
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
}

private struct Connection {
    var peer: PeerCredentials
    var input: [UInt8] = []
    var output: [UInt8] = []
    var closeAfterFlush = false
}
