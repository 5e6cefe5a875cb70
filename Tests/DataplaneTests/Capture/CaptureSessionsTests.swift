import ControlProtocol
import Foundation
import Pipeline
import Testing

@testable import Dataplane

/// Capture sessions on the control thread, with made-up copies in the capture rings, an injected clock and
/// a recording `release`: no DPDK.
@Suite struct CaptureSessionsTests {
    final class Fixture {
        var records: [UInt: CaptureSessions.Record] = [:]
        var released: [OpaquePointer] = []
        var clock = ContinuousClock.now
        var next = 1
        var synchronized = 0
        let taps = CaptureTaps(pmdCount: 2, pool: nil, capacity: 8) { _ in }
        lazy var sessions: CaptureSessions = {
            let sessions = CaptureSessions(
                taps: taps, tscHz: 1_000_000_000, now: { [unowned self] in clock },
                wallNanos: { 1_700_000_000_000_000_000 }, tsc: { 1000 },
                decode: { [unowned self] in records[UInt(bitPattern: $0)]! },
                release: { [unowned self] in released.append($0) })
            sessions.synchronize = { [unowned self] in synchronized += 1 }
            return sessions
        }()

        /// A PMD's copy of a frame of `bytes` for session slot `slot`, queued on PMD `pmd`'s ring.
        @discardableResult
        func copy(slot: Int, bytes: [UInt8], tsc: UInt64 = 1000, egress: Bool = false, pmd: Int = 0) -> Bool {
            let pointer = OpaquePointer(bitPattern: 0x4000 + next * 64)!
            next += 1
            records[UInt(bitPattern: pointer)] = .init(tsc: tsc, length: bytes.count + 4, bytes: bytes)
            let kind = PuntKind(rawValue: UInt16(slot) | (egress ? CaptureKind.egress : 0))
            return taps.rings[pmd].enqueue(PuntEntry(mbuf: pointer, kind: kind, port: 3))
        }
    }

    @Test func framesArriveInOrderWithWallClockTimesAndDirections() throws {
        let f = Fixture()
        let session = try f.sessions.start(port: "vm1", portSlot: 3, direction: "both", snapLength: 100, count: nil)
        #expect(session.id == 1 && session.direction == "both" && session.snaplen == 100 && session.count == 0)
        f.copy(slot: 0, bytes: [1, 2, 3], tsc: 1000)
        f.copy(slot: 0, bytes: [4, 5], tsc: 1_000_001_500, egress: true)
        let batch = try f.sessions.read(id: session.id, max: nil)
        let bytes: [[UInt8]] = batch.frames.map { [UInt8](Data(base64Encoded: $0.data)!) }
        #expect(bytes == [[1, 2, 3], [4, 5]])
        let directions: [String] = batch.frames.map(\.direction)
        #expect(directions == ["in", "out"])
        let lengths: [Int] = batch.frames.map(\.length)
        #expect(lengths == [7, 6])
        #expect(batch.frames[0].seconds == 1_700_000_000 && batch.frames[0].nanoseconds == 0)
        #expect(batch.frames[1].seconds == 1_700_000_001 && batch.frames[1].nanoseconds == 500)
        #expect(!batch.done && batch.lost == 0)
        #expect(f.released.count == 2, "every copy goes back to the pool once read out of the ring")
        #expect(try f.sessions.read(id: session.id, max: 5).frames.isEmpty)
    }

    @Test func theTapsWordsFollowTheSessions() throws {
        let f = Fixture()
        let a = try f.sessions.start(port: "vm1", portSlot: 3, direction: "in", snapLength: 64, count: nil)
        let b = try f.sessions.start(port: "vm1", portSlot: 3, direction: "out", snapLength: 128, count: nil)
        let tap = f.taps.tap(pmd: 0)
        #expect(tap.sessionBits(port: 3, egress: false) == 0b01)
        #expect(tap.sessionBits(port: 3, egress: true) == 0b10)
        #expect(tap.snapLength(session: 0) == 64 && tap.snapLength(session: 1) == 128)
        _ = try f.sessions.stop(id: a.id)
        #expect(tap.sessionBits(port: 3, egress: false) == 0 && tap.sessionBits(port: 3, egress: true) == 0b10)
        #expect(f.synchronized == 1, "a stopped session's slot is reused only after a grace period")
        _ = try f.sessions.stop(id: b.id)
        #expect(tap.sessionBits(port: 3, egress: true) == 0)
        #expect(f.sessions.list().isEmpty)
    }

    @Test func twoSessionsEachGetTheirOwnFrames() throws {
        let f = Fixture()
        let a = try f.sessions.start(port: "vm1", portSlot: 3, direction: "in", snapLength: nil, count: nil)
        let b = try f.sessions.start(port: "vm2", portSlot: 4, direction: "in", snapLength: nil, count: nil)
        f.copy(slot: 0, bytes: [1])
        f.copy(slot: 1, bytes: [2], pmd: 1)
        f.copy(slot: 0, bytes: [3], pmd: 1)
        #expect(try f.sessions.read(id: a.id, max: nil).frames.map(\.data) == ["AQ==", "Aw=="])
        #expect(try f.sessions.read(id: b.id, max: nil).frames.map(\.data) == ["Ag=="])
    }

    @Test func endsAfterCountAndIgnoresWhatFollows() throws {
        let f = Fixture()
        let session = try f.sessions.start(port: "vm1", portSlot: 3, direction: "in", snapLength: nil, count: 2)
        for n in 0..<4 { f.copy(slot: 0, bytes: [UInt8(n)]) }
        f.sessions.service()
        #expect(f.taps.tap(pmd: 0).sessionBits(port: 3, egress: false) == 0, "the PMDs stop copying at the count")
        let first = try f.sessions.read(id: session.id, max: 1)
        #expect(first.frames.count == 1 && !first.done)
        let last = try f.sessions.read(id: session.id, max: nil)
        #expect(last.frames.map(\.data) == ["AQ=="] && last.done)
        #expect(f.released.count == 4)
        #expect(throws: CaptureError.self) { try f.sessions.read(id: session.id, max: nil) }
    }

    @Test func aClientThatStopsReadingIsGone() throws {
        let f = Fixture()
        let session = try f.sessions.start(port: "vm1", portSlot: 3, direction: "in", snapLength: nil, count: nil)
        f.clock += .seconds(4)
        _ = try f.sessions.read(id: session.id, max: nil)
        f.clock += .seconds(4)
        f.sessions.service()
        #expect(f.sessions.list().count == 1)
        f.clock += .seconds(2)
        f.sessions.service()
        #expect(f.sessions.list().isEmpty)
        #expect(f.taps.tap(pmd: 0).sessionBits(port: 3, egress: false) == 0)
    }

    @Test func stopReturnsWhatIsStillBufferedAndFreesTheSlot() throws {
        let f = Fixture()
        var ids: [UInt64] = []
        for n in 0..<CaptureKind.maxSessions {
            ids.append(try f.sessions.start(port: "p\(n)", portSlot: n, direction: nil, snapLength: nil, count: nil).id)
        }
        #expect(throws: CaptureError("port 'p9': 8 captures are running already")) {
            try f.sessions.start(port: "p9", portSlot: 9, direction: nil, snapLength: nil, count: nil)
        }
        f.copy(slot: 2, bytes: [9, 9])
        let stopped = try f.sessions.stop(id: ids[2])
        #expect(stopped.frames.map(\.data) == ["CQk="] && stopped.done)
        let again = try f.sessions.start(port: "p9", portSlot: 9, direction: "in", snapLength: nil, count: nil)
        #expect(again.id == 9)
        #expect(f.taps.tap(pmd: 0).sessionBits(port: 9, egress: false) == 0b100, "the freed slot is reused")
    }

    @Test func aFullBufferCountsAsLost() throws {
        let f = Fixture()
        let session = try f.sessions.start(port: "vm1", portSlot: 3, direction: "in", snapLength: nil, count: nil)
        for _ in 0..<(CaptureSessions.maxBuffered / 8 + 1) {
            for _ in 0..<8 { #expect(f.copy(slot: 0, bytes: [0])) }
            f.sessions.service()
        }
        let batch = try f.sessions.read(id: session.id, max: 1)
        #expect(batch.lost == 8)
        #expect(f.sessions.list()[0].buffered == CaptureSessions.maxBuffered - 1)
    }

    @Test func badParametersNameTheParameter() throws {
        let f = Fixture()
        #expect(throws: CaptureError("direction: 'up' is not one of in, out, both")) {
            try f.sessions.start(port: "vm1", portSlot: 3, direction: "up", snapLength: nil, count: nil)
        }
        #expect(throws: CaptureError("snaplen: 0 is not in 1...65535")) {
            try f.sessions.start(port: "vm1", portSlot: 3, direction: nil, snapLength: 0, count: nil)
        }
        #expect(throws: CaptureError("count: -1 is negative")) {
            try f.sessions.start(port: "vm1", portSlot: 3, direction: nil, snapLength: nil, count: -1)
        }
        #expect(throws: CaptureError("id: no capture 7 (it ended, or never was)")) {
            try f.sessions.read(id: 7, max: nil)
        }
        let session = try f.sessions.start(port: "vm1", portSlot: 3, direction: nil, snapLength: nil, count: nil)
        #expect(throws: CaptureError("max: 0 is not in 1...4096")) { try f.sessions.read(id: session.id, max: 0) }
    }
}
