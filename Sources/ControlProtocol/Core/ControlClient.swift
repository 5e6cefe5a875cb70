import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking client of sluiced's control socket, for sluicectl and tests.
public final class ControlClient {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID = 1

    public enum ClientError: Error, CustomStringConvertible {
        case connect(path: String, errno: Int32)
        case io(String)
        case protocolError(String)
        case server(RPCErrorObject)

        public var description: String {
            switch self {
            case .connect(let path, let e):
                "cannot connect to \(path): \(String(cString: strerror(e)))"
                    + (e == ENOENT || e == ECONNREFUSED ? " (is sluiced running? see --socket)" : "")
            case .io(let message): message
            case .protocolError(let message): "unexpected answer from sluiced: \(message)"
            case .server(let error): "sluiced: \(error.message)"
            }
        }
    }

    /// Connects; `timeout` bounds every later read and write.
    public init(socketPath: String, timeout: Duration = .seconds(10)) throws(ClientError) {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .connect(path: socketPath, errno: errno) }
        guard let address = UnixSocketAddress(path: socketPath) else {
            close(fd)
            throw .connect(path: socketPath, errno: ENAMETOOLONG)
        }
        let seconds = timeout.components.seconds
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let e = address.connect(fd)
        if e != 0 {
            close(fd)
            throw .connect(path: socketPath, errno: e)
        }
    }

    deinit { close(fd) }

    /// Calls the method named `method` and decodes its result as `Result` (for methods the client has no
    /// descriptor of, and tests of the wire format; otherwise use the typed calls below).
    public func call<Params: Codable & Sendable, Result: Codable & Sendable>(
        _ method: String, params: Params, as: Result.Type = Result.self
    ) throws(ClientError) -> Result {
        let id = nextID
        nextID += 1
        let line: Data
        do {
            line = try JSONEncoder().encode(RPCRequest(id: .number(id), method: method, params: params))
        } catch {
            throw .protocolError("cannot encode request: \(error)")
        }
        try send(Array(line) + [UInt8(ascii: "\n")])
        let answer = try receiveLine()
        let response: RPCResponse<Result>
        do {
            response = try JSONDecoder().decode(RPCResponse<Result>.self, from: Data(answer))
        } catch {
            throw .protocolError("\(error)")
        }
        if let error = response.error { throw .server(error) }
        guard let result = response.result else { throw .protocolError("response has neither result nor error") }
        return result
    }

    /// Calls `method` with `params`.
    public func call<Params, Result>(
        _ method: RPCMethod<Params, Result>, _ params: Params
    ) throws(ClientError) -> Result {
        try call(method.name, params: params, as: Result.self)
    }

    /// Calls a method that takes no params (sent as `{}`).
    public func call<Result>(_ method: RPCMethod<NoParams, Result>) throws(ClientError) -> Result {
        try call(method.name, params: NoParams(), as: Result.self)
    }

    /// Sends raw bytes (for tests of malformed input).
    public func send(_ bytes: [UInt8]) throws(ClientError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("write to control socket failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Reads one newline-terminated line (without the newline).
    public func receiveLine() throws(ClientError) -> [UInt8] {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(
                    errno == EAGAIN
                        ? "timed out waiting for sluiced"
                        : "read from control socket failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw .io("sluiced closed the connection") }
            buffer += chunk[..<n]
        }
    }
}
