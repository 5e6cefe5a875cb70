import ControlProtocol
import DPDK
import Foundation
import Glibc
import Pipeline

/// A capture request refused: the message names the parameter.
public struct CaptureError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The packet capture sessions (docs/capture.md), on the control thread: starting and stopping one sets
/// bits in the taps' port words (no new generation); `service()`, on every pass of the control loop, moves
/// the PMDs' copies from the capture rings into each session's buffer, which the client empties with
/// `read`. A session whose client has not read for `idleTimeout` ends by itself (the client is gone).
public final class CaptureSessions {
    /// The dataplane's sessions, for the generations it builds (control thread only).
    nonisolated(unsafe) static weak var current: CaptureSessions?

    /// One captured copy as the PMD recorded it.
    public struct Record {
        public var tsc: UInt64
        public var length: Int
        public var bytes: [UInt8]

        public init(tsc: UInt64, length: Int, bytes: [UInt8]) {
            self.tsc = tsc
            self.length = length
            self.bytes = bytes
        }
    }

    public enum Direction: String, CaseIterable, Sendable {
        case ingress = "in"
        case egress = "out"
        case both
    }

    struct Session {
        let id: UInt64
        let slot: Int
        let port: String
        let portSlot: Int
        let direction: Direction
        let snapLength: Int
        let count: Int
        /// The taps' counters of the slot when the session started.
        let baseLost: UInt64
        /// TSC and wall clock (ns since the epoch) at start: a copy's time is the wall clock plus TSC since.
        let tsc0: UInt64
        let wall0: Int64
        var buffered: [CapturedFrame] = []
        var captured: UInt64 = 0
        /// Frames the client did not read in time (the buffer was full).
        var overflow: UInt64 = 0
        var lastRead: ContinuousClock.Instant
        var done = false
        /// The PMDs stopped copying for it and a grace period passed: its slot may be reused.
        var settled = false
    }

    public let taps: CaptureTaps
    private var sessions: [Int: Session] = [:]
    /// Slots whose PMD copies may still be in flight (a grace period failed): never reused.
    private var quarantined: Set<Int> = []
    private var lastID: UInt64 = 0
    private let tscHz: UInt64
    private let now: () -> ContinuousClock.Instant
    private let wallNanos: () -> Int64
    private let readTSCNow: () -> UInt64
    private let decode: (OpaquePointer) -> Record
    private let release: (OpaquePointer) -> Void
    /// Waits until no PMD can still be copying for a cleared session (the dataplane's grace period).
    var synchronize: () throws -> Void = {}

    /// A client that has not read for this long is gone: its session ends.
    public var idleTimeout: Duration = .seconds(5)
    /// Frames buffered per session between two reads; more are counted as lost.
    public static let maxBuffered = 16384
    public static let defaultSnapLength = 65535
    public static let defaultReadMax = 256
    public static let maxReadMax = 4096

    public init(
        taps: CaptureTaps, tscHz: UInt64, now: @escaping () -> ContinuousClock.Instant = { .now },
        wallNanos: @escaping () -> Int64 = CaptureSessions.realtimeNanos, tsc: @escaping () -> UInt64 = readTSC,
        decode: @escaping (OpaquePointer) -> Record = CaptureSessions.decodeMbuf,
        release: @escaping (OpaquePointer) -> Void = { Mbuf($0).free() }
    ) {
        self.taps = taps
        self.tscHz = max(tscHz, 1)
        self.now = now
        self.wallNanos = wallNanos
        readTSCNow = tsc
        self.decode = decode
        self.release = release
    }

    public static func realtimeNanos() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// A copy's record (see `CaptureKind.recordHeader`) and bytes.
    public static func decodeMbuf(_ raw: OpaquePointer) -> Record {
        let mbuf = Mbuf(raw)
        let header = CaptureKind.recordHeader
        guard mbuf.dataLength >= header else { return Record(tsc: 0, length: 0, bytes: []) }
        let tsc = mbuf.data.loadUnaligned(as: UInt64.self)
        let length = Int(mbuf.data.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let bytes = [UInt8](UnsafeRawBufferPointer(start: mbuf.data + header, count: mbuf.dataLength - header))
        return Record(tsc: tsc, length: length, bytes: bytes)
    }

    /// Starts capturing port `port` (in slot `portSlot`). Refuses a bad direction, snap length or count, and
    /// a ninth session.
    public func start(
        port: String, portSlot: Int, direction: String?, snapLength: Int?, count: Int?
    ) throws(CaptureError) -> CaptureSession {
        let directionName = direction ?? "both"
        guard let direction = Direction(rawValue: directionName) else {
            throw CaptureError("direction: '\(directionName)' is not one of in, out, both")
        }
        let snapLength = snapLength ?? Self.defaultSnapLength
        guard (1...65535).contains(snapLength) else { throw CaptureError("snaplen: \(snapLength) is not in 1...65535") }
        let count = count ?? 0
        guard count >= 0 else { throw CaptureError("count: \(count) is negative") }
        service()
        guard
            let slot = (0..<CaptureKind.maxSessions).first(where: { sessions[$0] == nil && !quarantined.contains($0) })
        else {
            throw CaptureError("port '\(port)': \(CaptureKind.maxSessions) captures are running already")
        }
        lastID += 1
        let session = Session(
            id: lastID, slot: slot, port: port, portSlot: portSlot, direction: direction, snapLength: snapLength,
            count: count, baseLost: taps.totals(session: slot).lost, tsc0: readTSCNow(), wall0: wallNanos(),
            lastRead: now())
        sessions[slot] = session
        taps.set(
            session: slot, port: portSlot, ingress: direction != .egress, egress: direction != .ingress,
            snapLength: snapLength)
        return info(session)
    }

    /// The frames buffered for session `id` (at most `max`).
    public func read(id: UInt64, max: Int?) throws(CaptureError) -> CaptureBatch {
        let limit = max ?? Self.defaultReadMax
        guard (1...Self.maxReadMax).contains(limit) else {
            throw CaptureError("max: \(limit) is not in 1...\(Self.maxReadMax)")
        }
        service()
        guard let slot = slot(of: id) else { throw CaptureError("id: no capture \(id) (it ended, or never was)") }
        sessions[slot]!.lastRead = now()
        let session = sessions[slot]!
        let taken = Array(session.buffered.prefix(limit))
        sessions[slot]!.buffered.removeFirst(taken.count)
        let done = session.done && sessions[slot]!.buffered.isEmpty
        let batch = CaptureBatch(frames: taken, lost: lost(session), done: done)
        if done { end(slot: slot) }
        return batch
    }

    /// Ends session `id`; returns what was still buffered for it.
    public func stop(id: UInt64) throws(CaptureError) -> CaptureBatch {
        guard let slot = slot(of: id) else { throw CaptureError("id: no capture \(id) (it ended, or never was)") }
        finish(slot: slot)
        let session = sessions[slot]!
        end(slot: slot)
        return CaptureBatch(frames: session.buffered, lost: lost(session), done: true)
    }

    /// The running sessions, oldest first.
    public func list() -> [CaptureSession] {
        service()
        return sessions.values.sorted { $0.id < $1.id }.map(info)
    }

    /// Ends every session whose port is `gone` (removed, or replaced in its slot).
    public func stopAll(where gone: (_ port: String, _ portSlot: Int) -> Bool) {
        for (slot, session) in sessions where gone(session.port, session.portSlot) { end(slot: slot) }
    }

    /// Moves the PMDs' copies into their sessions' buffers and ends the sessions whose client is gone.
    /// Called on every pass of the control loop.
    public func service() {
        taps.drain(take)
        let deadline = now() - idleTimeout
        for (slot, session) in sessions where session.lastRead < deadline { end(slot: slot) }
    }

    private func take(_ entry: PuntEntry) {
        defer { release(entry.mbuf) }
        let slot = Int(entry.kind.rawValue & 0xff)
        guard var session = sessions[slot], !session.done else { return }
        if session.buffered.count >= Self.maxBuffered {
            sessions[slot]!.overflow += 1
            return
        }
        let record = decode(entry.mbuf)
        let cycles = Int64(bitPattern: record.tsc &- session.tsc0)
        let nanos = session.wall0 + Int64((Double(cycles) * 1e9 / Double(tscHz)).rounded())
        session.buffered.append(
            CapturedFrame(
                seconds: nanos / 1_000_000_000, nanoseconds: Int32(nanos % 1_000_000_000),
                direction: entry.kind.rawValue & CaptureKind.egress != 0 ? "out" : "in", length: record.length,
                data: Data(record.bytes).base64EncodedString()))
        session.captured += 1
        if session.count > 0 && session.captured >= UInt64(session.count) {
            session.done = true
            taps.clear(session: slot)
        }
        sessions[slot] = session
    }

    /// Stops the PMDs copying for `slot` and collects what they copied before they stopped.
    private func finish(slot: Int) {
        taps.clear(session: slot)
        do {
            try synchronize()
        } catch {
            quarantined.insert(slot)
        }
        taps.drain(take)
        sessions[slot]?.done = true
        sessions[slot]?.settled = true
    }

    private func end(slot: Int) {
        if sessions[slot]?.settled == false { finish(slot: slot) }
        sessions[slot] = nil
    }

    private func slot(of id: UInt64) -> Int? { sessions.first { $0.value.id == id }?.key }

    private func lost(_ session: Session) -> UInt64 {
        (taps.totals(session: session.slot).lost &- session.baseLost) &+ session.overflow
    }

    private func info(_ session: Session) -> CaptureSession {
        CaptureSession(
            id: session.id, port: session.port, direction: session.direction.rawValue, snaplen: session.snapLength,
            count: session.count, captured: session.captured, lost: lost(session), buffered: session.buffered.count)
    }
}
