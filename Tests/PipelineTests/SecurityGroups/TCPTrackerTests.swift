import Pipeline
import Testing

/// The TCP state machine and window checks, table-driven: each case is a packet sequence after a SYN, with
/// the verdict and state expected after every segment.
@Suite struct TCPTrackerTests {
    struct Step: CustomStringConvertible {
        var reply: Bool
        var segment: TCPSegment
        var verdict: TCPTracker.Verdict
        var state: TCPState
        var description: String {
            "\(reply ? "reply" : "orig") flags \(segment.flags) seq \(segment.seq) ack \(segment.ack) -> \(verdict) \(state.name)"
        }
    }

    static let syn = TCPSegment.syn, ack = TCPSegment.ack, fin = TCPSegment.fin, rst = TCPSegment.rst
    static func o(
        _ flags: UInt8, _ seq: UInt32, ack: UInt32 = 0, len: UInt32 = 0, _ v: TCPTracker.Verdict, _ s: TCPState
    )
        -> Step
    {
        Step(reply: false, segment: TCPSegment(flags: flags, seq: seq, ack: ack, length: len), verdict: v, state: s)
    }
    static func r(
        _ flags: UInt8, _ seq: UInt32, ack: UInt32 = 0, len: UInt32 = 0, _ v: TCPTracker.Verdict, _ s: TCPState
    )
        -> Step
    {
        Step(reply: true, segment: TCPSegment(flags: flags, seq: seq, ack: ack, length: len), verdict: v, state: s)
    }

    /// Client ISN 1000, server ISN 5000, unless the case says otherwise.
    static let handshake = [
        r(syn | ack, 5000, ack: 1001, .accept, .synRecv), o(ack, 1001, ack: 5001, .accept, .established),
    ]

    static let cases: [(name: String, isn: UInt32, steps: [Step])] = [
        (
            "handshake and data", 1000,
            handshake + [
                o(ack, 1001, ack: 5001, len: 100, .accept, .established),
                r(ack, 5001, ack: 1101, .accept, .established),
            ]
        ),
        (
            "half close: the server keeps sending after the client's FIN", 1000,
            handshake + [
                o(fin | ack, 1001, ack: 5001, .accept, .finWait), r(ack, 5001, ack: 1002, .accept, .closeWait),
                r(ack, 5001, ack: 1002, len: 10, .accept, .closeWait), r(fin | ack, 5011, ack: 1002, .accept, .lastAck),
                o(ack, 1002, ack: 5012, .accept, .timeWait),
                o(syn, 9000, .reopen, .timeWait),  // a new connection on the same tuple
            ]
        ),
        (
            "retransmitted SYN and SYN-ACK", 1000,
            [
                o(syn, 1000, .accept, .synSent), r(syn | ack, 5000, ack: 1001, .accept, .synRecv),
                r(syn | ack, 5000, ack: 1001, .accept, .synRecv), o(ack, 1001, ack: 5001, .accept, .established),
                r(syn | ack, 5000, ack: 1001, .accept, .established),  // its ACK was lost
            ]
        ),
        ("a SYN-ACK that acknowledges another SYN", 1000, [r(syn | ack, 5000, ack: 77, .invalid, .synSent)]),
        (
            "simultaneous open", 1000,
            [
                r(syn, 5000, .accept, .synSent2), o(syn | ack, 1000, ack: 5001, .accept, .synRecv),
                r(syn | ack, 5000, ack: 1001, .accept, .synRecv), o(ack, 1001, ack: 5001, .accept, .established),
            ]
        ),
        ("an ACK before the SYN-ACK", 1000, [o(ack, 1001, ack: 5001, .invalid, .synSent)]),
        // netfilter lets these SYNs through and changes nothing ("ignore"): the data after them still fits.
        (
            "a SYN to an established tuple", 1000,
            handshake + [o(syn, 90000, .accept, .established), o(ack, 1001, ack: 5001, len: 10, .accept, .established)]
        ),
        (
            "a SYN retransmitted after the SYN-ACK", 1000,
            [
                r(syn | ack, 5000, ack: 1001, .accept, .synRecv), o(syn, 1000, .accept, .synRecv),
                o(ack, 1001, ack: 5001, .accept, .established),
            ]
        ),
        (
            "a reply SYN to an established tuple", 1000, handshake + [r(syn, 7000, .invalid, .established)]
        ),
        (
            "RST out of window cannot close", 1000,
            handshake + [
                r(rst, 5001 &+ 10_000_000, .invalid, .established),
                r(rst | ack, 4000, ack: 1001, .invalid, .established),
                o(ack, 1001, ack: 5001, len: 10, .accept, .established),
            ]
        ),
        ("RST at the end of the sender's stream closes", 1000, handshake + [r(rst, 5001, .accept, .close)]),
        (
            "RST inside the window but not at its edge does not", 1000,
            handshake + [r(rst, 5500, .invalid, .established)]
        ),
        ("a refused SYN: RST+ACK acknowledging it", 1000, [r(rst | ack, 0, ack: 1001, .accept, .close)]),
        ("an RST that acknowledges nothing sent", 1000, [r(rst | ack, 0, ack: 77, .invalid, .synSent)]),
        (
            "data far beyond the window is refused", 1000,
            handshake + [
                o(ack, 1001 &+ 200_000, ack: 5001, len: 10, .invalid, .established)
            ]
        ),
        (
            "an ACK of data never sent is refused", 1000,
            handshake + [o(ack, 1001, ack: 9_000_000, .invalid, .established)]
        ),
        (
            "sequence numbers wrap around", 0xFFFF_FFF0,
            [
                r(syn | ack, 5000, ack: 0xFFFF_FFF1, .accept, .synRecv),
                o(ack, 0xFFFF_FFF1, ack: 5001, .accept, .established),
                o(ack, 0xFFFF_FFF1, ack: 5001, len: 100, .accept, .established),
                o(ack, 0xFFFF_FFF1 &+ 100, ack: 5001, len: 100, .accept, .established),
                r(ack, 5001, ack: 0xFFFF_FFF1 &+ 200, .accept, .established),
            ]
        ),
        ("SYN+FIN is never valid", 1000, handshake + [o(syn | fin, 1001, .invalid, .established)]),
    ]

    @Test(arguments: cases.indices)
    func sequence(index: Int) {
        let c = Self.cases[index]
        var tracker = TCPTracker.opening(TCPSegment(flags: Self.syn, seq: c.isn))
        #expect(tracker.state == .synSent)
        for (n, step) in c.steps.enumerated() {
            let before = tracker
            let verdict = tracker.track(step.segment, isReply: step.reply)
            #expect(verdict == step.verdict, "\(c.name), step \(n): \(step)")
            #expect(tracker.state == step.state, "\(c.name), step \(n): \(step)")
            if verdict != .accept {
                #expect(tracker == before, "\(c.name), step \(n): a refused segment changes nothing")
            }
        }
    }

    @Test func onlyABareSYNOpensAConnection() {
        #expect(TCPTracker.opens(Self.syn))
        #expect(!TCPTracker.opens(Self.ack))
        #expect(!TCPTracker.opens(Self.syn | Self.ack))
        #expect(!TCPTracker.opens(Self.syn | Self.fin))
        #expect(!TCPTracker.opens(Self.rst))
        #expect(!TCPTracker.opens(0))
    }

    @Test func windowScalingNeedsBothSides() {
        var scaled = TCPTracker.opening(TCPSegment(flags: Self.syn, seq: 1000, window: 1000, windowScale: 7))
        #expect(
            scaled.track(TCPSegment(flags: Self.syn | Self.ack, seq: 5000, ack: 1001, windowScale: 7), isReply: true)
                == .accept)
        #expect(scaled.original.scale == 7 && scaled.reply.scale == 7)
        var unscaled = TCPTracker.opening(TCPSegment(flags: Self.syn, seq: 1000, windowScale: 7))
        #expect(
            unscaled.track(TCPSegment(flags: Self.syn | Self.ack, seq: 5000, ack: 1001), isReply: true) == .accept)
        #expect(unscaled.original.scale == 0 && unscaled.reply.scale == 0)
    }
}
