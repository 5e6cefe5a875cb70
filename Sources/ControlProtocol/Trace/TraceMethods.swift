/// Packet trace: a frame run through the current pipeline without being sent (`sluicectl trace`).
public enum TraceMethods {
    public static let packet = RPCMethod<PacketTraceParams, PacketTraceResult>("trace.packet", params: .required)
}

/// Parameters of `trace.packet`.
public struct PacketTraceParams: Codable, Sendable, Equatable {
    /// The port the frame arrives on.
    public var port: String
    /// The frame from its Ethernet header, as hexadecimal digits (no FCS).
    public var frame: String

    public init(port: String, frame: String) {
        self.port = port
        self.frame = frame
    }
}

/// What the pipeline would do with the frame, stage by stage.
public struct PacketTraceResult: Codable, Sendable, Equatable {
    public var port: String
    public var length: Int
    public var stages: [TracedStage]
    /// "output" when the frame leaves, "drop" when a stage drops it.
    public var verdict: String
    /// The stage that drops the frame and its reason (drop reasons as `stage.list` names them).
    public var dropStage: String?
    public var dropReason: String?
    public var outputs: [TracedOutput]

    public init(
        port: String, length: Int, stages: [TracedStage], verdict: String, dropStage: String?, dropReason: String?,
        outputs: [TracedOutput]
    ) {
        self.port = port
        self.length = length
        self.stages = stages
        self.verdict = verdict
        self.dropStage = dropStage
        self.dropReason = dropReason
        self.outputs = outputs
    }
}

/// One stage's decision: "pass", "drop" (with `reason`) or "output".
public struct TracedStage: Codable, Sendable, Equatable {
    public var stage: String
    public var verdict: String
    public var reason: String?
    /// What the stage saw and decided, in order.
    public var facts: [TracedFact]

    public init(stage: String, verdict: String, reason: String?, facts: [TracedFact]) {
        self.stage = stage
        self.verdict = verdict
        self.reason = reason
        self.facts = facts
    }
}

public struct TracedFact: Codable, Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A port the frame leaves on and what happens to its 802.1Q tag there ("as-is", "push-vlan 10",
/// "pop-vlan", "set-vlan 10").
public struct TracedOutput: Codable, Sendable, Equatable {
    public var port: String
    public var tagging: String

    public init(port: String, tagging: String) {
        self.port = port
        self.tagging = tagging
    }
}

/// Reads a frame given as hexadecimal digits; spaces, colons and a leading 0x are allowed. Nil (with the
/// problem) for anything else.
public enum HexFrame {
    public static let maximumLength = 16384

    public static func parse(_ text: String) -> Result<[UInt8], HexFrameError> {
        var digits = Substring(text.lowercased())
        if digits.hasPrefix("0x") { digits = digits.dropFirst(2) }
        var bytes: [UInt8] = []
        var high: UInt8?
        for (offset, character) in digits.enumerated() {
            if character == " " || character == ":" || character == "\n" || character == "\t" { continue }
            guard let value = character.hexDigitValue else {
                return .failure(HexFrameError(message: "'\(character)' at offset \(offset) is not a hex digit"))
            }
            if let h = high {
                bytes.append(h << 4 | UInt8(value))
                high = nil
            } else {
                high = UInt8(value)
            }
            if bytes.count > maximumLength {
                return .failure(HexFrameError(message: "the frame is longer than \(maximumLength) bytes"))
            }
        }
        if high != nil { return .failure(HexFrameError(message: "odd number of hex digits")) }
        return .success(bytes)
    }

    public static func format(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

public struct HexFrameError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
