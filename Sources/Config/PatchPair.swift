/// Two ports cross-connected in both directions: the interim forwarding stage until L2 switching exists.
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
