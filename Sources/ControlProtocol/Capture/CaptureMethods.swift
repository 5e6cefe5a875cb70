/// Packet capture (docs/capture.md): sessions that copy a port's frames to the client (`sluicectl capture`).
public enum CaptureMethods {
    /// Starts a session; returns it (with its `id`).
    public static let start = RPCMethod<CaptureStartParams, CaptureSession>("capture.start", params: .required)
    /// The frames captured since the last read (at most `max`), the losses, and whether the session is over.
    public static let read = RPCMethod<CaptureReadParams, CaptureBatch>("capture.read", params: .required)
    /// Ends a session; returns the frames still buffered for it.
    public static let stop = RPCMethod<CaptureIDParams, CaptureBatch>("capture.stop", params: .required)
    /// The running sessions.
    public static let list = RPCMethod<NoParams, [CaptureSession]>("capture.list")
}

/// Parameters of `capture.start`.
public struct CaptureStartParams: Codable, Sendable, Equatable {
    public var port: String
    /// `in` (as received, before any stage), `out` (as handed to the port's tx, after every stage) or `both`.
    public var direction: String?
    /// Bytes kept of each frame (default 65535; frames are cut at the packet buffer's size in any case).
    public var snaplen: Int?
    /// Frames after which the session ends by itself (default: none).
    public var count: Int?

    public init(port: String, direction: String? = nil, snaplen: Int? = nil, count: Int? = nil) {
        self.port = port
        self.direction = direction
        self.snaplen = snaplen
        self.count = count
    }
}

/// Parameters of `capture.read`.
public struct CaptureReadParams: Codable, Sendable, Equatable {
    public var id: UInt64
    /// The most frames returned (default 256, at most 4096).
    public var max: Int?

    public init(id: UInt64, max: Int? = nil) {
        self.id = id
        self.max = max
    }
}

/// Parameters of `capture.stop`.
public struct CaptureIDParams: Codable, Sendable, Equatable {
    public var id: UInt64

    public init(id: UInt64) { self.id = id }
}

/// A capture session as `capture.start` and `capture.list` show it.
public struct CaptureSession: Codable, Sendable, Equatable {
    public var id: UInt64
    public var port: String
    public var direction: String
    public var snaplen: Int
    /// 0: no limit.
    public var count: Int
    /// Frames taken for the client so far.
    public var captured: UInt64
    /// Frames that could not be copied (capture ring full, no packet buffer) or buffered for the client.
    public var lost: UInt64
    /// Frames waiting for the client's next read.
    public var buffered: Int

    public init(
        id: UInt64, port: String, direction: String, snaplen: Int, count: Int, captured: UInt64, lost: UInt64,
        buffered: Int
    ) {
        self.id = id
        self.port = port
        self.direction = direction
        self.snaplen = snaplen
        self.count = count
        self.captured = captured
        self.lost = lost
        self.buffered = buffered
    }
}

/// One captured frame.
public struct CapturedFrame: Codable, Sendable, Equatable {
    /// Wall-clock time of the copy: seconds and nanoseconds since the Unix epoch.
    public var seconds: Int64
    public var nanoseconds: Int32
    /// `in` or `out`.
    public var direction: String
    /// The frame's length on the wire; `data` holds at most `snaplen` bytes of it.
    public var length: Int
    /// The frame's first bytes, base64.
    public var data: String

    public init(seconds: Int64, nanoseconds: Int32, direction: String, length: Int, data: String) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.direction = direction
        self.length = length
        self.data = data
    }
}

/// What `capture.read` and `capture.stop` return.
public struct CaptureBatch: Codable, Sendable, Equatable {
    public var frames: [CapturedFrame]
    /// Frames lost so far in the whole session.
    public var lost: UInt64
    /// True when the session is over (count reached, stopped): nothing more will come.
    public var done: Bool

    public init(frames: [CapturedFrame], lost: UInt64, done: Bool) {
        self.frames = frames
        self.lost = lost
        self.done = done
    }
}
