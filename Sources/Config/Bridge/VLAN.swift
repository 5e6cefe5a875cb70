/// A set of 802.1Q VLAN IDs, such as the VLANs a trunk port carries.
///
/// Held as a 4096-bit map, so `contains` is one word test. IDs that no tag can carry (above 4095) can still be
/// put in a set built in code; they are kept apart so that validation can report them.
public struct VLANSet: Equatable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// Bit `id % 64` of word `id / 64` is set when `id` (0...4095) is in the set. Always 64 words, so that
    /// equal sets compare equal.
    private var words: [UInt64]
    /// Members above 4095, ascending and unique. Empty in any valid configuration.
    private var beyondTagRange: [UInt16]

    private static let wordCount = 4096 / 64

    public init(_ ids: some Sequence<UInt16>) {
        words = Array(repeating: 0, count: Self.wordCount)
        beyondTagRange = []
        for id in ids { insert(id) }
    }

    public init(arrayLiteral ids: UInt16...) {
        self.init(ids)
    }

    public func contains(_ vlan: UInt16) -> Bool {
        guard vlan < 4096 else { return beyondTagRange.contains(vlan) }
        return words[Int(vlan >> 6)] & (1 << UInt64(vlan & 63)) != 0
    }

    public var isEmpty: Bool {
        beyondTagRange.isEmpty && words.allSatisfy { $0 == 0 }
    }

    /// The members, ascending.
    public var ids: [UInt16] {
        var result: [UInt16] = []
        for (index, word) in words.enumerated() {
            var remaining = word
            while remaining != 0 {
                result.append(UInt16(index * 64 + remaining.trailingZeroBitCount))
                remaining &= remaining - 1
            }
        }
        return result + beyondTagRange
    }

    /// Adds `vlan`; returns whether it was new.
    @discardableResult
    mutating func insert(_ vlan: UInt16) -> Bool {
        guard !contains(vlan) else { return false }
        if vlan < 4096 {
            words[Int(vlan >> 6)] |= 1 << UInt64(vlan & 63)
        } else {
            beyondTagRange.append(vlan)
            beyondTagRange.sort()
        }
        return true
    }

    /// The members in the configuration's notation: ascending, runs of consecutive IDs as ranges, e.g.
    /// "1,100,200-210". Empty for the empty set.
    public var description: String {
        Self.describe(ids)
    }

    /// "1,100,200-210" for ascending, unique `ids`.
    static func describe(_ ids: [UInt16]) -> String {
        var parts: [String] = []
        var index = 0
        while index < ids.count {
            var end = index
            while end + 1 < ids.count, ids[end + 1] == ids[end] &+ 1 { end += 1 }
            parts.append(end == index ? String(ids[index]) : "\(ids[index])-\(ids[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}

/// How a port takes part in VLANs.
public enum VLANMode: Equatable, Sendable {
    /// The port belongs to one VLAN; its frames are untagged on the wire.
    case access(vlan: UInt16)
    /// The port carries the `allowed` VLANs 802.1Q-tagged. Untagged frames belong to `native` and leave
    /// untagged; without a native VLAN they are dropped. The native VLAN is carried even if not in `allowed`.
    case trunk(allowed: VLANSet, native: UInt16?)

    /// The VLAN of ports without a `vlan` section: the default network, untagged on the wire.
    public static let defaultVLAN: UInt16 = 1

    /// Every VLAN the port carries (the access VLAN; or allowed + native).
    public var carriedVLANs: VLANSet {
        switch self {
        case .access(let vlan):
            return VLANSet([vlan])
        case .trunk(let allowed, let native):
            var carried = allowed
            if let native { carried.insert(native) }
            return carried
        }
    }

    /// Whether frames of `vlan` leave this port untagged (access VLAN, or trunk native).
    public func isUntagged(_ vlan: UInt16) -> Bool {
        switch self {
        case .access(let access): vlan == access
        case .trunk(_, let native): vlan == native
        }
    }

    /// The spelling of the mode in the configuration file.
    var keyword: String {
        switch self {
        case .access: "access"
        case .trunk: "trunk"
        }
    }
}
