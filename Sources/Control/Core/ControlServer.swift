import ControlProtocol
import Foundation
import Glibc
import Logging

/// Serves the control socket on the control thread: a poll(2) loop over the listening socket and up to
/// `limits.maxClients` connections, all non-blocking. The PMD threads never wait on it; it only reads their
/// counters. A client that sends garbage gets an error; one that sends too much, never reads its answers or
/// stays silent too long is disconnected; none of them can stall the loop or starve the other clients.
public final class ControlServer {
    private let socket: ControlSocket
    private let dispatcher: RequestDispatcher
    private let logger: Logger
    private let limits: Limits
    private var clients: [Int32: Connection] = [:]
    /// accept(2) is failing for want of descriptors (logged once until it works again).
    private var acceptFailing = false
    private var acceptFailedAt: ContinuousClock.Instant?
    /// Said once per episode of failing accepts, not once per retry.
    private var acceptFailureReported = false
    static let acceptsPerPass = 64

    /// What one client may cost the server. The defaults are what sluiced uses; tests shrink them.
    public struct Limits: Sendable {
        /// Connections beyond this are accepted and closed at once.
        public var maxClients: Int
        /// A client whose unread answers exceed this many bytes is disconnected.
        public var maxPendingOutput: Int
        /// A connection on which nothing was read or written for this long is closed: a client that connects
        /// and sends nothing, stops in the middle of a line, or stops reading its answers.
        public var idleTimeout: Duration

        public init(
            maxClients: Int = ControlServer.maxClients, maxPendingOutput: Int = ControlServer.maxPendingOutput,
            idleTimeout: Duration = ControlServer.idleTimeout
        ) {
            self.maxClients = maxClients
            self.maxPendingOutput = maxPendingOutput
            self.idleTimeout = idleTimeout
        }
    }

    public static let maxClients = 256
    /// A client whose unread answers exceed this is disconnected.
    public static let maxPendingOutput = 8 << 20
    public static let idleTimeout: Duration = .seconds(60)
    /// Bytes read from one connection per pass of the loop, so that a client streaming requests cannot
    /// starve the others (poll is level-triggered: the rest is read on the next pass).
    static let readBudget = 4 * 65536

    public init(
        path: String, mode: UInt32, group: String?, methods: ControlMethodRegistry, logger: Logger,
        limits: Limits = Limits()
    ) throws {
        socket = try ControlSocket.listen(path: path, mode: mode, group: group)
        dispatcher = RequestDispatcher(methods: methods)
        self.logger = logger
        self.limits = limits
    }

    public var path: String { socket.path }

    /// Connections currently open (for tests and the log).
    public var clientCount: Int { clients.count }

    /// Serves requests until `shouldStop` returns true (checked at least every `tick` milliseconds), calling
    /// `periodic` on every pass (at least every tick): the control thread's housekeeping.
    public func run(tick: Int32 = 100, periodic: () -> Void = {}, until shouldStop: () -> Bool) {
        while !shouldStop() {
            periodic()
            closeIdleClients()
            // While accept fails for want of descriptors the pending connection stays queued and poll would
            // report it at once on every pass: the listening socket sits out a second instead of spinning.
            if acceptFailing, let since = acceptFailedAt, ContinuousClock.now - since > .seconds(1) {
                acceptFailing = false
            }
            var fds = [pollfd(fd: acceptFailing ? -1 : socket.fd, events: Int16(POLLIN), revents: 0)]
            for (fd, connection) in clients {
                let events =
                    (connection.readsMore ? Int16(POLLIN) : 0) | (connection.output.isEmpty ? 0 : Int16(POLLOUT))
                fds.append(pollfd(fd: fd, events: events, revents: 0))
            }
            let ready = poll(&fds, nfds_t(fds.count), tick)
            if ready < 0 && errno != EINTR {
                // Transient (ENOMEM): returning would shut the whole dataplane down with the control loop.
                // Say it, back off one tick, and keep serving.
                logger.error("control socket poll failed: \(String(cString: strerror(errno))); retrying")
                usleep(useconds_t(max(tick, 1)) * 1000)
                continue
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
        // Bounded, so that clients connecting in a loop cannot keep the control thread in here.
        for _ in 0..<Self.acceptsPerPass {
            let fd = accept(socket.fd, nil, nil)  // accept4 needs _GNU_SOURCE, which Swift's Glibc lacks
            if fd < 0 {
                if errno == EMFILE || errno == ENFILE {
                    if !acceptFailureReported {
                        logger.error(
                            "control socket: cannot accept: \(String(cString: strerror(errno))); retrying every second")
                        acceptFailureReported = true
                    }
                    acceptFailing = true
                    acceptFailedAt = .now
                }
                return
            }
            acceptFailing = false
            acceptFailureReported = false
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let peer = PeerCredentials(fd: fd)
            guard clients.count < limits.maxClients else {
                logger.warning("control socket: refusing \(peer), \(limits.maxClients) clients already connected")
                Glibc.close(fd)
                continue
            }
            clients[fd] = Connection(peer: peer, lastActivity: .now)
        }
    }

    /// Closes the connections on which nothing happened for `limits.idleTimeout`.
    private func closeIdleClients() {
        let now = ContinuousClock.now
        for (fd, connection) in clients where now - connection.lastActivity > limits.idleTimeout {
            let state =
                connection.output.isEmpty
                ? (connection.input.isEmpty ? "sent nothing" : "sent an incomplete request")
                : "does not read its answers"
            logger.warning(
                "control socket: client \(connection.peer) \(state) for \(limits.idleTimeout); disconnecting")
            clients[fd] = nil
            Glibc.close(fd)
        }
    }

    private func service(fd: Int32, events: Int16) {
        guard var connection = clients[fd] else { return }
        var keep = true
        if connection.readsMore && events & (Int16(POLLIN) | Int16(POLLHUP)) != 0 {
            keep = readRequests(fd: fd, into: &connection)
        }
        if keep && !connection.output.isEmpty { keep = flush(fd: fd, &connection) }
        if events & (Int16(POLLERR) | Int16(POLLNVAL)) != 0 { keep = false }
        // Done: an error was answered, or the client finished sending; either way once its answers are out.
        if keep && !connection.readsMore && connection.output.isEmpty { keep = false }
        if keep && connection.queuedBeforeLatestAnswer > limits.maxPendingOutput {
            logger.warning("control socket: client \(connection.peer) does not read its answers; disconnecting")
            keep = false
        }
        if keep {
            clients[fd] = connection
        } else {
            clients[fd] = nil
            Glibc.close(fd)
        }
    }

    /// Reads what is available (up to the read budget) and answers every complete line; false when the
    /// connection should close at once.
    private func readRequests(fd: Int32, into connection: inout Connection) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var budget = Self.readBudget
        while budget > 0 && connection.readsMore {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return errno == EAGAIN || errno == EINTR }
            connection.lastActivity = .now
            if n == 0 {
                // The client has finished sending (it may still read: `printf ... | socat`). A last request
                // without its newline is answered too; the connection closes once the answers are sent.
                connection.peerFinished = true
                if connection.input.contains(where: { !Self.isSpace($0) && $0 != UInt8(ascii: "\n") }) {
                    answer(line: connection.input[...], on: &connection)
                }
                connection.input.removeAll()
                return true
            }
            budget -= n
            let scanFrom = connection.input.count
            connection.input += chunk[..<n]
            let withinLimit = answerCompleteLines(in: &connection, scanFrom: scanFrom)
            if !withinLimit || connection.input.count > maxRequestBytes {
                logger.warning(
                    "control socket: request over \(maxRequestBytes) bytes from \(connection.peer); disconnecting")
                connection.output += dispatcher.errorLine(
                    RPCErrorObject(
                        code: RPCErrorObject.requestTooLarge, message: "request exceeds \(maxRequestBytes) bytes"))
                connection.output.append(UInt8(ascii: "\n"))
                connection.input.removeAll()
                connection.rejected = true  // nothing more is read; closed once the error is sent
            }
            if connection.queuedBeforeLatestAnswer > limits.maxPendingOutput { return true }  // service() disconnects
        }
        return true
    }

    /// Answers the complete lines in the input buffer and drops them from it; false (answering nothing more)
    /// at a line over `maxRequestBytes`. `scanFrom`: where new bytes start (no newline before it), so a long
    /// line arriving in chunks is scanned once.
    private func answerCompleteLines(in connection: inout Connection, scanFrom: Int) -> Bool {
        var lineStart = 0
        var index = scanFrom
        let input = connection.input
        defer { if lineStart > 0 { connection.input.removeSubrange(..<lineStart) } }
        while let newline = input[index...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = input[lineStart..<newline]
            guard line.count <= maxRequestBytes else { return false }
            lineStart = newline + 1
            index = lineStart
            if line.contains(where: { !Self.isSpace($0) }) { answer(line: line, on: &connection) }
        }
        return true
    }

    private func answer(line: ArraySlice<UInt8>, on connection: inout Connection) {
        let (answer, method) = dispatcher.answer(Array(line))
        logger.info("request", metadata: ["method": "\(method ?? "-")", "peer": "\(connection.peer)"])
        // A notification is answered with nothing: no line, and nothing added to what the client left unread.
        guard let answer else { return }
        connection.queuedBeforeLatestAnswer = connection.output.count
        connection.output += answer
        connection.output.append(UInt8(ascii: "\n"))
    }

    private func flush(fd: Int32, _ connection: inout Connection) -> Bool {
        var sent = 0
        defer {
            if sent > 0 {
                connection.output.removeFirst(sent)
                connection.queuedBeforeLatestAnswer = max(0, connection.queuedBeforeLatestAnswer - sent)
            }
        }
        while sent < connection.output.count {
            let n = connection.output[sent...].withUnsafeBytes {
                send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n < 0 { return errno == EAGAIN || errno == EINTR }
            sent += n
            connection.lastActivity = .now
        }
        return true
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
}

private struct Connection {
    var peer: PeerCredentials
    var lastActivity: ContinuousClock.Instant
    var input: [UInt8] = []
    var output: [UInt8] = []
    /// Unsent bytes queued before the newest answer: what the client left unread. The output cap applies to
    /// this, so one large answer (a big MAC table) is never cut off, while a client that keeps asking without
    /// reading is.
    var queuedBeforeLatestAnswer = 0
    /// The client sent EOF: nothing more to read.
    var peerFinished = false
    /// The client was sent a fatal error (request too large): nothing more is read.
    var rejected = false

    var readsMore: Bool { !peerFinished && !rejected }
}
