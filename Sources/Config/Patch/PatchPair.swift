/// Two ports cross-connected in both directions, outside the L2 bridge: whatever arrives on one is sent out
/// of the other unchanged (no VLANs, learning or port security).
public struct PatchPair: Equatable, Sendable {
    public var a: String
    public var b: String

    public init(a: String, b: String) {
        self.a = a
        self.b = b
    }

    public init(_ a: String, _ b: String) {
        self.init(a: a, b: b)
    }
}
