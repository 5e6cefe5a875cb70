/// A 48-bit IEEE MAC address, held in the low 48 bits of a `UInt64` in transmission order (the first byte on
/// the wire is bits 47...40), so `0x0200_0000_0001` is 02:00:00:00:00:01.
@frozen
public struct EthernetAddress: Hashable, Comparable, Sendable, LosslessStringConvertible {
    /// The address as an integer, first byte most significant; the top 16 bits are always zero.
    public let rawValue: UInt64

    /// ff:ff:ff:ff:ff:ff.
    @inlinable public static var broadcast: EthernetAddress { EthernetAddress(rawValue: 0xffff_ffff_ffff) }
    /// 00:00:00:00:00:00.
    @inlinable public static var zero: EthernetAddress { EthernetAddress(rawValue: 0) }

    /// The address whose low 48 bits are `rawValue`'s (the top 16 bits are dropped).
    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue & 0xffff_ffff_ffff }

    /// The six bytes in transmission order.
    @inlinable
    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
        let high = UInt64(b0) << 40 | UInt64(b1) << 32 | UInt64(b2) << 24
        self.rawValue = high | UInt64(b3) << 16 | UInt64(b4) << 8 | UInt64(b5)
    }

    /// Reads the six bytes at `pointer` (no alignment needed).
    @inlinable
    public init(_ pointer: UnsafeRawPointer) {
        self.rawValue = UInt64(Wire.u32(pointer, 0)) << 16 | UInt64(Wire.u16(pointer, 4))
    }

    /// The address made of exactly six bytes, or nil for any other count.
    public init?(bytes: some Sequence<UInt8>) {
        var value: UInt64 = 0
        var count = 0
        for byte in bytes {
            count += 1
            if count > 6 { return nil }
            value = value << 8 | UInt64(byte)
        }
        guard count == 6 else { return nil }
        self.rawValue = value
    }

    /// Parses "aa:bb:cc:dd:ee:ff": six groups of exactly two hexadecimal digits (either case) separated by
    /// colons. Anything else (dashes, dots, single digits, spaces) is rejected.
    public init?(_ description: String) {
        var value: UInt64 = 0
        var index = 0
        for unit in description.utf8 {
            // Positions 2, 5, 8, 11, 14 hold the colons; the others hex digits.
            if index % 3 == 2 {
                guard unit == UInt8(ascii: ":") else { return nil }
            } else {
                guard let digit = hexDigitValue(unit) else { return nil }
                value = value << 4 | UInt64(digit)
            }
            index += 1
            if index > 17 { return nil }
        }
        guard index == 17 else { return nil }
        self.rawValue = value
    }

    /// The six bytes in transmission order.
    @inlinable
    public var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) {
        (
            UInt8(truncatingIfNeeded: rawValue >> 40), UInt8(truncatingIfNeeded: rawValue >> 32),
            UInt8(truncatingIfNeeded: rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16),
            UInt8(truncatingIfNeeded: rawValue >> 8), UInt8(truncatingIfNeeded: rawValue)
        )
    }

    /// Writes the six bytes at `pointer` (no alignment needed), e.g. to rewrite a header.
    @inlinable
    public func write(to pointer: UnsafeMutableRawPointer) {
        Wire.store32(UInt32(truncatingIfNeeded: rawValue >> 16), pointer, 0)
        Wire.store16(UInt16(truncatingIfNeeded: rawValue), pointer, 4)
    }

    /// ff:ff:ff:ff:ff:ff.
    @inlinable public var isBroadcast: Bool { rawValue == 0xffff_ffff_ffff }
    /// The group (I/G) bit, the lowest bit of the first byte, is set. True for broadcast too.
    @inlinable public var isMulticast: Bool { rawValue & 0x0100_0000_0000 != 0 }
    /// The U/L bit, the second-lowest bit of the first byte, is set.
    @inlinable public var isLocallyAdministered: Bool { rawValue & 0x0200_0000_0000 != 0 }
    /// 00:00:00:00:00:00.
    @inlinable public var isZero: Bool { rawValue == 0 }

    /// "aa:bb:cc:dd:ee:ff", lowercase.
    public var description: String {
        var text = ""
        text.reserveCapacity(17)
        for shift in stride(from: 40, through: 0, by: -8) {
            if shift != 40 { text.append(":") }
            appendHexByte(UInt8(truncatingIfNeeded: rawValue >> UInt64(shift)), to: &text)
        }
        return text
    }

    @inlinable
    public static func < (lhs: EthernetAddress, rhs: EthernetAddress) -> Bool { lhs.rawValue < rhs.rawValue }
}

// MARK: Text helpers shared by the address types (not on the parse path).

/// The value of an ASCII hexadecimal digit, or nil.
func hexDigitValue(_ unit: UInt8) -> UInt8? {
    switch unit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): unit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): unit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): unit - UInt8(ascii: "A") + 10
    default: nil
    }
}

private let hexDigits: StaticString = "0123456789abcdef"

/// Appends one lowercase hexadecimal digit (0...15).
func appendHexDigit(_ value: UInt8, to text: inout String) {
    let digit = hexDigits.withUTF8Buffer { $0[Int(value & 0x0f)] }
    text.unicodeScalars.append(Unicode.Scalar(digit))
}

/// Appends two lowercase hexadecimal digits.
func appendHexByte(_ value: UInt8, to text: inout String) {
    appendHexDigit(value >> 4, to: &text)
    appendHexDigit(value, to: &text)
}
