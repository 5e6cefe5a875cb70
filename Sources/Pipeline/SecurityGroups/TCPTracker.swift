/// TCP connection states, as Linux netfilter names them (`nf_conntrack_proto_tcp.c`).
@frozen
public enum TCPState: UInt8, Sendable, CaseIterable {
    case none = 0
    case synSent, synRecv, established, finWait, closeWait, lastAck, timeWait, close, synSent2

    public var name: String {
        switch self {
        case .none: "none"
        case .synSent: "syn-sent"
        case .synRecv: "syn-recv"
        case .established: "established"
        case .finWait: "fin-wait"
        case .closeWait: "close-wait"
        case .lastAck: "last-ack"
        case .timeWait: "time-wait"
        case .close: "close"
        case .synSent2: "syn-sent2"
        }
    }
}

/// What one side of a TCP connection has sent, for the sequence-window checks (netfilter's
/// `ip_ct_tcp_state`): `end` is the highest sequence number sent plus one, `maxEnd` the highest the peer has
/// allowed it to send (its acknowledgment plus window), `maxWindow` the largest window it advertised
/// (scaled), `scale` its window-scale shift (0 until both SYNs carried the option).
@frozen
public struct TCPSide: Sendable, Equatable {
    public var end: UInt32
    public var maxEnd: UInt32
    public var maxWindow: UInt32
    public var scale: UInt8
    /// Whether the side has sent anything the tracker has seen (its SYN or SYN-ACK).
    public var seen: Bool

    @inlinable
    public init(end: UInt32 = 0, maxEnd: UInt32 = 0, maxWindow: UInt32 = 0, scale: UInt8 = 0, seen: Bool = false) {
        self.end = end
        self.maxEnd = maxEnd
        self.maxWindow = maxWindow
        self.scale = scale
        self.seen = seen
    }
}

/// One TCP segment as the tracker needs it.
@frozen
public struct TCPSegment: Sendable {
    public var flags: UInt8
    public var seq: UInt32
    public var ack: UInt32
    public var window: UInt16
    /// Payload bytes (SYN and FIN count one more each, added by the tracker).
    public var length: UInt32
    /// The window-scale option of a SYN or SYN-ACK, or nil.
    public var windowScale: UInt8?

    @inlinable
    public init(
        flags: UInt8, seq: UInt32, ack: UInt32 = 0, window: UInt16 = 65535, length: UInt32 = 0,
        windowScale: UInt8? = nil
    ) {
        self.flags = flags
        self.seq = seq
        self.ack = ack
        self.window = window
        self.length = length
        self.windowScale = windowScale
    }

    public static let fin: UInt8 = 0x01
    public static let syn: UInt8 = 0x02
    public static let rst: UInt8 = 0x04
    public static let ack: UInt8 = 0x10
}

/// The per-connection TCP tracker: a state machine shaped like netfilter's `tcp_conntracks` table and
/// window checks after its `tcp_in_window` (see docs/security-groups.md for what is followed and what is
/// simpler). Pure: the connection table loads it, calls `track`, and stores it back.
@frozen
public struct TCPTracker: Sendable, Equatable {
    public var state: TCPState
    /// `sides.0`: the original direction (the connection's initiator), `sides.1`: the reply direction.
    public var original: TCPSide
    public var reply: TCPSide

    /// What `track` made of a segment.
    public enum Verdict: Sendable, Equatable {
        /// Part of the connection: pass it.
        case accept
        /// Out of window, or a flag combination that has no place in the state: drop it, change nothing.
        case invalid
        /// A SYN on a closed (TIME_WAIT or CLOSE) connection: the caller replaces the entry with a new one.
        case reopen
    }

    @inlinable
    public init(state: TCPState = .none, original: TCPSide = TCPSide(), reply: TCPSide = TCPSide()) {
        self.state = state
        self.original = original
        self.reply = reply
    }

    /// Whether a segment may open a connection: a SYN without ACK, RST or FIN (netfilter's `nf_ct_tcp_loose`
    /// pick-up of connections seen mid-stream is off: a stray ACK never opens one).
    @inlinable
    public static func opens(_ flags: UInt8) -> Bool {
        flags & (TCPSegment.syn | TCPSegment.ack | TCPSegment.rst | TCPSegment.fin) == TCPSegment.syn
    }

    /// The tracker of a connection opened by `segment` (a SYN, see `opens`).
    @inlinable
    public static func opening(_ segment: TCPSegment) -> TCPTracker {
        let end = segment.seq &+ segment.length &+ 1
        let window = UInt32(segment.window)
        var side = TCPSide(end: end, maxEnd: end, maxWindow: max(window, 1), seen: true)
        side.scale = segment.windowScale.map { min($0, 14) } ?? noScale
        return TCPTracker(state: .synSent, original: side, reply: TCPSide())
    }

    @usableFromInline enum Kind { case syn, synAck, fin, ack, rst, none }

    @inlinable
    static func kind(_ flags: UInt8) -> Kind {
        if flags & TCPSegment.rst != 0 { return .rst }
        if flags & TCPSegment.syn != 0 {
            if flags & TCPSegment.fin != 0 { return .none }  // SYN+FIN: invalid in every state
            return flags & TCPSegment.ack != 0 ? .synAck : .syn
        }
        if flags & TCPSegment.fin != 0 { return .fin }
        if flags & TCPSegment.ack != 0 { return .ack }
        return .none
    }

    /// The next state for a segment of `kind` in direction `reply`, or nil when the segment is invalid.
    @inlinable
    static func next(_ state: TCPState, _ kind: Kind, reply: Bool) -> TCPState? {
        switch kind {
        case .syn:
            switch state {
            case .synSent: return reply ? .synSent2 : .synSent  // reply SYN: simultaneous open
            case .synSent2: return .synSent2
            case .timeWait, .close: return reply ? nil : .synSent  // reopen (handled by the caller)
            default: return nil
            }
        case .synAck:
            switch state {
            case .synSent: return reply ? .synRecv : nil
            case .synSent2: return .synRecv  // either side's SYN-ACK completes a simultaneous open
            case .synRecv: return .synRecv  // retransmitted
            case .established: return .established  // retransmitted SYN-ACK whose ACK was lost
            default: return nil
            }
        case .ack:
            switch state {
            case .synRecv: return .established
            case .established, .closeWait, .timeWait, .close: return state
            case .finWait: return .closeWait
            case .lastAck: return .timeWait
            case .synSent, .synSent2: return nil  // an ACK before any SYN-ACK
            case .none: return nil
            }
        case .fin:
            switch state {
            case .synRecv, .established: return .finWait
            case .finWait, .closeWait: return .lastAck
            case .lastAck, .timeWait: return state
            case .close: return .close
            default: return nil
            }
        case .rst:
            return state == .none ? nil : .close
        case .none:
            return nil
        }
    }

    /// Whether a segment passes without changing anything, as netfilter's "ignore" (`sIG`) does: the
    /// initiator's SYN once the responder has answered — retransmitted because the SYN-ACK was lost beyond
    /// the firewall, or sent to an open connection by a peer that lost its state (the responder's challenge
    /// ACK, RFC 5961, and the peer's RST that follows resolve it; dropping the SYN would leave the stale
    /// entry until it times out). Found by the differential test against netfilter.
    @inlinable
    static func ignored(_ state: TCPState, _ kind: Kind, reply: Bool) -> Bool {
        guard kind == .syn && !reply else { return false }
        switch state {
        case .synRecv, .established, .finWait, .closeWait, .lastAck: return true
        default: return false
        }
    }

    /// Tracks a segment of the connection; `isReply` is its direction. On `.invalid` nothing changes.
    @inlinable
    public mutating func track(_ segment: TCPSegment, isReply: Bool) -> Verdict {
        let kind = Self.kind(segment.flags)
        if Self.ignored(state, kind, reply: isReply) { return .accept }
        guard let nextState = Self.next(state, kind, reply: isReply) else { return .invalid }
        if kind == .syn && !isReply && (state == .timeWait || state == .close) { return .reopen }
        var sender = isReply ? reply : original
        var receiver = isReply ? original : reply
        let synEnd = segment.seq &+ segment.length &+ 1
        if kind == .syn || (kind == .synAck && state != .established) {
            // A side's SYN (or SYN-ACK) initialises it, as in netfilter; a retransmission with another initial
            // sequence number re-initialises it.
            if !sender.seen || sender.end != synEnd {
                sender = TCPSide(end: synEnd, maxEnd: synEnd, maxWindow: max(UInt32(segment.window), 1), seen: true)
                sender.scale = segment.windowScale.map { min($0, 14) } ?? Self.noScale
            }
            if kind == .synAck {
                // It must acknowledge the peer's SYN.
                if receiver.seen && segment.ack != receiver.end { return .invalid }
                // Window scaling applies only when both SYNs carried the option.
                if sender.scale == Self.noScale || receiver.scale == Self.noScale {
                    sender.scale = 0
                    receiver.scale = 0
                }
                receiver.maxEnd = segment.ack &+ max(UInt32(segment.window), 1)
            }
        } else if kind == .synAck {
            // A SYN-ACK retransmitted after the handshake (its ACK was lost): harmless if it is the same one.
            guard sender.end == synEnd else { return .invalid }
        } else {
            guard Self.inWindow(segment, kind: kind, sender: &sender, receiver: &receiver) else { return .invalid }
        }
        if isReply {
            reply = sender
            original = receiver
        } else {
            original = sender
            reply = receiver
        }
        state = nextState
        return .accept
    }

    /// netfilter's `tcp_in_window`, without SACK blocks: the segment must lie within what the receiver
    /// allowed, not entirely before what the sender already sent minus the receiver's largest window, and
    /// acknowledge nothing the receiver has not sent. Updates both sides when it does.
    @inlinable
    static func inWindow(_ segment: TCPSegment, kind: Kind, sender: inout TCPSide, receiver: inout TCPSide) -> Bool {
        let hasAck = segment.flags & TCPSegment.ack != 0
        let seq = segment.seq
        var end = seq &+ segment.length
        if segment.flags & TCPSegment.syn != 0 { end = end &+ 1 }
        if segment.flags & TCPSegment.fin != 0 { end = end &+ 1 }
        let senderScale = sender.scale == noScale ? 0 : sender.scale
        let window = UInt32(segment.window) << UInt32(senderScale)
        var ack = segment.ack
        if !hasAck {
            ack = receiver.end
        }
        if !sender.seen {
            // The responder has not answered with a SYN-ACK: all it may send is a refusal, an RST that
            // acknowledges the SYN.
            return kind == .rst && hasAck && segment.ack == receiver.end
        }
        if !receiver.seen {
            // Nothing is known of the receiver (the SYN-ACK has not been seen): only the initiator aborting.
            return kind == .rst && seq == sender.end
        }
        let maxAckWindow = sender.maxWindow == 0 ? 66000 : max(sender.maxWindow, 66000)
        let seqOK = before(seq, sender.maxEnd &+ 1)
        let notTooOld = after(end, sender.end &- receiver.maxWindow &- 1)
        let ackOK = !hasAck || (before(ack, receiver.end &+ 1) && after(ack, receiver.end &- maxAckWindow &- 1))
        guard seqOK && notTooOld && ackOK else { return false }
        if kind == .rst && seq != sender.end {
            // An RST closes the connection only if it is exactly where the sender's stream ends (RFC 5961's
            // blind-reset protection; Linux's own TCP accepts no other), not merely inside the window.
            return false
        }
        if after(end, sender.end) { sender.end = end }
        if sender.maxWindow < window { sender.maxWindow = max(window, 1) }
        if hasAck {
            let allowed = ack &+ max(window, 1)
            if after(allowed, receiver.maxEnd) { receiver.maxEnd = allowed }
        }
        return true
    }

    /// `TCPSide.scale` of a side whose SYN had no window-scale option (until the handshake settles it).
    @inlinable public static var noScale: UInt8 { 0xFF }

    @inlinable static func before(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }
    @inlinable static func after(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: b &- a) < 0 }
    @inlinable static func max2(_ a: UInt32, _ b: UInt32) -> UInt32 { after(a, b) ? a : b }
}
