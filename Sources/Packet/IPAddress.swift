/// An IPv4 address as a host-order `UInt32` (10.0.0.1 is `0x0a00_0001`).
@frozen
public struct IPv4Address: Hashable, Comparable, Sendable, LosslessStringConvertible {
    /// The address, first octet most significant.
    public var rawValue: UInt32

    @inlinable
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// a.b.c.d.
    @inlinable
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Reads four bytes in network order at `pointer` (no alignment needed).
    @inlinable
    public init(_ pointer: UnsafeRawPointer) { self.rawValue = Wire.u32(pointer, 0) }

    /// Writes the address in network order at `pointer` (no alignment needed).
    @inlinable
    public func write(to pointer: UnsafeMutableRawPointer) { Wire.store32(rawValue, pointer, 0) }

    /// Parses dotted-quad "a.b.c.d": four decimal numbers 0...255 without leading zeros ("010" is rejected, as
    /// it is octal to some parsers), no other characters.
    public init?(_ description: String) {
        var utf8 = description.utf8[...]
        guard let value = IPv4Address.parseDottedQuad(&utf8), utf8.isEmpty else { return nil }
        self.rawValue = value
    }

    /// Parses a dotted quad from the start of `text`, consuming it; nil if it does not start with one.
    static func parseDottedQuad(_ text: inout Substring.UTF8View) -> UInt32? {
        var value: UInt32 = 0
        for part in 0..<4 {
            if part > 0 {
                guard text.first == UInt8(ascii: "."), !text.isEmpty else { return nil }
                text.removeFirst()
            }
            var octet: UInt32 = 0
            var digits = 0
            while let unit = text.first, unit >= UInt8(ascii: "0"), unit <= UInt8(ascii: "9") {
                if digits == 1 && octet == 0 { return nil }  // leading zero
                octet = octet * 10 + UInt32(unit - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, octet <= 255 else { return nil }
                text.removeFirst()
            }
            guard digits > 0 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// "a.b.c.d".
    public var description: String {
        var text = ""
        for shift in stride(from: 24, through: 0, by: -8) {
            if shift != 24 { text.append(".") }
            text.append(String(UInt8(truncatingIfNeeded: rawValue >> UInt32(shift))))
        }
        return text
    }

    /// 224.0.0.0/4.
    @inlinable public var isMulticast: Bool { rawValue & 0xf000_0000 == 0xe000_0000 }
    /// 255.255.255.255.
    @inlinable public var isBroadcast: Bool { rawValue == 0xffff_ffff }

    @inlinable
    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A 128-bit IPv6 address held as two host-order halves: `high` is bytes 0...7 (first byte most
/// significant), `low` bytes 8...15. 16 bytes, no indirection.
@frozen
public struct IPv6Address: Hashable, Comparable, Sendable, LosslessStringConvertible {
    /// Bytes 0...7 of the address, byte 0 most significant.
    public var high: UInt64
    /// Bytes 8...15 of the address, byte 8 most significant.
    public var low: UInt64

    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads 16 bytes in network order at `pointer` (no alignment needed).
    @inlinable
    public init(_ pointer: UnsafeRawPointer) {
        self.high = Wire.u64(pointer, 0)
        self.low = Wire.u64(pointer, 8)
    }

    /// The address made of exactly sixteen bytes, or nil for any other count.
    public init?(bytes: some Sequence<UInt8>) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var count = 0
        for byte in bytes {
            guard count < 16 else { return nil }
            if count < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
            count += 1
        }
        guard count == 16 else { return nil }
        self.init(high: high, low: low)
    }

    /// The address from its eight 16-bit groups, or nil unless there are exactly eight.
    public init?(groups: some Sequence<UInt16>) {
        var bytes: [UInt8] = []
        for group in groups { bytes += [UInt8(group >> 8), UInt8(truncatingIfNeeded: group)] }
        self.init(bytes: bytes)
    }

    /// Writes the 16 bytes in network order at `pointer` (no alignment needed).
    @inlinable
    public func write(to pointer: UnsafeMutableRawPointer) {
        Wire.store64(high, pointer, 0)
        Wire.store64(low, pointer, 8)
    }

    /// Group `index` (0...7) of the address, as written between colons.
    @inlinable
    public func group(_ index: Int) -> UInt16 {
        precondition(index >= 0 && index < 8, "IPv6 address group index out of range")
        let half = index < 4 ? high : low
        return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (index % 4)))
    }

    /// The sixteen bytes in network order.
    public var bytes: [UInt8] {
        (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> UInt64(56 - 8 * (i % 8))) }
    }

    /// ff00::/8.
    @inlinable public var isMulticast: Bool { high >> 56 == 0xff }
    /// ::.
    @inlinable public var isUnspecified: Bool { high == 0 && low == 0 }
    /// fe80::/10.
    @inlinable public var isLinkLocal: Bool { high >> 54 == 0xfe80 >> 6 }
    /// ::ffff:0:0/96, an IPv4 address mapped into IPv6.
    @inlinable public var isIPv4Mapped: Bool { high == 0 && low >> 32 == 0xffff }

    /// Parses the RFC 4291 textual forms: eight groups of 1...4 hexadecimal digits (either case) separated by
    /// colons; one "::" standing for one or more zero groups; a dotted-quad IPv4 address in place of the last
    /// two groups ("::ffff:192.0.2.1", "64:ff9b::10.0.0.1"). Zone indices ("%eth0"), prefixes ("/64"),
    /// brackets, spaces, a second "::" and groups of 5+ digits are rejected.
    public init?(_ description: String) {
        let text = Array(description.utf8)
        guard !text.isEmpty else { return nil }
        let colon = UInt8(ascii: ":")

        var compression: Int? = nil  // index of the first ':' of "::"
        var i = 0
        while i + 1 < text.count {
            if text[i] == colon && text[i + 1] == colon {
                compression = i
                break
            }
            i += 1
        }

        var head: [UInt16] = []
        var tail: [UInt16] = []
        if let at = compression {
            guard IPv6Address.parseGroups(text[..<at], allowIPv4: false, into: &head),
                IPv6Address.parseGroups(text[(at + 2)...], allowIPv4: true, into: &tail),
                head.count + tail.count <= 7
            else { return nil }
        } else {
            guard IPv6Address.parseGroups(text[...], allowIPv4: true, into: &head), head.count == 8 else {
                return nil
            }
        }
        let zeros = [UInt16](repeating: 0, count: 8 - head.count - tail.count)
        self.init(groups: head + zeros + tail)
    }

    /// Colon-separated groups (possibly none, for an empty slice), the last of which may be a dotted quad.
    private static func parseGroups(_ text: ArraySlice<UInt8>, allowIPv4: Bool, into groups: inout [UInt16]) -> Bool {
        if text.isEmpty { return true }
        let pieces = text.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        for (index, piece) in pieces.enumerated() {
            if index == pieces.count - 1 && allowIPv4 && piece.contains(UInt8(ascii: ".")) {
                var utf8 = Substring(decoding: piece, as: UTF8.self).utf8[...]
                guard let v4 = IPv4Address.parseDottedQuad(&utf8), utf8.isEmpty else { return false }
                groups += [UInt16(v4 >> 16), UInt16(truncatingIfNeeded: v4)]
                continue
            }
            guard (1...4).contains(piece.count) else { return false }
            var group: UInt16 = 0
            for unit in piece {
                guard let digit = hexDigitValue(unit) else { return false }
                group = group << 4 | UInt16(digit)
            }
            groups.append(group)
        }
        return true
    }

    /// The RFC 5952 canonical form: lowercase, no leading zeros, the longest run of two or more zero groups
    /// (the first such run on a tie) as "::", and IPv4-mapped addresses as "::ffff:a.b.c.d".
    public var description: String {
        if isIPv4Mapped {
            return "::ffff:" + IPv4Address(rawValue: UInt32(truncatingIfNeeded: low)).description
        }
        let groups = (0..<8).map { group($0) }
        var bestStart = -1
        var bestLength = 1  // a single zero group is never compressed
        var runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength {
                    bestStart = runStart
                    bestLength = index - runStart
                }
                runStart = -1
            }
        }
        var text = ""
        var index = 0
        while index < 8 {
            if index == bestStart {
                text += "::"
                index += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[index], radix: 16)
            index += 1
        }
        return text
    }

    @inlinable
    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
